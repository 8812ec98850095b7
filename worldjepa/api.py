"""The Python API a notebook starts from: ``ck = wj.load("runs/tworoom")``.

A ``Checkpoint`` holds the model and its ``preprocess.json`` and plans, encodes and finds its
data the way the CLI does: ``ck.policy()`` is the ``MPCPolicy`` that ``worldjepa eval`` runs by
default (its settings come from ``worldjepa.planners.config``, the one place they live).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worldjepa.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import torch

    from worldjepa.datasets.reader import RolloutDataset
    from worldjepa.models.world_model import WorldModel
    from worldjepa.planners.mpc import MPCPolicy


class Checkpoint:
    """A trained world model with everything needed to plan with it.

    - ``model``: the ``WorldModel`` (eval mode, on ``device``);
    - ``preprocess``: frameskip, image size, history length, action bounds and stats, data split;
    - ``config``: the resolved training config;
    - ``path``: the checkpoint directory.
    """

    def __init__(self, path: Path, model: WorldModel, preprocess: dict, config: dict, device: torch.device):
        self.path, self.model, self.preprocess, self.config, self.device = (
            path,
            model,
            preprocess,
            config,
            device,
        )

    def __repr__(self) -> str:
        p = self.preprocess
        return f"Checkpoint({str(self.path)!r}, env={p['env_id']!r}, step={p.get('step')}, image_size={p['image_size'][0]})"

    def encode(self, frames: np.ndarray | torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """frames: (..., H, W, 3) uint8 (numpy or torch) -> z: (..., D) float32 on ``device``."""
        import numpy as np
        import torch

        given = frames if isinstance(frames, torch.Tensor) else np.asarray(frames)
        x = torch.as_tensor(given)
        size = self.preprocess["image_size"][0]
        if x.dim() < 3 or tuple(x.shape[-3:]) != (size, size, 3):
            raise ConfigError(
                f"encode takes frames (..., {size}, {size}, 3) uint8; got shape {tuple(x.shape)}"
            )
        if x.dtype != torch.uint8:
            raise ConfigError(f"encode takes uint8 frames (0..255); got {given.dtype}")
        lead = x.shape[:-3]
        flat = x.reshape(-1, size, size, 3).permute(0, 3, 1, 2)  # (N, 3, H, W)
        with torch.inference_mode():
            z = [
                self.model.encode(flat[i : i + batch_size, None].to(self.device))[:, 0]
                for i in range(0, len(flat), batch_size)
            ]
        return torch.cat(z).reshape(*lead, -1) if z else torch.empty(*lead, self.model.cfg.latent_dim)

    def policy(self, planner: str = "cem", *, seed: int = 0, **overrides: Any) -> MPCPolicy:
        """An ``MPCPolicy`` with ``worldjepa eval``'s default settings for ``planner`` (cem | icem |
        mppi | grad | cem_grad); ``overrides`` set MPC keys (horizon, cost, hold_actions, ...) or
        the planner's own (num_samples, num_iters, ...)."""
        from worldjepa.planners.config import PLANNER_CONFIGS, MPCConfig, planner_config
        from worldjepa.planners.mpc import MPCPolicy

        planner_keys = {f.name for f in dataclasses.fields(PLANNER_CONFIGS.get(planner))}
        mpc_keys = {f.name for f in dataclasses.fields(MPCConfig)} - {"planner"}
        unknown = sorted(set(overrides) - planner_keys - mpc_keys)
        if unknown:
            raise ConfigError(
                f"policy() got an unknown setting '{unknown[0]}'; MPC settings: {', '.join(sorted(mpc_keys))}; "
                f"{planner} settings: {', '.join(sorted(planner_keys - {'name'}))}"
            )
        plan = planner_config(planner, **{k: v for k, v in overrides.items() if k in planner_keys})
        mpc = MPCConfig(planner=plan, **{k: v for k, v in overrides.items() if k in mpc_keys})
        return MPCPolicy.for_checkpoint(self.model, self.preprocess, mpc, seed=seed, device=self.device)

    def dataset(self) -> RolloutDataset:
        """The dataset the model was trained on (``preprocess['train_episodes']`` / ``['val_episodes']``
        name its split)."""
        from worldjepa.datasets import open_dataset

        return open_dataset(self.preprocess["dataset"])

    def env(self, **kwargs: Any):
        """A fresh instance of the env the model was trained on, at its image size."""
        from worldjepa.envs import make_env

        return make_env(self.preprocess["env_id"], image_size=self.preprocess["image_size"][0], **kwargs)


def load(path: str | Path, device: str = "cpu") -> Checkpoint:
    """A run directory (its ``checkpoints/last``) or one checkpoint directory (e.g.
    ``<run>/checkpoints/1000``) -> ``Checkpoint``."""
    from worldjepa.checkpoint import load_checkpoint, resolve_checkpoint_dir
    from worldjepa.devices import resolve_device

    dev = resolve_device(device)
    ckpt_dir = resolve_checkpoint_dir(path)
    model, preprocess, config = load_checkpoint(ckpt_dir, device=dev)
    return Checkpoint(ckpt_dir, model, preprocess, config, dev)
