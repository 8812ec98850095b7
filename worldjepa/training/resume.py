"""What ``--resume`` may and may not change: a resumed run continues the same recipe on the same
data, with the checkpoint's own train / held-out split."""

from __future__ import annotations

import logging
from pathlib import Path

from worldjepa.config.composer import hydra_value
from worldjepa.errors import CheckpointError
from worldjepa.training.config import TrainConfig

log = logging.getLogger(__name__)

# What a resumed run may change: how long it runs and how it is run, not what it learns.
# The global batch is the recipe; how it is split over ranks (nproc, data.batch_size) is not.
RUNTIME_KEYS = ("steps", "resume", "out", "device", "log_every", "val_every", "ckpt_every", "val_batches",
                "max_minutes", "compile", "nproc", "logger", "keep_last", "eval_every", "eval_tasks")  # fmt: skip
RUNTIME_DATA_KEYS = ("path", "num_workers", "workers", "batch_size")


def recipe(resolved: dict) -> dict:
    """A resolved train config without its runtime keys (see RUNTIME_KEYS)."""
    out = {k: v for k, v in resolved.items() if k not in RUNTIME_KEYS}
    out["data"] = {k: v for k, v in (resolved.get("data") or {}).items() if k not in RUNTIME_DATA_KEYS}
    return out


def checkpoint_overrides(saved_cfg: dict, preprocess: dict) -> list[str]:
    """The overrides that rebuild a checkpoint's recipe and name its dataset: `--resume` starts
    from these, so a resumed command need not repeat them (what it does repeat must agree)."""
    from worldjepa.models.config import DATA_FIELDS

    rec = recipe(saved_cfg)
    rec.pop("global_batch_size", None)  # derived: data.batch_size x nproc
    rec["model"] = {k: v for k, v in (rec.get("model") or {}).items() if k not in DATA_FIELDS}
    rec.setdefault("data", {})["path"] = preprocess["dataset"]
    if "batch_size" in (saved_cfg.get("data") or {}):
        rec["data"]["batch_size"] = saved_cfg["data"]["batch_size"]
    return as_overrides(rec)


def as_overrides(tree: dict, prefix: str = "") -> list[str]:
    """A (resolved) config dict -> the ``key=value`` overrides that compose it again."""
    out = []
    for key, value in tree.items():
        if isinstance(value, dict) and key not in ("encoder_kwargs",):  # a mapping field is one value
            out += as_overrides(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}={hydra_value(value)}")
    return out


def with_defaults(saved: dict, defaults: dict) -> dict:
    """A saved config with the keys added since it was saved set to their defaults: a
    checkpoint from before a new option trained without it, i.e. at its default."""
    out = dict(saved)
    for key, value in defaults.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, dict) and isinstance(out[key], dict) and key != "encoder_kwargs":
            out[key] = with_defaults(out[key], value)
    return out


def first_difference(saved: dict, now: dict, prefix: str = "") -> str | None:
    """'model.latent_dim=128 (this run: 64)' for the first key where two config dicts differ."""
    for key in sorted(set(saved) | set(now)):
        a, b = saved.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = first_difference(a, b, f"{prefix}{key}.")
            if inner:
                return inner
        elif a != b:
            return f"{prefix}{key}={a} (this run: {b})"
    return None


def resumed_split(ckpt_dir: Path, cfg: TrainConfig, ds) -> tuple[list[int], list[int]]:
    """The checkpoint's own train / held-out episodes, after checking that ``cfg`` continues it on
    the same data: the same env, frames, action size and episodes (a resumed run never trains on
    episodes that were held out, even if the dataset has grown since)."""
    from worldjepa.checkpoint import has_training_state, read_checkpoint_files
    from worldjepa.datasets.storage import is_remote

    if not has_training_state(ckpt_dir):
        raise CheckpointError(f"--resume given but {ckpt_dir} has no training state; start without --resume")
    _, pre = read_checkpoint_files(ckpt_dir)
    here = str(cfg.data.path if is_remote(cfg.data.path) else Path(cfg.data.path).resolve())
    checks = [
        ("env", pre["env_id"], ds.meta["env_id"]),
        ("image size", list(pre["image_size"]), list(ds.image_size)),
        ("action dim", pre["action_dim"], ds.action_dim),
        ("frameskip", pre["frameskip"], cfg.data.frameskip),
    ]
    for what, then, now in checks:
        if then != now:
            raise CheckpointError(
                f"cannot resume {ckpt_dir}: it trained with {what} {then}, this run has {now}"
            )
    if pre["dataset"] != here:  # moved or copied data is fine if it holds the same episodes
        log.warning("resuming on %s; the checkpoint trained on %s", here, pre["dataset"])
    train_ids, val_ids = [int(i) for i in pre["train_episodes"]], [int(i) for i in pre["val_episodes"]]
    missing = sorted(set(train_ids + val_ids) - {int(i) for i in ds.episode_ids})
    if missing:
        raise CheckpointError(f"cannot resume {ckpt_dir}: its episodes {missing[:5]} are no longer in {here}")
    new = len(ds.episode_ids) - len(train_ids) - len(val_ids)
    if new > 0:
        log.warning(
            "resuming on the checkpoint's own %d episodes; %d newer episodes are left out",
            len(train_ids),
            new,
        )
    return train_ids, val_ids
