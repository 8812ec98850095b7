"""Factor galleries: one scene, re-rendered with each factor moved into its OOD range.

A strip shows, left to right, the scene at default factors and then the same start state with
one factor at the middle of its out-of-distribution range (the others at default), so a reader
sees what every factor does and how far OOD is from training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from worldjepa.errors import EnvError


def ood_middle(factor):
    """The centre of a factor's OOD box (a float, or a tuple for vector factors)."""
    low, high = factor.bounds("ood")
    mid = (low + high) / 2
    return tuple(float(v) for v in mid) if factor.is_vector else float(mid[0])


def factor_strip(env_id: str, image_size: int = 96, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """-> [(label, frame (S, S, 3) uint8)]: default first, then one frame per factor at OOD."""
    from worldjepa.envs import env_factor_space, make_env

    env = make_env(env_id, image_size=image_size)
    try:
        obs, info = env.reset(seed=seed)
        start = info["state"]
        tiles = [("default", obs["pixels"])]
        for factor in env_factor_space(env_id):
            options = {"factors": {factor.name: ood_middle(factor)}, "state": start}
            try:
                obs, _ = env.reset(seed=seed, options=options)
            except EnvError:  # the geometry moved a wall onto the start: show that factor's own start
                obs, _ = env.reset(seed=seed, options={"factors": options["factors"]})
            tiles.append((f"{factor.name}\n({factor.kind})", obs["pixels"]))
        return tiles
    finally:
        env.close()


def save_strip(tiles: list[tuple[str, np.ndarray]], path: Path, title: str) -> Path:
    """Write the tiles as one labelled PNG strip."""
    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()

    fig, axes = plt.subplots(1, len(tiles), figsize=(1.45 * len(tiles), 2.05), squeeze=False)
    for ax, (label, frame) in zip(axes[0], tiles, strict=True):
        ax.imshow(frame, interpolation="nearest")
        ax.set_title(label, fontsize=6.5)
        ax.set_axis_off()
    fig.suptitle(title, fontsize=8)
    fig.tight_layout(pad=0.3, rect=(0, 0, 1, 0.9))
    return save_figure(fig, path)
