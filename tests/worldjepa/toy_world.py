"""A toy world for recipe tests: a bright dot on a 16 px frame, moved by 2-D actions.

Small enough to train a world model for a few hundred steps in seconds, rich enough that a
latent which drops the dot is visibly worse (the dot's position is the whole state).
"""

from __future__ import annotations

import torch

from worldjepa.losses import LossConfig
from worldjepa.losses.objectives import TrainStep
from worldjepa.models import WorldModelConfig, build_world_model

SIZE = 16


def render(pos: torch.Tensor) -> torch.Tensor:
    """pos: (..., 2) in [0, 1] -> pixels (..., 3, SIZE, SIZE) uint8: a Gaussian dot."""
    grid = (torch.arange(SIZE, dtype=torch.float32) + 0.5) / SIZE
    dy = (grid.view(SIZE, 1) - pos[..., 1, None, None]) ** 2
    dx = (grid.view(1, SIZE) - pos[..., 0, None, None]) ** 2
    img = torch.exp(-(dx + dy) / (2 * 0.08**2))  # (..., SIZE, SIZE)
    return (img * 255).to(torch.uint8).unsqueeze(-3).expand(*img.shape[:-2], 3, SIZE, SIZE).contiguous()


def windows(n: int, steps: int, seed: int) -> dict[str, torch.Tensor]:
    """-> a batch of n windows of ``steps`` frames: pixels (n, T, 3, 16, 16) uint8, action
    (n, T, 2) (the last action is unused, as in recorded data), pos (n, T, 2)."""
    g = torch.Generator().manual_seed(seed)
    action = (torch.rand(n, steps, 2, generator=g) - 0.5) * 0.3
    pos = torch.empty(n, steps, 2)
    pos[:, 0] = 0.2 + 0.6 * torch.rand(n, 2, generator=g)
    for t in range(1, steps):
        pos[:, t] = (pos[:, t - 1] + action[:, t - 1]).clamp(0.1, 0.9)
    return {"pixels": render(pos), "action": action, "pos": pos,
            "episode_idx": torch.arange(n)}  # fmt: skip


def tiny_model(seed: int = 0):
    torch.manual_seed(seed)
    cfg = WorldModelConfig(
        image_size=SIZE, action_dim=2, frameskip=1, encoder_kwargs={"channels": [8, 16, 16, 16], "bottleneck": 8},
        feature_dim=32, latent_dim=16, projector_hidden=32, predictor_dim=32, predictor_depth=1,
        predictor_heads=2,
    )  # fmt: skip
    return build_world_model(cfg)


def train(loss: LossConfig, steps: int = 150, batch: int = 32, num_steps: int = 4, seed: int = 0):
    """Train the tiny model on fresh toy windows each step -> (model in eval mode, TrainStep)."""
    model = tiny_model(seed)
    step = TrainStep(model, loss)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for i in range(steps):
        data = windows(batch, num_steps, seed=10_000 * seed + i)
        terms = step(data, torch.Generator().manual_seed(i))
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
        step.after_step()
    return model.eval(), step
