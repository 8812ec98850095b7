"""Checkpoint directories: everything needed to plan with or resume a model, and nothing else.

    <dir>/model.safetensors    weights only
    <dir>/config.yaml          the resolved training config (its ``model`` section builds the net)
    <dir>/preprocess.json      frameskip, image size, history, action bounds + stats, data split
    <dir>/training_state.pt    optimizer, scheduler, RNG states and step (for --resume)

Saving writes a sibling temp dir and swaps it in, so a crash mid-save keeps the last good one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from worldjepa.errors import CheckpointError, DatasetError

FORMAT = "worldjepa-checkpoint-v1"
FILES = ("model.safetensors", "config.yaml", "preprocess.json")


def save_checkpoint(
    path: str | Path,
    model,
    config: dict[str, Any],
    preprocess: dict[str, Any],
    training_state: dict[str, Any] | None = None,
) -> Path:
    import torch
    import yaml
    from safetensors.torch import save_file

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
    (tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp / "preprocess.json").write_text(json.dumps({"format": FORMAT, **preprocess}, indent=2))
    if training_state is not None:
        torch.save(training_state, tmp / "training_state.pt")
    old = path.with_name(path.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def read_checkpoint_files(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """-> (config, preprocess), validating that ``path`` is a worldjepa checkpoint."""
    import yaml

    path = resolve_checkpoint_dir(path)
    if not path.is_dir():
        raise CheckpointError(
            f"{path} is not a checkpoint directory; pass a run dir from `worldjepa train` "
            "(or its checkpoint/ subfolder)"
        )
    missing = [f for f in FILES if not (path / f).exists()]
    if missing:
        raise CheckpointError(f"{path} is not a complete worldjepa checkpoint: missing {', '.join(missing)}")
    preprocess = json.loads((path / "preprocess.json").read_text())
    if preprocess.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}/preprocess.json has format {preprocess.get('format')!r}, expected {FORMAT!r}; "
            "it was written by another tool or version"
        )
    config = yaml.safe_load((path / "config.yaml").read_text())
    return config, preprocess


def resolve_checkpoint_dir(path: str | Path) -> Path:
    """Accept a run dir (holding ``checkpoint/``) or the checkpoint dir itself."""
    path = Path(path)
    if (path / "checkpoint" / "model.safetensors").exists():
        return path / "checkpoint"
    return path


def load_checkpoint(path: str | Path, device: str = "cpu"):
    """-> (WorldModel in eval mode on ``device``, preprocess dict, config dict)."""
    import torch

    from worldjepa.models import WorldModelConfig, build_world_model

    path = resolve_checkpoint_dir(path)
    config, preprocess = read_checkpoint_files(path)
    try:
        model = build_world_model(WorldModelConfig.from_dict(config["model"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}/config.yaml does not describe a worldjepa model: {exc}") from None
    load_weights(model, path / "model.safetensors")
    model.to(torch.device(device)).eval()
    return model, preprocess, config


def load_weights(model, file: Path) -> None:
    """Load weights strictly; a mismatch names the offending tensors instead of a torch dump."""
    from safetensors.torch import load_file

    try:
        state = load_file(str(file))
    except Exception as exc:  # safetensors raises its own error types for truncated/corrupt files
        raise CheckpointError(f"{file} is unreadable ({exc}); the checkpoint may be truncated") from None
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [k for k in own.keys() & state.keys() if own[k].shape != state[k].shape]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} tensors (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensors (e.g. {unexpected[0]})")
        if shapes:
            k = shapes[0]
            parts.append(
                f"{len(shapes)} shape mismatches (e.g. {k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)})"
            )
        raise CheckpointError(
            f"{file} was saved from a different model than its config.yaml builds: " + "; ".join(parts)
        )
    model.load_state_dict(state)


def load_checkpoint_and_data(checkpoint: str | Path, data: str | None = None, device: str = "cpu"):
    """-> (checkpoint dir, model, preprocess, dataset): the checkpoint and the dataset to judge it
    on (``data``, or the one it trained on), refusing a dataset of another env."""
    from worldjepa.datasets import open_dataset

    ckpt_dir = resolve_checkpoint_dir(checkpoint)
    model, pre, _ = load_checkpoint(ckpt_dir, device=device)
    ds = open_dataset(data or pre["dataset"])
    if ds.meta["env_id"] != pre["env_id"]:
        raise DatasetError(
            f"{ds.root} holds {ds.meta['env_id']} but the checkpoint was trained on {pre['env_id']}"
        )
    return ckpt_dir, model, pre, ds
