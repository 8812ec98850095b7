"""Cube's factors of variation and workspace, in pure numpy.

Kept apart from ``cube.py`` so that the CLI and the scripted expert use them without importing
MuJoCo. Metres; the table top is the plane z = 0, the workspace x, y in
[-WORKSPACE_HALF, WORKSPACE_HALF]. The gripper is a floating 3-DoF hand (slide x, y, z) with
two parallel fingers closing along x.
"""

from __future__ import annotations

import numpy as np

from worldjepa.envs.factors import Factor, FactorSpace

TABLE_HALF = 0.35
WORKSPACE_HALF = 0.2  # cubes and targets are sampled in this square
FINGER_OPEN = 0.05  # finger slide position (m from the hand's centre) when fully open
HAND_Z_RANGE = (0.0, 0.3)  # the hand's travel in z (finger tips touch the table at 0)
CARRY_HEIGHT = 0.1  # the expert lifts cubes to this height before moving them

_RGB = ((0.0,) * 3, (1.0,) * 3)
CUBE_FACTORS = FactorSpace(
    [
        Factor("cube_size", "geometric", 0.025, train=(0.022, 0.028), ood=(0.032, 0.036),
               description="cube half-size (m); recompiles the scene", limits=(0.01, 0.04)),
        # OOD lighter, not heavier: the fingers' squeeze (FINGER_KP x half-size) lifts no cube of
        # 0.2 kg at any friction, so a heavier OOD range was a task no policy could do (expert 0%)
        Factor("cube_mass", "physical", 0.1, train=(0.08, 0.12), ood=(0.03, 0.05),
               description="cube mass (kg)", limits=(0.005, 2.0)),
        Factor("friction", "physical", 1.0, train=(0.9, 1.2), ood=(0.5, 0.65),
               description="cube sliding friction (fingers and table)", limits=(0.05, 3.0)),
        Factor("cube_color", "visual", (0.85, 0.2, 0.2), train=((0.75, 0.1, 0.1), (0.95, 0.3, 0.3)),
               ood=((0.1, 0.7, 0.2), (0.3, 0.9, 0.4)), description="cube (train: reds, ood: greens)", limits=_RGB),
        Factor("table_color", "visual", (0.75, 0.72, 0.68), train=((0.65, 0.62, 0.58), (0.85, 0.82, 0.78)),
               ood=((0.25, 0.3, 0.45), (0.35, 0.4, 0.55)), description="table (train: beiges, ood: navy)",
               limits=_RGB),
        Factor("gripper_color", "visual", (0.3, 0.3, 0.35), train=((0.2, 0.2, 0.25), (0.4, 0.4, 0.45)),
               ood=((0.85, 0.85, 0.9), (0.95, 0.95, 1.0)), description="hand and fingers (train: dark, ood: white)",
               limits=_RGB),
        Factor("light", "visual", 0.45, train=(0.35, 0.55), ood=(0.1, 0.2),
               description="headlight diffuse intensity", limits=(0.0, 1.0)),
        Factor("camera_angle", "visual", 50.0, train=(45.0, 55.0), ood=(70.0, 80.0),
               description="camera elevation above the table (degrees)", limits=(10.0, 89.0)),
    ]
)  # fmt: skip
FACTORS = CUBE_FACTORS


def sample_xy(rng: np.random.Generator) -> np.ndarray:
    """A position (2,) uniform in the workspace square."""
    return rng.uniform(-WORKSPACE_HALF, WORKSPACE_HALF, 2)
