"""`worldjepa data <inspect|preview> <path> [key=value ...]`: look into a rollout dataset."""

from __future__ import annotations


def _inspect(cfg, ds) -> None:
    import json

    from worldjepa.datasets.inspect import format_summary, summarise

    summary = summarise(ds)
    print(json.dumps(summary, indent=2) if cfg.json else format_summary(summary))


def _preview(cfg, ds) -> None:
    from pathlib import Path

    from worldjepa.datasets.preview import preview

    out = Path(cfg.out) if cfg.out else ds.root.parent / f"{ds.root.name}_preview.mp4"
    print(preview(ds, out, episodes=cfg.episodes, seed=cfg.seed, fps=cfg.fps, scale=cfg.scale))


SUBCOMMANDS = {"inspect": _inspect, "preview": _preview}


def main(overrides: list[str]) -> int:
    from worldjepa.config import compose
    from worldjepa.datasets import open_dataset
    from worldjepa.errors import ConfigError

    if not overrides or overrides[0] not in SUBCOMMANDS:
        got = overrides[0] if overrides else "nothing"
        raise ConfigError(f"worldjepa data needs a subcommand ({', '.join(SUBCOMMANDS)}), got {got}")
    sub, rest = overrides[0], overrides[1:]
    # A bare argument is the dataset path: `worldjepa data inspect runs/quickstart/data`.
    rest = [a if "=" in a else f"path={a}" for a in rest]
    cfg = compose("data", rest)
    if not cfg.path:
        raise ConfigError(f"worldjepa data {sub} needs a dataset: worldjepa data {sub} <path>")
    SUBCOMMANDS[sub](cfg, open_dataset(cfg.path))
    return 0
