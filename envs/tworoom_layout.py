"""TwoRoom's factors of variation and arena geometry, in pure numpy.

Kept apart from ``tworoom.py`` so that the CLI (``env_factor_space``) and the scripted
policies can use them without importing MuJoCo or building a model.

Coordinates: metres, x to the right, y up (image row 0 is y = +1). The free interior
is [-1, 1]^2; an inner wall of thickness ``2 * WALL_HALF_THICKNESS`` along x = 0 splits it
into a left room (x < 0) and a right room (x > 0), joined by a door gap centred at
y = door_position of width door_width.
"""

from __future__ import annotations

import numpy as np

from worldjepa.envs.factors import Factor, FactorSpace
from worldjepa.errors import EnvError

ARENA_HALF = 1.0  # interior is [-ARENA_HALF, ARENA_HALF]^2
WALL_HALF_THICKNESS = 0.05  # inner wall spans x in [-0.05, 0.05]
OUTER_WALL_HALF_THICKNESS = 0.05
WALL_HALF_HEIGHT = 0.1
AGENT_RADIUS = 0.075
# Sampled starts/goals keep this clearance so the agent never starts in contact with a wall.
SAMPLE_MARGIN = AGENT_RADIUS + 0.02
# A door segment shorter than this would be a sliver the renderer can barely show.
MIN_SEGMENT_LENGTH = 0.05

TWOROOM_FACTORS = FactorSpace(
    [
        Factor(
            "agent_color",
            "visual",
            (0.9, 0.1, 0.1),
            train=((0.75, 0.0, 0.0), (1.0, 0.25, 0.25)),
            ood=((0.0, 0.2, 0.7), (0.2, 0.4, 1.0)),
            description="agent sphere rgb (train: reds, ood: blues)",
            limits=((0.0,) * 3, (1.0,) * 3),
        ),
        Factor(
            "floor_color",
            "visual",
            (0.85, 0.85, 0.8),
            train=((0.7, 0.7, 0.65), (0.95, 0.95, 0.95)),
            ood=((0.45, 0.6, 0.4), (0.6, 0.8, 0.55)),
            description="floor rgb (train: light greys, ood: greens)",
            limits=((0.0,) * 3, (1.0,) * 3),
        ),
        Factor(
            "wall_color",
            "visual",
            (0.2, 0.2, 0.25),
            train=((0.1, 0.1, 0.1), (0.35, 0.35, 0.4)),
            ood=((0.45, 0.25, 0.05), (0.6, 0.4, 0.15)),
            description="wall rgb (train: dark greys, ood: browns)",
            limits=((0.0,) * 3, (1.0,) * 3),
        ),
        Factor(
            "door_position",
            "geometric",
            0.0,
            train=(-0.3, 0.3),
            ood=(0.4, 0.6),
            description="y (m) of the door centre in the inner wall",
            limits=(-0.8, 0.8),
        ),
        Factor(
            "door_width",
            "geometric",
            0.4,
            train=(0.35, 0.5),
            ood=(0.26, 0.3),
            description="door gap (m); agent diameter is 0.15",
            limits=(2 * AGENT_RADIUS + 0.01, 1.0),
        ),
        Factor(
            "agent_mass",
            "physical",
            0.5,
            train=(0.4, 0.65),
            ood=(0.9, 1.3),
            description="agent mass (kg); heavier = slower to accelerate",
            limits=(0.01, 100.0),
        ),
        Factor(
            "damping",
            "physical",
            5.0,
            train=(4.2, 6.0),
            ood=(2.5, 3.5),
            description="slide-joint damping (N s/m); terminal speed = 3.5 / damping",
            limits=(0.0, 1000.0),
        ),
        Factor(
            "light",
            "visual",
            0.45,
            train=(0.35, 0.55),
            ood=(0.1, 0.2),
            description="headlight diffuse intensity (ood: dim)",
            limits=(0.0, 1.0),
        ),
    ]
)
FACTORS = TWOROOM_FACTORS


def door_segments(door_position: float, door_width: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(y_centre, half_length) of the inner wall's lower and upper segments around the door.

    Raises EnvError if the door does not leave both segments at least MIN_SEGMENT_LENGTH.
    """
    low_end, high_start = door_position - door_width / 2, door_position + door_width / 2
    if low_end + ARENA_HALF < MIN_SEGMENT_LENGTH or ARENA_HALF - high_start < MIN_SEGMENT_LENGTH:
        raise EnvError(
            f"door_position={door_position} with door_width={door_width} leaves no inner wall "
            f"on one side; keep |door_position| + door_width / 2 <= {ARENA_HALF - MIN_SEGMENT_LENGTH}"
        )
    lower = ((low_end - ARENA_HALF) / 2, (low_end + ARENA_HALF) / 2)
    upper = ((high_start + ARENA_HALF) / 2, (ARENA_HALF - high_start) / 2)
    return lower, upper


def wall_clearance(xy: np.ndarray, door_position: float, door_width: float) -> float:
    """Distance (m) from the point xy (2,) to the nearest wall surface (negative outside the arena)."""
    x, y = float(xy[0]), float(xy[1])
    outer = ARENA_HALF - max(abs(x), abs(y))
    dx = max(abs(x) - WALL_HALF_THICKNESS, 0.0)
    dists = [outer]
    for centre, half in door_segments(door_position, door_width):
        dy = max(abs(y - centre) - half, 0.0)
        dists.append(float(np.hypot(dx, dy)))
    return min(dists)


def is_free(xy: np.ndarray, door_position: float, door_width: float, margin: float = AGENT_RADIUS) -> bool:
    """True if a disc of radius ``margin`` centred at xy (2,) lies inside the arena, off the walls."""
    return wall_clearance(xy, door_position, door_width) >= margin - 1e-9


def room_of(xy: np.ndarray) -> int:
    """-1 (left room), +1 (right room) or 0 (agent overlaps the inner wall's band: in the doorway)."""
    x = float(xy[0])
    if abs(x) <= WALL_HALF_THICKNESS + AGENT_RADIUS:
        return 0
    return 1 if x > 0 else -1


def sample_free_position(rng: np.random.Generator, room: int | None = None) -> np.ndarray:
    """A point (2,) float64 uniform in one room's free space (room None: left or right at random).

    Rooms are rectangles whose free part does not depend on the door, so no rejection is needed.
    """
    if room is None:
        room = -1 if rng.random() < 0.5 else 1
    inner, outer = WALL_HALF_THICKNESS + SAMPLE_MARGIN, ARENA_HALF - SAMPLE_MARGIN
    x = room * rng.uniform(inner, outer)
    y = rng.uniform(-outer, outer)
    return np.array([x, y])
