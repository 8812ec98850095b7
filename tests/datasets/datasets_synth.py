"""Helpers for tests/datasets: tiny synthetic datasets whose every value encodes (episode, step), so reads can be checked exactly."""

from __future__ import annotations

import numpy as np

HW = 16
A, P = 2, 3
STATE_NAMES = ["x", "y"]


def frame(e: int, t: int) -> np.ndarray:
    """The (H, W, 3) uint8 frame of episode e at step t: channel 0 = e, 1 = t % 256, 2 = t // 256."""
    f = np.empty((HW, HW, 3), np.uint8)
    f[..., 0], f[..., 1], f[..., 2] = e % 256, t % 256, t // 256
    return f


def action(e: int, t: int) -> np.ndarray:
    return np.array([100.0 * e + t, 0.5 * t - e], np.float32)


def proprio(e: int, t: int) -> np.ndarray:
    return np.array([e, t, e + 0.5 * t], np.float32)


def state(e: int, t: int) -> np.ndarray:
    return np.array([0.25 * t, -e], np.float32)


def episode_arrays(e: int, length: int) -> dict:
    ts = range(length)
    return {
        "pixels": np.stack([frame(e, t) for t in ts]),
        "action": np.stack([action(e, t) for t in ts]),
        "proprio": np.stack([proprio(e, t) for t in ts]),
        "state": np.stack([state(e, t) for t in ts]),
        "is_success": np.array([t == length - 1 and e % 2 == 0 for t in ts]),
    }


def writer_kwargs(**over) -> dict:
    kw = dict(
        env_id="Toy-v0",
        image_size=(HW, HW),
        action_low=[-1.0] * A,
        action_high=[1.0] * A,
        state_names=STATE_NAMES,
        proprio_dim=P,
        fps=10.0,
        extra={"note": "test"},
    )
    kw.update(over)
    return kw


def write_synthetic(root, lengths, mode: str = "create", commit_every: int | None = None) -> list[int]:
    """Write episodes of the given lengths; episode e's content is keyed by its returned episode_idx."""
    from worldjepa.datasets import DatasetWriter

    ids = []
    with DatasetWriter(root, mode=mode, **writer_kwargs()) as w:
        for i, length in enumerate(lengths):
            e = w.next_episode_idx  # content keyed by the id the writer will assign
            idx = w.add_episode(
                **episode_arrays(e, length), seed=1000 + e, factors={"mass": float(e), "i": i}
            )
            assert idx == e
            ids.append(idx)
            if commit_every and (i + 1) % commit_every == 0:
                w.commit()
    return ids
