"""Per-episode mp4s: the agent's view | the goal image | (MPC) the latent distance to the goal,
actual at each block boundary against what the executed plan predicted, with a cursor at the
current step. Upscaled to be watchable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def side_by_side(frame: np.ndarray, goal: np.ndarray, scale: int = 4, success: bool = False) -> np.ndarray:
    """(H,W,3) uint8 x2 -> (scale*H, scale*(2W+gap), 3) uint8, with a green border once successful."""
    gap = np.full((frame.shape[0], 2, 3), 255, np.uint8)
    img = np.concatenate([frame, gap, goal], axis=1)
    img = img.repeat(scale, axis=0).repeat(scale, axis=1)
    if success:
        img[:3], img[-3:], img[:, :3], img[:, -3:] = (0, 200, 0), (0, 200, 0), (0, 200, 0), (0, 200, 0)
    return img


def distance_panel(distances: dict, num_steps: int, height: int) -> tuple[np.ndarray, Callable[[int], int]]:
    """distances: {"actual": [(step, d2)], "predicted": [(step, d2)]} -> (a (height, 1.6*height, 3)
    uint8 plot of both curves over env steps 0..num_steps, step -> pixel column of that step)."""
    from worldjepa.plotting import pyplot

    plt = pyplot()

    width = int(1.6 * height)
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes((0.17, 0.22, 0.78, 0.64))
    for key, style in (("actual", dict(color="tab:blue", marker="o", ms=3)),
                       ("predicted", dict(color="tab:orange", marker="x", ms=4, ls="none"))):  # fmt: skip
        pts = sorted(distances.get(key) or [])
        if pts:
            ax.plot([s for s, _ in pts], [float(d) for _, d in pts], label=key, **style)
    ax.set_xlim(0, num_steps)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("env step", fontsize=7)
    ax.set_title("latent distance² to goal", fontsize=8)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, loc="upper right")
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    (x0, _), (x1, _) = ax.transData.transform([(0, 0), (num_steps, 0)])
    plt.close(fig)
    return img, lambda t: int(round(x0 + (x1 - x0) * t / max(num_steps, 1)))


def write_episode_video(
    path: Path, frames: list[np.ndarray], goal: np.ndarray, success_at: int | None, fps: int = 10,
    distances: dict | None = None,
) -> Path:  # fmt: skip
    """frames: T x (H, W, 3) uint8, goal: (H, W, 3) -> ``path``; with ``distances`` (see
    ``distance_panel``) a third panel plots the latent distance to the goal."""
    from worldjepa.video import write_video

    views = [
        side_by_side(f, goal, success=success_at is not None and t >= success_at)
        for t, f in enumerate(frames)
    ]
    if distances:
        panel, column = distance_panel(distances, len(frames) - 1, views[0].shape[0])
        for t, view in enumerate(views):
            p = panel.copy()
            x = column(t)
            p[:, max(x - 1, 0) : x + 1] = (200, 30, 30)
            views[t] = np.concatenate([view, np.full((view.shape[0], 4, 3), 255, np.uint8), p], axis=1)
    return write_video(path, views, fps)
