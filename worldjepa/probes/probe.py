"""`worldjepa probe`: how linearly (and non-linearly) a checkpoint's latents encode physics.

Frames of training episodes fit the probes; frames of held-out episodes score them. The same
probes read the baselines' features (a random encoder, raw downsampled pixels), so a score
means something only next to theirs.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from worldjepa.config.fields import Validated, checkpoint_opt, device_opt, opt, path_opt, require
from worldjepa.errors import ConfigError, DatasetError

log = logging.getLogger(__name__)


def factor_kinds() -> list[str]:
    from worldjepa.envs.factors import FACTOR_KINDS

    return list(FACTOR_KINDS)


@dataclass
class ProbeConfig(Validated):
    """How well frozen latents encode each recorded physical quantity (held-out R²)."""

    checkpoint: str = checkpoint_opt()
    data: str | None = path_opt(
        None, "dataset (null: the checkpoint's, fit on its training episodes, scored on held-out ones)"
    )
    val_fraction: float = opt(0.2, "held-out episodes when data is another dataset", gt=0, lt=1)
    features: list[str] = opt(["model", "encoder", "random", "random_encoder", "pixels"],
                              "latent z | encoder features | both randomly initialised | downsampled pixels",
                              choices="worldjepa.probes.features:FEATURES")  # fmt: skip
    probes: list[str] = opt(["linear", "mlp"], "ridge (strength by leave-one-out) | 2-layer MLP (early stopping)",
                            choices="worldjepa.probes.fit:PROBES")  # fmt: skip
    factor_kinds: list[str] = opt(["visual", "geometric", "physical"],
                                  "episode factors probed beside the state columns (visual ones are nuisances for control)",
                                  choices=factor_kinds)  # fmt: skip
    stride: int = opt(4, "every stride-th step of each episode", ge=1)
    frames: int = opt(1, "features of this many frames, concatenated (2+: velocities become decodable)", ge=1)
    frame_gap: int = opt(5, "env steps between those frames", ge=1)
    motion_frames: int = opt(4, "physical factors are also read from this many frames, frame_gap apart: a mass "
                             "or a damping shows only through motion (0: off)", ge=0)  # fmt: skip
    max_episodes: int = opt(0, "episodes per split; 0: all", ge=0)
    pixel_size: int = opt(8, "the pixels baseline: frames area-averaged to this size", ge=1)
    batch_size: int = opt(512, "frames per encoder call", ge=1)
    seed: int = opt(0, "seed of the probes and the random baselines", ge=0)
    device: str = device_opt()
    out: str | None = path_opt(None, "output folder (null: <run dir>/probe)")

    def check(self) -> None:
        require(
            len(self.features) > 0, "features", "name at least one feature set, e.g. features=[model,pixels]"
        )
        require(len(self.probes) > 0, "probes", "name at least one probe, e.g. probes=[linear]")


def _split(cfg: ProbeConfig, pre: dict, ds) -> tuple[list[int], list[int]]:
    from worldjepa.checkpoint import trained_on

    if trained_on(pre, cfg.data):
        train, test = list(pre["train_episodes"]), list(pre["val_episodes"])
    else:
        ids = np.random.default_rng(cfg.seed).permutation(ds.episode_ids)
        k = max(1, int(round(cfg.val_fraction * len(ids))))
        train, test = sorted(ids[k:].tolist()), sorted(ids[:k].tolist())
    if not train or not test:
        raise DatasetError(
            "probing needs training and held-out episodes; pass data=<dataset> with val_fraction > 0"
        )
    if cfg.max_episodes:
        train, test = train[: cfg.max_episodes], test[: cfg.max_episodes]
    return train, test


def _rows(ds, episodes: list[int], stride: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    """-> rows (N,) of every stride-th step from step ``first`` of ``episodes``, and each row's
    episode id (N,)."""
    rows = [ds.episode_rows(ep)[first::stride] for ep in episodes]
    return np.concatenate(rows), np.concatenate(
        [np.full(len(r), ep) for r, ep in zip(rows, episodes, strict=True)]
    )


def extract(
    ds, rows: np.ndarray, fns: dict, batch_size: int, desc: str, frames: int = 1, gap: int = 1
) -> dict:
    """Features of ``rows`` -> {feature name: (N, frames * F) float32}: each row's own features
    followed by those of the rows ``gap``, 2*gap, ... steps earlier (same episode; the caller
    starts rows late enough). Each distinct frame is read and encoded once, in batches."""
    from worldjepa.progress import progress_bar

    offsets = [rows - j * gap for j in range(frames)]
    uniq = np.unique(np.concatenate(offsets))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in fns}
    for i in progress_bar(range(0, len(uniq), batch_size), desc=desc, unit="batch", leave=False):
        batch = ds.take_frames(uniq[i : i + batch_size])
        for name, fn in fns.items():
            parts[name].append(fn(batch))
    feats = {name: np.concatenate(p) for name, p in parts.items()}
    where = [np.searchsorted(uniq, o) for o in offsets]
    return {name: np.concatenate([f[w] for w in where], axis=1) for name, f in feats.items()}


def _probe_pass(
    cfg: ProbeConfig, ds, fns: dict, train_eps, test_eps, frames: int, kinds: tuple, with_state: bool
):
    """Fit every probe on features of ``frames`` frames -> {results, predictions, names, skipped,
    counts (train frames, held-out frames)}, or None when the episodes are too short for them."""
    from worldjepa.probes.fit import PROBES, scores, varies
    from worldjepa.probes.targets import probe_targets

    first = (frames - 1) * cfg.frame_gap  # the earliest step with all its earlier frames
    (tr_rows, tr_eps), (te_rows, te_eps) = (
        _rows(ds, eps, cfg.stride, first) for eps in (train_eps, test_eps)
    )
    if not len(tr_rows) or not len(te_rows):
        return None
    y_tr, y_te = (probe_targets(ds, rows, eps, kinds) for rows, eps in ((tr_rows, tr_eps), (te_rows, te_eps)))
    keep = varies(y_tr.values) & varies(y_te.values)
    if not with_state:
        keep &= np.array([k != "state" for k in y_tr.kinds], dtype=bool)
    skipped = [
        n
        for n, v, k in zip(y_tr.names, keep, y_tr.kinds, strict=True)
        if not v and (with_state or k != "state")
    ]
    y_tr, y_te = y_tr.select(keep), y_te.select(keep)
    results, predictions = [], {}
    if y_tr.names:  # nothing to fit otherwise: skip the encoding too
        x_tr, x_te = (
            extract(ds, rows, fns, cfg.batch_size, f"features ({what} episodes, {frames} frames)", frames, cfg.frame_gap)
            for rows, what in ((tr_rows, "train"), (te_rows, "held-out"))
        )  # fmt: skip
    for feat in fns if y_tr.names else ():
        for probe in cfg.probes:
            log.info("fitting %s probe on %s features %s", probe, feat, x_tr[feat].shape)
            pred = PROBES.get(probe)(x_tr[feat], y_tr.values, x_te[feat], groups=tr_eps, seed=cfg.seed)
            predictions[(feat, probe)] = (y_te.names, y_te.values, pred)
            s = scores(y_te.values, pred)
            for q, name in enumerate(y_tr.names):
                results.append({"features": feat, "probe": probe, "quantity": name, "kind": y_tr.kinds[q],
                                **{k: float(v[q]) for k, v in s.items()}})  # fmt: skip
    return {"results": results, "predictions": predictions, "names": list(y_tr.names), "skipped": skipped,
            "counts": (len(tr_rows), len(te_rows))}  # fmt: skip


def run_probe(cfg: ProbeConfig) -> dict:
    """Fit every probe on every feature set; print the R² table; write results.json, table.md
    and a predicted-vs-true plot per feature set and probe."""
    import torch

    from worldjepa.checkpoint import load_checkpoint_and_data
    from worldjepa.config import validate
    from worldjepa.config.fields import expect
    from worldjepa.devices import resolve_device
    from worldjepa.evaluation.report import write_results
    from worldjepa.paths import writable_dir
    from worldjepa.probes.features import FEATURES
    from worldjepa.probes.report import format_table, plot_predictions
    from worldjepa.run_dir import run_of

    expect(cfg, ProbeConfig, "probe")
    validate(cfg)
    device = resolve_device(cfg.device)
    ckpt_dir, model, pre, ds = load_checkpoint_and_data(cfg.checkpoint, cfg.data, device)
    out = writable_dir(cfg.out or run_of(ckpt_dir) / "probe", "out")  # before any work
    size = pre["image_size"][0]
    if "pixels" in cfg.features and size % cfg.pixel_size:
        raise ConfigError(
            f"pixel_size={cfg.pixel_size}: must divide the frame size {size} (e.g. pixel_size=8)"
        )
    train_eps, test_eps = _split(cfg, pre, ds)
    torch.manual_seed(cfg.seed)
    fns = {name: FEATURES.get(name)(model, cfg.seed, device, cfg.pixel_size) for name in cfg.features}
    # Pass 1: every quantity from cfg.frames frames. Pass 2 (motion_frames > frames): the physical
    # factors again from a window, named "<factor> (<k> frames)".
    passes = [(cfg.frames, tuple(cfg.factor_kinds), True)]
    if cfg.motion_frames > cfg.frames and "physical" in cfg.factor_kinds:
        passes.append((cfg.motion_frames, ("physical",), False))
    results, predictions, names, skipped, counts = [], {}, [], [], None
    for frames, kinds, with_state in passes:
        got = _probe_pass(cfg, ds, fns, train_eps, test_eps, frames, kinds, with_state)
        if got is None:
            continue
        suffix = "" if frames == cfg.frames else f" ({frames} frames)"
        for r in got["results"]:
            results.append({**r, "quantity": r["quantity"] + suffix, "frames": frames})
        for (feat, probe), (y_names, y_true, pred) in got["predictions"].items():
            stem = f"{feat}-{probe}" + (f"-{frames}frames" if suffix else "")
            predictions[stem] = (
                [n + suffix for n in y_names],
                y_true,
                pred,
                f"{feat} features, {probe} probe{suffix}",
            )
        names += [n + suffix for n in got["names"]]
        skipped += [n + suffix for n in got["skipped"]]
        counts = counts or got["counts"]
    if counts is None:
        raise DatasetError(f"episodes are shorter than frames x frame_gap = {(cfg.frames - 1) * cfg.frame_gap + 1} "
                           "steps; nothing to probe")  # fmt: skip
    if not names:
        raise DatasetError(f"{ds.root}: no recorded quantity varies across its episodes; nothing to probe")
    table = format_table(results, names, cfg.features, cfg.probes)
    frames = "" if cfg.frames == 1 else f" of {cfg.frames} frames {cfg.frame_gap} steps apart"
    title = (f"{pre['env_id']}: probes on frozen features{frames}, R² on {len(test_eps)} held-out episodes "
             f"({counts[1]} frames; fit on {len(train_eps)} episodes, {counts[0]} frames)")  # fmt: skip
    print(f"{title}\n{table}")
    if skipped:
        print(f"not probed (constant in these episodes): {', '.join(skipped)}")
    plots = [str(plot_predictions(y_names, y_true, pred, out / f"{stem}.png", what))
             for stem, (y_names, y_true, pred, what) in predictions.items()]  # fmt: skip
    payload = {
        "title": title, "table": table, "config": asdict(cfg), "checkpoint": str(ckpt_dir), "dataset": str(ds.root),
        "train_episodes": train_eps, "test_episodes": test_eps, "skipped": skipped, "results": results, "plots": plots,
    }  # fmt: skip
    (out / "table.md").write_text(f"{title}\n\n{table}\n")
    path = write_results(out, payload)
    print(f"wrote {path}, {out / 'table.md'} and {len(plots)} plots")
    return payload
