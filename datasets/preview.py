"""A video grid of sampled episodes: the quickest way to see what a dataset holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def grid_frames(episodes: list[np.ndarray], cols: int, scale: int = 2, gap: int = 2) -> list[np.ndarray]:
    """episodes: list of (L_i, H, W, 3) uint8 -> frames (H', W', 3) of a cols-wide grid over
    max L_i steps; an episode that has ended holds its last frame."""
    n, (h, w) = len(episodes), episodes[0].shape[1:3]
    rows = -(-n // cols)
    length = max(len(e) for e in episodes)
    out = []
    for t in range(length):
        canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 255, np.uint8)
        for i, ep in enumerate(episodes):
            r, c = divmod(i, cols)
            canvas[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = ep[
                min(t, len(ep) - 1)
            ]
        out.append(canvas.repeat(scale, 0).repeat(scale, 1))
    return out


def preview(ds, out: Path, episodes: int = 9, seed: int = 0, fps: int | None = None, scale: int = 2) -> Path:
    """Write an mp4 / gif grid of ``episodes`` episodes drawn (seeded) from the dataset ``ds``."""
    from worldjepa.video import write_video

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(ds.episode_ids, size=min(episodes, ds.num_episodes), replace=False))
    frames = [ds.read_episode(int(e), columns=["pixels"])["pixels"] for e in chosen]
    cols = int(np.ceil(np.sqrt(len(frames))))
    return write_video(
        Path(out), grid_frames(frames, cols, scale), fps or int(round(ds.meta.get("fps") or 20))
    )
