"""``worldjepa/TwoRoom-v0``: a point agent in two rooms joined by a door, seen from above.

The agent is a sphere on two slide joints (x, y) driven by two motors; it floats just
above the floor and collides only with the walls. Observations are top-down orthographic
renders plus proprioception [x, y, vx, vy]. Factors of variation (colours, light, door
geometry, mass, damping) are written into the compiled MjModel at reset, so no recompile is needed
(``MujocoGoalEnv`` holds the shared machinery).

Physics (defaults): force = GEAR * action, so the terminal speed is GEAR / damping =
3.5 / 5 = 0.7 m/s and the velocity time constant is mass / damping = 0.5 / 5 = 0.1 s.
"""

from __future__ import annotations

import mujoco
import numpy as np

from worldjepa.envs import tworoom_layout as L
from worldjepa.envs.mujoco_env import MujocoGoalEnv, as_vector, outer_walls_xml, visual_xml
from worldjepa.errors import EnvError

TWOROOM_FACTORS = L.TWOROOM_FACTORS
FACTORS = TWOROOM_FACTORS

GEAR = 3.5  # N per unit action
# The camera sees the interior plus half of each outer wall, so walls frame the image.
CAMERA_VIEW = 2 * (L.ARENA_HALF + L.OUTER_WALL_HALF_THICKNESS / 2)


def _mjcf(image_size: int) -> str:
    """The arena at default factors; reset() overwrites the factor-controlled fields."""
    h, t, a, r = L.WALL_HALF_HEIGHT, L.OUTER_WALL_HALF_THICKNESS, L.ARENA_HALF, L.AGENT_RADIUS
    span = a + 2 * t
    outer = outer_walls_xml(a, t, h)
    return f"""
<mujoco model="tworoom">
  {visual_xml(image_size)}
  <asset><material name="matte" specular="0" shininess="0" reflectance="0" rgba="0.5 0.5 0.5 1"/></asset>
  <default>
    <geom material="matte" contype="0" conaffinity="0" condim="1"/>
    <default class="wall"><geom type="box" contype="1" conaffinity="1"/></default>
  </default>
  <worldbody>
    <camera name="main" pos="0 0 2" projection="orthographic" fovy="{CAMERA_VIEW}"/>
    <geom name="floor" type="plane" size="{span} {span} 0.05"/>
    {outer}
    <geom name="door_low" class="wall" pos="0 -0.6 {h}" size="{L.WALL_HALF_THICKNESS} 0.4 {h}"/>
    <geom name="door_high" class="wall" pos="0 0.6 {h}" size="{L.WALL_HALF_THICKNESS} 0.4 {h}"/>
    <body name="agent" pos="0 0 {h}">
      <joint name="x" type="slide" axis="1 0 0"/>
      <joint name="y" type="slide" axis="0 1 0"/>
      <geom name="agent" type="sphere" size="{r}" mass="0.5" contype="1" conaffinity="1"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="x" gear="{GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
    <motor joint="y" gear="{GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


class TwoRoomEnv(MujocoGoalEnv):
    """Reach a goal position, possibly in the other room through the door.

    Observation: {"pixels": (S, S, 3) uint8, "proprio": (4,) float32 [x, y, vx, vy]}.
    Action: (2,) float32 in [-1, 1], motor forces along x and y.
    Goal: (2,) position; success = the agent within ``success_radius`` of it.
    Reward: -distance(agent, goal).
    """

    FACTORS = TWOROOM_FACTORS
    STATE_NAMES = ("agent_x", "agent_y", "agent_vx", "agent_vy")
    ACTION_DIM, PROPRIO_DIM, GOAL_DIM = 2, 4, 2
    TIMESTEP, FRAME_SKIP = 0.01, 5  # env dt = 0.05 s

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        success_radius: float = 0.15,
        render_mode: str | None = "rgb_array",
    ):
        self.success_radius = float(success_radius)
        super().__init__(image_size, factor_split, render_mode, success_radius=success_radius)

    def sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(start_state (4,) float64 at rest, goal (2,) float64), each in an independently drawn room.

        The goal is redrawn while it lies within 2 success radii of the start, so no task is
        solved at step 0.
        """
        start = L.sample_free_position(rng)
        goal = L.sample_free_position(rng)
        while np.linalg.norm(goal - start) < 2 * self.success_radius:
            goal = L.sample_free_position(rng)
        return np.concatenate([start, [0.0, 0.0]]), goal

    def goal_state(self, start_state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """The agent at rest on the goal."""
        return np.r_[np.asarray(goal, np.float64), 0.0, 0.0]

    def goal_of(self, state: np.ndarray) -> np.ndarray:
        """The goal a state (4,) achieves: where the agent is."""
        return np.asarray(state, np.float64)[:2]

    # ------------------------------------------------------------------- hooks
    def _mjcf(self, factors: dict) -> str:
        return _mjcf(self.image_size)

    def _bind(self) -> None:
        gid = lambda n: mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        self._geom = {n: gid(n) for n in ("floor", "agent", "door_low", "door_high")}
        self._wall_geoms = [
            gid(n) for n in ("wall_north", "wall_south", "wall_east", "wall_west", "door_low", "door_high")
        ]
        self._agent_body = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, "agent")

    def _validate_factors(self, factors: dict) -> None:
        L.door_segments(factors["door_position"], factors["door_width"])

    def _apply_factors(self, f: dict) -> None:
        m = self.model
        m.geom_rgba[self._geom["agent"], :3] = f["agent_color"]
        m.geom_rgba[self._geom["floor"], :3] = f["floor_color"]
        m.geom_rgba[self._wall_geoms, :3] = f["wall_color"]
        m.vis.headlight.diffuse[:] = f["light"]
        segments = L.door_segments(f["door_position"], f["door_width"])
        for name, (centre, half) in zip(("door_low", "door_high"), segments, strict=True):
            m.geom_pos[self._geom[name], 1] = centre
            m.geom_size[self._geom[name], 1] = half
            # The broad phase culls with geom_rbound; keep it consistent with the new size.
            m.geom_rbound[self._geom[name]] = float(np.linalg.norm(m.geom_size[self._geom[name]]))
            m.geom_aabb[self._geom[name], 3:] = m.geom_size[self._geom[name]]
        m.body_mass[self._agent_body] = f["agent_mass"]
        m.dof_damping[:] = f["damping"]

    def _read_state(self, data: mujoco.MjData) -> np.ndarray:
        return np.concatenate([data.qpos, data.qvel])

    def _write_state(self, data: mujoco.MjData, state: np.ndarray) -> None:
        data.qpos[:] = state[:2]
        data.qvel[:] = state[2:]

    def _goal_metrics(self) -> tuple[float, bool]:
        distance = float(np.linalg.norm(self.data.qpos[:2] - self._goal))
        return distance, distance < self.success_radius

    def _check_state(self, state: np.ndarray) -> np.ndarray:
        self._check_position(state[:2], "reset option 'state'")
        return state

    def _check_goal(self, goal: np.ndarray) -> np.ndarray:
        return self._check_position(goal, "goal")

    def _check_position(self, xy, what: str) -> np.ndarray:
        xy = as_vector(xy, 2, what)
        door = self.factors["door_position"], self.factors["door_width"]
        if not L.is_free(xy, *door, margin=L.AGENT_RADIUS):
            raise EnvError(
                f"{what} position {xy.tolist()} is outside the arena or overlaps a wall "
                f"(agent radius {L.AGENT_RADIUS}; door at y={door[0]:.3f}, width {door[1]:.3f})"
            )
        return xy
