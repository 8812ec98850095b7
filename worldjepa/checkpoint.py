"""Checkpoint directories: everything needed to plan with or resume a model, and nothing else.

    <dir>/model.safetensors            weights only
    <dir>/config.yaml                  the resolved training config (its ``model`` section builds the net)
    <dir>/preprocess.json              frameskip, image size, history, action bounds + stats, data split
    <dir>/training_state.safetensors   the optimizer's tensors (for --resume) ...
    <dir>/training_state.json          ... and the rest of the training state: step, config, the
                                       optimizer's param groups (``worldjepa.serialization``)
    <dir>/manifest.json                sha256 and size of every file above, checked on load

Nothing in it is executed: a checkpoint is data (safetensors, JSON, YAML). Older checkpoints
without ``manifest.json`` load unchecked; a ``training_state.pt`` from before the JSON state
resumes through ``torch.load(weights_only=True)``, which refuses anything but tensors and
plain containers. Saving writes a sibling temp dir and swaps it in, so a crash mid-save keeps
the last good one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from worldjepa.errors import CheckpointError, DatasetError
from worldjepa.manifest import verify_files, write_manifest

FORMAT = "worldjepa-checkpoint-v1"
FILES = ("model.safetensors", "config.yaml", "preprocess.json")
TRAINING_STATE = "training_state"  # -> training_state.safetensors + training_state.json
LEGACY_TRAINING_STATE = "training_state.pt"
TRAINING_STATE_FILES = (f"{TRAINING_STATE}.safetensors", f"{TRAINING_STATE}.json")


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _ints(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in v)


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)


# What planning, eval and the probes read from preprocess.json: key -> (check, what it must be).
PREPROCESS_KEYS = {
    "env_id": (lambda v: isinstance(v, str) and bool(v), "an env id"),
    "image_size": (lambda v: _ints(v) and len(v) == 2 and min(v) > 0, "[height, width]"),
    "frameskip": (_positive_int, "a positive int"),
    "num_hist": (_positive_int, "a positive int"),
    "action_dim": (_positive_int, "a positive int"),
    "action_low": (_numbers, "a list of numbers"),
    "action_high": (_numbers, "a list of numbers"),
    "dataset": (lambda v: isinstance(v, str) and bool(v), "a dataset path"),
    "train_episodes": (_ints, "a list of episode ids"),
    "val_episodes": (_ints, "a list of episode ids"),
}


def save_checkpoint(
    path: str | Path,
    model,
    config: dict[str, Any],
    preprocess: dict[str, Any],
    training_state: dict[str, Any] | None = None,
) -> Path:
    """Write the checkpoint dir ``path`` (replacing an older one only once the new one is
    complete): the weights, config, preprocess, ``training_state`` (a tree of dicts, lists,
    scalars and tensors; see ``worldjepa.serialization``) when given, and the manifest."""
    import yaml
    from safetensors.torch import save_file

    from worldjepa.serialization import save_tree

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
    (tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (tmp / "preprocess.json").write_text(json.dumps({"format": FORMAT, **preprocess}, indent=2))
    if training_state is not None:
        save_tree(training_state, tmp, TRAINING_STATE)
    write_manifest(tmp)
    old = path.with_name(path.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


def _not_a_checkpoint(path: Path, missing: list[str]) -> str:
    """What ``path`` is instead: a dataset, a sweep (name its runs), or an incomplete checkpoint."""
    if (path / "steps.lance").is_dir():
        return f"{path} is a dataset, not a checkpoint; pass the run dir `worldjepa train out=` wrote"
    runs = sorted({p.relative_to(path).parts[0] for p in (*path.glob("*/checkpoints/*/manifest.json"),
                                         *path.glob("*/checkpoint/model.safetensors"))})  # fmt: skip
    if runs:
        shown = ", ".join(f"{path}/{r}" for r in runs[:3]) + (", ..." if len(runs) > 3 else "")
        return f"{path} holds {len(runs)} run{'s' if len(runs) > 1 else ''} (a sweep?); pick one: {shown}"
    return f"{path} is not a complete worldjepa checkpoint: missing {', '.join(missing)}"


def read_checkpoint_files(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """-> (config, preprocess), validating that ``path`` is a worldjepa checkpoint: its files are
    there, match the manifest, parse, and hold what planning needs."""
    path = resolve_checkpoint_dir(path)
    if not path.is_dir() and path.parent.name == "checkpoints":
        from worldjepa.run_dir import saved_steps

        steps = saved_steps(path.parent.parent)
        have = f"its saved steps are {', '.join(map(str, steps))}" if steps else "it holds no saved step"
        raise CheckpointError(f"{path} is not a saved checkpoint; {have}")
    if not path.is_dir():
        raise CheckpointError(
            f"{path} is not a checkpoint directory; pass a run dir from `worldjepa train` "
            "(its checkpoints/last), or one of its checkpoints/<step> dirs"
        )
    missing = [f for f in FILES if not (path / f).exists()]
    if missing:
        raise CheckpointError(_not_a_checkpoint(path, missing))
    verify_files(path, FILES)
    return _read_config(path / "config.yaml"), _read_preprocess(path / "preprocess.json")


def _read_config(file: Path) -> dict[str, Any]:
    import yaml

    try:
        config = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CheckpointError(f"{file} is not valid YAML ({problem}{where})") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{file} is not a text file; the checkpoint is corrupt") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"{file} holds a {type(config).__name__}, not a mapping of config sections")
    if not isinstance(config.get("model"), dict):
        raise CheckpointError(f"{file} has no 'model' section; it is not a worldjepa training config")
    return config


def _read_preprocess(file: Path) -> dict[str, Any]:
    try:
        preprocess = json.loads(file.read_text())
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise CheckpointError(f"{file} is not valid JSON ({exc})") from None
    if not isinstance(preprocess, dict):
        raise CheckpointError(f"{file} holds a JSON {type(preprocess).__name__}, not an object")
    if preprocess.get("format") != FORMAT:
        raise CheckpointError(
            f"{file} has format {preprocess.get('format')!r}, expected {FORMAT!r}; "
            "it was written by another tool or version"
        )
    missing = [k for k in PREPROCESS_KEYS if k not in preprocess]
    if missing:
        raise CheckpointError(
            f"{file} is missing {', '.join(missing)}; planning, eval and probes need them "
            "(was it written by `worldjepa train`?)"
        )
    for key, (ok, what) in PREPROCESS_KEYS.items():
        if not ok(preprocess[key]):
            raise CheckpointError(f"{file}: {key} must be {what}, got {preprocess[key]!r}")
    for key in ("action_low", "action_high"):
        if len(preprocess[key]) != preprocess["action_dim"]:
            raise CheckpointError(
                f"{file}: {key} has {len(preprocess[key])} values, but action_dim is {preprocess['action_dim']}"
            )
    return preprocess


def has_training_state(path: str | Path) -> bool:
    """Whether the checkpoint dir ``path`` can be resumed: it holds a training state (either
    layout; whether it loads is ``load_training_state``'s question)."""
    path = Path(path)
    return (path / TRAINING_STATE_FILES[1]).exists() or (path / LEGACY_TRAINING_STATE).exists()


def load_training_state(path: str | Path, device: str = "cpu") -> dict[str, Any]:
    """-> the training state saved with the checkpoint dir ``path`` ({"optimizer", "step",
    "config", ...}), checked against the manifest. A legacy ``training_state.pt`` is read with
    ``torch.load(weights_only=True)``: tensors and plain containers only, never code."""
    from worldjepa.serialization import load_tree

    path = Path(path)
    if (path / TRAINING_STATE_FILES[1]).exists():
        verify_files(path, TRAINING_STATE_FILES)
        state = load_tree(path, TRAINING_STATE, device=device)
        file = path / TRAINING_STATE_FILES[1]
    elif (path / LEGACY_TRAINING_STATE).exists():
        file = path / LEGACY_TRAINING_STATE
        verify_files(path, [LEGACY_TRAINING_STATE])
        state = _load_legacy_training_state(file, device)
    else:
        raise CheckpointError(
            f"{path} has no training state ({' + '.join(TRAINING_STATE_FILES)}); "
            "it cannot be resumed, start without --resume"
        )
    step = state.get("step") if isinstance(state, dict) else None
    ok = isinstance(step, int) and not isinstance(step, bool) and step >= 0
    if not (ok and isinstance(state.get("optimizer"), dict)):
        raise CheckpointError(
            f"{file} is not a worldjepa training state (it needs an 'optimizer' dict and an int 'step')"
        )
    return state


def _load_legacy_training_state(file: Path, device: str) -> Any:
    import torch

    try:
        return torch.load(file, map_location=device, weights_only=True)
    except Exception as exc:  # UnpicklingError for a forbidden global; anything for a corrupt file
        raise CheckpointError(
            f"{file} is not a safe training state: torch.load(weights_only=True) refused it "
            f"({_refusal(exc)}). It is not unpickled in full, as a crafted pickle could run code on "
            "this machine; resume from a checkpoint you trust, or start without --resume"
        ) from None


def _refusal(exc: Exception) -> str:
    """torch's weights-only refusal in one line, without its advice to load the file unsafely."""
    import pickle
    import re

    text = str(exc)
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return f"it names {found.group(1)}, and a training state holds only tensors and containers"
    if isinstance(exc, pickle.UnpicklingError):
        return "it holds objects other than tensors and containers"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def resolve_checkpoint_dir(path: str | Path) -> Path:
    """A run dir (its ``checkpoints/last``, or a legacy ``checkpoint/``), its ``checkpoints/``
    dir, or one checkpoint dir -> that checkpoint dir (see ``worldjepa.run_dir``)."""
    from worldjepa.run_dir import resolve

    return resolve(path)


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


def trained_on(pre: dict[str, Any], data: str | None) -> bool:
    """Is ``data`` (None: the checkpoint's own) the dataset the checkpoint trained on? Then only
    its held-out episodes are fair tasks and probe targets."""
    from worldjepa.datasets.storage import is_remote

    if data is None:
        return True
    here = data if is_remote(data) else str(Path(data).resolve())
    return here == pre["dataset"]


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
    for what, here, then in (("frames", list(ds.image_size), list(pre["image_size"])),
                             ("actions of size", ds.action_dim, pre["action_dim"])):  # fmt: skip
        if here != then:
            raise DatasetError(f"{ds.root} holds {what} {here} but the checkpoint was trained on {then}")
    return ckpt_dir, model, pre, ds
