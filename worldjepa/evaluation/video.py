"""Per-episode mp4s: the agent's view | the goal image, side by side, upscaled to be watchable."""

from __future__ import annotations

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


def write_episode_video(
    path: Path, frames: list[np.ndarray], goal: np.ndarray, success_at: int | None, fps: int = 10
) -> Path:
    from worldjepa.video import write_video

    return write_video(
        path,
        (
            side_by_side(f, goal, success=success_at is not None and t >= success_at)
            for t, f in enumerate(frames)
        ),
        fps,
    )
