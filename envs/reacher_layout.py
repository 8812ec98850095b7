"""Reacher's factors of variation and planar two-link kinematics, in pure numpy.

Kept apart from ``reacher.py`` so that the CLI and the scripted expert use them without
importing MuJoCo. Angles in radians; q1 is the shoulder angle from +x, q2 the elbow angle
relative to the first link. Lengths in metres; the shoulder sits at the origin.
"""

from __future__ import annotations

import numpy as np

from worldjepa.envs.factors import Factor, FactorSpace

ARENA_HALF = 0.32  # the floor spans [-ARENA_HALF, ARENA_HALF]^2
ELBOW_LIMIT = 2.6  # |q2| <= this: the arm cannot fold onto itself
# Targets keep this clearance from the workspace's inner and outer rims.
TARGET_MARGIN = 0.02

_RGB = ((0.0,) * 3, (1.0,) * 3)
REACHER_FACTORS = FactorSpace(
    [
        Factor("link1_length", "geometric", 0.12, train=(0.1, 0.14), ood=(0.16, 0.18),
               description="upper arm (m); recompiles the scene", limits=(0.05, 0.2)),
        Factor("link2_length", "geometric", 0.12, train=(0.1, 0.14), ood=(0.07, 0.09),
               description="forearm (m); recompiles the scene", limits=(0.05, 0.2)),
        Factor("joint_damping", "physical", 0.02, train=(0.015, 0.03), ood=(0.05, 0.07),
               description="damping of both hinges (N m s/rad)", limits=(0.0, 10.0)),
        Factor("actuator_gain", "physical", 0.06, train=(0.05, 0.07), ood=(0.03, 0.04),
               description="torque (N m) per unit action", limits=(0.001, 10.0)),
        Factor("arm_color", "visual", (0.9, 0.55, 0.1), train=((0.8, 0.45, 0.0), (1.0, 0.65, 0.2)),
               ood=((0.1, 0.3, 0.8), (0.3, 0.5, 1.0)), description="both links (train: oranges, ood: blues)",
               limits=_RGB),
        Factor("target_color", "visual", (0.9, 0.1, 0.1), train=((0.75, 0.0, 0.0), (1.0, 0.25, 0.25)),
               ood=((0.0, 0.6, 0.1), (0.2, 0.9, 0.3)), description="target disc (train: reds, ood: greens)",
               limits=_RGB),
        Factor("floor_color", "visual", (0.85, 0.85, 0.8), train=((0.7, 0.7, 0.65), (0.95, 0.95, 0.95)),
               ood=((0.25, 0.25, 0.35), (0.4, 0.4, 0.5)), description="floor (train: light greys, ood: slate)",
               limits=_RGB),
        Factor("light", "visual", 0.45, train=(0.35, 0.55), ood=(0.1, 0.2),
               description="headlight diffuse intensity", limits=(0.0, 1.0)),
        Factor("camera_distance", "visual", 0.65, train=(0.6, 0.7), ood=(0.85, 1.0),
               description="camera height above the floor (m)", limits=(0.3, 3.0)),
    ]
)  # fmt: skip
FACTORS = REACHER_FACTORS


def fingertip(q: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """q: (..., 2) joint angles -> (..., 2) fingertip position."""
    q1, q12 = q[..., 0], q[..., 0] + q[..., 1]
    return np.stack([l1 * np.cos(q1) + l2 * np.cos(q12), l1 * np.sin(q1) + l2 * np.sin(q12)], -1)


def reach_annulus(l1: float, l2: float) -> tuple[float, float]:
    """(r_min, r_max): distances from the shoulder where a target can be reached with margin."""
    r_min = np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(ELBOW_LIMIT))  # most folded elbow
    return float(r_min + TARGET_MARGIN), float(l1 + l2 - TARGET_MARGIN)


def inverse_kinematics(xy: np.ndarray, l1: float, l2: float, elbow: float = 1.0) -> np.ndarray:
    """xy: (2,) -> joint angles (2,) putting the fingertip there (clamped into reach); ``elbow``
    +1 or -1 picks the bend direction."""
    r = float(np.clip(np.linalg.norm(xy), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6))
    c2 = np.clip((r**2 - l1**2 - l2**2) / (2 * l1 * l2), -1.0, 1.0)
    q2 = elbow * np.arccos(c2)
    q1 = np.arctan2(xy[1], xy[0]) - np.arctan2(l2 * np.sin(q2), l1 + l2 * np.cos(q2))
    return np.array([wrap_angle(q1), q2])


def wrap_angle(a):
    """Angles to [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def sample_target(rng: np.random.Generator, l1: float, l2: float) -> np.ndarray:
    """A reachable target (2,), uniform in area over the workspace annulus."""
    r_min, r_max = reach_annulus(l1, l2)
    r = np.sqrt(rng.uniform(r_min**2, r_max**2))
    theta = rng.uniform(-np.pi, np.pi)
    return np.array([r * np.cos(theta), r * np.sin(theta)])
