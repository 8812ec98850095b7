"""PushT's factors of variation and the T block's geometry, in pure numpy.

Kept apart from ``pusht.py`` so that the CLI and the scripted expert use them without
importing MuJoCo. Metres and radians; the table's free interior is [-TABLE_HALF, TABLE_HALF]^2.
The block's frame has its origin at the centre of the T's bar, the stem pointing to -y; a
block pose is (x, y, angle) of that frame.
"""

from __future__ import annotations

import numpy as np

from worldjepa.envs.factors import Factor, FactorSpace

TABLE_HALF = 0.5
WALL_HALF_THICKNESS = 0.03
BAR_HALF = (0.1, 0.025)  # the T's bar, centred on the frame origin (at block_scale 1)
STEM_HALF = (0.025, 0.075)  # the stem, centred at (0, -0.1)
STEM_CENTRE_Y = -0.1
POSE_MARGIN = 0.27  # sampled block and goal positions stay within +-(TABLE_HALF - this)

_RGB = ((0.0,) * 3, (1.0,) * 3)
PUSHT_FACTORS = FactorSpace(
    [
        Factor("block_mass", "physical", 0.5, train=(0.4, 0.6), ood=(1.0, 1.4),
               description="T block mass (kg); inertia scales with it", limits=(0.01, 100.0)),
        Factor("friction", "physical", 1.0, train=(0.8, 1.2), ood=(1.8, 2.4),
               description="scale of the block's sliding / turning friction on the table", limits=(0.0, 4.0)),
        Factor("block_scale", "geometric", 1.0, train=(0.9, 1.1), ood=(1.25, 1.4),
               description="size of the T; recompiles the scene", limits=(0.5, 1.6)),
        Factor("pusher_radius", "geometric", 0.025, train=(0.02, 0.03), ood=(0.04, 0.05),
               description="radius (m) of the round pusher; recompiles the scene", limits=(0.01, 0.06)),
        Factor("block_color", "visual", (0.45, 0.55, 0.7), train=((0.35, 0.45, 0.6), (0.55, 0.65, 0.8)),
               ood=((0.8, 0.5, 0.1), (0.95, 0.65, 0.25)), description="T block (train: steel blues, ood: ambers)",
               limits=_RGB),
        Factor("pusher_color", "visual", (0.2, 0.2, 0.9), train=((0.1, 0.1, 0.75), (0.3, 0.3, 1.0)),
               ood=((0.9, 0.1, 0.6), (1.0, 0.3, 0.8)), description="pusher (train: blues, ood: magentas)",
               limits=_RGB),
        Factor("floor_color", "visual", (0.9, 0.9, 0.88), train=((0.8, 0.8, 0.75), (0.97, 0.97, 0.97)),
               ood=((0.55, 0.45, 0.35), (0.65, 0.55, 0.45)), description="table (train: light greys, ood: wood)",
               limits=_RGB),
        Factor("light", "visual", 0.45, train=(0.35, 0.55), ood=(0.1, 0.2),
               description="headlight diffuse intensity", limits=(0.0, 1.0)),
        Factor("camera_distance", "visual", 1.35, train=(1.3, 1.45), ood=(1.7, 1.9),
               description="camera height above the table (m)", limits=(0.5, 4.0)),
    ]
)  # fmt: skip
FACTORS = PUSHT_FACTORS


def t_rects(scale: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The T as two rectangles (centre (2,), half extents (2,)) in the block frame."""
    return [
        (np.array([0.0, 0.0]), scale * np.array(BAR_HALF)),
        (np.array([0.0, scale * STEM_CENTRE_Y]), scale * np.array(STEM_HALF)),
    ]


def centre_of_mass(scale: float) -> np.ndarray:
    """(2,) the T's centroid in the block frame (uniform density)."""
    areas = [4 * h[0] * h[1] for _, h in t_rects(scale)]
    return sum(a * c for a, (c, _) in zip(areas, t_rects(scale), strict=True)) / sum(areas)


def rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def inside(points: np.ndarray, scale: float, margin: float = 0.0) -> np.ndarray:
    """points: (N, 2) in the block frame -> (N,) bool, inside the T grown by ``margin``."""
    hit = np.zeros(len(points), dtype=bool)
    for centre, half in t_rects(scale):
        hit |= np.all(np.abs(points - centre) <= half + margin, axis=1)
    return hit


def boundary(scale: float, spacing: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Points on the T's outline and their outward normals, both (N, 2) in the block frame."""
    points, normals = [], []
    for centre, half in t_rects(scale):
        for axis in (0, 1):
            for sign in (-1.0, 1.0):
                other = 1 - axis
                n = max(2, int(round(2 * half[other] / spacing)))
                t = np.linspace(-half[other], half[other], n + 1)[1:-1]  # corners excluded
                p = np.zeros((len(t), 2))
                p[:, axis] = centre[axis] + sign * half[axis]
                p[:, other] = centre[other] + t
                normal = np.zeros(2)
                normal[axis] = sign
                # Keep the points on the union's outline: not buried inside the other rectangle.
                keep = ~inside(p - 1e-6 * normal, scale) | ~inside(p + 1e-6 * normal, scale)
                points.append(p[keep])
                normals.append(np.repeat(normal[None], keep.sum(), 0))
    return np.concatenate(points), np.concatenate(normals)


def wrap_angle(a):
    """Angles to [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def sample_pose(rng: np.random.Generator) -> np.ndarray:
    """A block pose (3,) (x, y, angle) away from the walls at any allowed scale."""
    lim = TABLE_HALF - POSE_MARGIN
    return np.array([rng.uniform(-lim, lim), rng.uniform(-lim, lim), rng.uniform(-np.pi, np.pi)])
