"""worldjepa's own format (Lance, lossless) as a source and a target of conversions."""

from __future__ import annotations

from pathlib import Path

from worldjepa.datasets.formats.common import Episode, EpisodeSource, SourceInfo, attach_env

LOSSY = None  # always lossless
COMMIT_EVERY = 20


def detect(path: Path) -> bool:
    return (path / "steps.lance").exists() and (path / "episodes.lance").exists()


def read(path: Path, episodes=None, env: str | None = None) -> EpisodeSource:
    """A worldjepa dataset (optionally only the episode ids in ``episodes``) as a source; ``env``
    replaces its env id (see ``common.attach_env``)."""
    from worldjepa.datasets.reader import open_dataset

    ds = open_dataset(path)
    m = ds.meta
    info = SourceInfo(
        image_size=tuple(m["image_size"]), action_dim=ds.action_dim, proprio_dim=ds.proprio_dim,
        state_names=list(ds.state_names), fps=float(m["fps"]), env_id=m["env_id"],
        action_low=list(m["action_low"]), action_high=list(m["action_high"]), extra=dict(m.get("extra") or {}),
    )  # fmt: skip
    info = attach_env(info, env, path)
    rows = {int(r["episode_idx"]): r for r in ds.episodes}
    ids = list(rows) if episodes is None else [int(e) for e in episodes]

    def stream():
        for e in ids:
            ep = ds.read_episode(e)
            yield Episode(
                ep["pixels"], ep["action"], ep["proprio"], ep["state"], ep["is_success"],
                seed=int(rows[e]["seed"]), factors=rows[e]["factors"],
            )  # fmt: skip

    return EpisodeSource(info, len(ids), stream)


def write(source: EpisodeSource, path: Path, progress: bool = True, mode: str = "create") -> Path:
    """Every episode of ``source`` -> a worldjepa dataset at ``path`` (committed every 20 episodes)."""
    from worldjepa.datasets.writer import DatasetWriter
    from worldjepa.progress import progress_bar

    info = source.info
    extra = dict(info.extra)
    if source.lossy:
        extra["decoded_from_lossy"] = True
    writer = DatasetWriter(
        path, env_id=info.env_id, image_size=info.image_size, action_low=info.action_low,
        action_high=info.action_high, state_names=info.state_names, proprio_dim=info.proprio_dim,
        fps=info.fps, extra=extra, mode=mode,
    )  # fmt: skip
    with writer, progress_bar(total=source.num_episodes, desc=f"write {path.name}", unit="ep",
                      disable=not progress) as bar:  # fmt: skip
        for ep in source.episodes():
            writer.add_episode(ep.pixels, ep.action, ep.proprio, ep.state, ep.is_success, ep.seed, ep.factors)
            if writer.num_pending >= COMMIT_EVERY:
                writer.commit()
            bar.update(1)
    return path
