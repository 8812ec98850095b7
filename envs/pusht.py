"""``worldjepa/PushT-v0``: a round pusher pushes a T-shaped block to a target pose, seen from above.

The pusher and the block move in the table's plane (slide x, slide y; plus a hinge for the
block). The table's friction on the block is modelled in joint space: Coulomb friction
(``frictionloss``, scaled by the ``friction`` factor) and a little viscous damping on the
block's three joints, so the block stops when it is no longer pushed. The target pose is a
translucent T drawn by a mocap body, so it lives in MjData and every state renders exactly.
Block scale and pusher radius change the scene's geometry, so they recompile it.

State: [pusher_x, pusher_y, block_x, block_y, block_angle, pusher_vx, pusher_vy, block_vx,
block_vy, block_omega, goal_x, goal_y, goal_angle]; the block pose is that of the centre
of the T's bar. Goal: a block pose (3,). Success (the anchors' tolerances, 20 px of 512 and
pi/9): position within ``position_tolerance`` and angle within ``angle_tolerance``.
"""

from __future__ import annotations

import mujoco
import numpy as np

from worldjepa.envs import pusht_layout as L
from worldjepa.envs.mujoco_env import MujocoGoalEnv, outer_walls_xml, visual_xml
from worldjepa.errors import EnvError

PUSHT_FACTORS = L.PUSHT_FACTORS
FACTORS = PUSHT_FACTORS
GEAR = 4.0  # N per unit action on the pusher
PUSHER_DAMPING = 10.0  # N s/m: free terminal speed GEAR / damping = 0.4 m/s
BLOCK_FRICTION = (1.2, 1.2, 0.06)  # frictionloss of slide x, slide y (N), hinge (N m) at friction=1
BLOCK_DAMPING = (0.5, 0.5, 0.01)
JOINTS = ("pusher_x", "pusher_y", "block_x", "block_y", "block_angle")
ANGLE_WEIGHT = 0.1  # m per rad in the pose distance: an error of 1 rad counts as 10 cm


def _t_geoms(prefix: str, scale: float, half_z: float, z: float, extra: str) -> str:
    return "\n".join(
        f'<geom name="{prefix}_{i}" type="box" pos="{c[0]} {c[1]} {z}" size="{h[0]} {h[1]} {half_z}" {extra}/>'
        for i, (c, h) in enumerate(L.t_rects(scale))
    )


def _mjcf(image_size: int, scale: float, pusher_radius: float) -> str:
    a, t = L.TABLE_HALF, L.WALL_HALF_THICKNESS
    span = a + 2 * t
    walls = outer_walls_xml(a, t, 0.03)
    fx, fy, fr = BLOCK_FRICTION
    dx, dy, dr = BLOCK_DAMPING
    block = _t_geoms("block", scale, 0.015, 0.015, 'contype="1" conaffinity="1" mass="0.25"')
    goal = _t_geoms("goal", scale, 0.0005, 0.0, 'rgba="0.3 0.75 0.35 0.45"')
    return f"""
<mujoco model="pusht">
  {visual_xml(image_size)}
  <compiler angle="radian"/>
  <option gravity="0 0 0" integrator="implicitfast"/>
  <asset><material name="matte" specular="0" shininess="0" reflectance="0" rgba="0.5 0.5 0.5 1"/></asset>
  <default>
    <geom material="matte" contype="0" conaffinity="0" condim="3" friction="0.5 0.005 0.0001"/>
    <default class="wall"><geom type="box" contype="1" conaffinity="1" rgba="0.3 0.3 0.3 1"/></default>
  </default>
  <worldbody>
    <camera name="main" pos="0 0 1.35" fovy="45"/>
    <geom name="floor" type="plane" size="{span} {span} 0.05"/>
    {walls}
    <body name="goal" mocap="true" pos="0 0 0.001">
      {goal}
    </body>
    <body name="block" pos="0 0 0">
      <joint name="block_x" type="slide" axis="1 0 0" frictionloss="{fx}" damping="{dx}"/>
      <joint name="block_y" type="slide" axis="0 1 0" frictionloss="{fy}" damping="{dy}"/>
      <joint name="block_angle" type="hinge" axis="0 0 1" frictionloss="{fr}" damping="{dr}"/>
      {block}
    </body>
    <body name="pusher" pos="0 0 0.015">
      <joint name="pusher_x" type="slide" axis="1 0 0" damping="{PUSHER_DAMPING}"/>
      <joint name="pusher_y" type="slide" axis="0 1 0" damping="{PUSHER_DAMPING}"/>
      <geom name="pusher" type="cylinder" size="{pusher_radius} 0.015" mass="0.1" contype="1" conaffinity="1"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="pusher_x" gear="{GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
    <motor joint="pusher_y" gear="{GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


class PushTEnv(MujocoGoalEnv):
    """Push the T block to the goal pose.

    Observation: {"pixels": (S, S, 3) uint8, "proprio": (4,) float32 [pusher x, y, vx, vy]}.
    Action: (2,) float32 in [-1, 1], forces on the pusher along x and y.
    Reward: -distance, the pose distance |Δposition| + 0.1 m/rad · |Δangle|.
    """

    FACTORS = PUSHT_FACTORS
    STATE_NAMES = (
        "pusher_x", "pusher_y", "block_x", "block_y", "block_angle",
        "pusher_vx", "pusher_vy", "block_vx", "block_vy", "block_omega",
        "goal_x", "goal_y", "goal_angle",
    )  # fmt: skip
    ACTION_DIM, PROPRIO_DIM, GOAL_DIM = 2, 4, 3
    TIMESTEP, FRAME_SKIP = 0.01, 5  # env dt = 0.05 s
    COMPILED_FACTORS = ("block_scale", "pusher_radius")

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        position_tolerance: float = 0.04,
        angle_tolerance: float = np.pi / 9,
        render_mode: str | None = "rgb_array",
    ):
        self.position_tolerance, self.angle_tolerance = float(position_tolerance), float(angle_tolerance)
        super().__init__(
            image_size,
            factor_split,
            render_mode,
            position_tolerance=position_tolerance,
            angle_tolerance=angle_tolerance,
        )

    def sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(start (13,) at rest, goal pose (3,)): block and goal poses anywhere on the table's
        middle, the goal redrawn until it is not already satisfied, the pusher off the block."""
        block = L.sample_pose(rng)
        goal = L.sample_pose(rng)
        while self._pose_errors(block, goal)[0] < 2 * self.position_tolerance:
            goal = L.sample_pose(rng)
        pusher = self._free_pusher_position(rng, block)
        return np.concatenate([pusher, block, np.zeros(5), goal]), goal

    def goal_state(self, start_state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """The block at rest on the goal pose; the pusher where it started, or (when the block
        would cover it there) at a seeded free spot."""
        start, goal = np.asarray(start_state, np.float64), np.asarray(goal, np.float64)
        pusher = start[:2]
        local = (pusher - goal[:2]) @ L.rotation(goal[2])
        if L.inside(local[None], self.factors["block_scale"], margin=self.factors["pusher_radius"] + 0.02)[0]:
            pusher = self._free_pusher_position(np.random.default_rng(0), goal)
        return np.concatenate([pusher, goal, np.zeros(5), goal])

    def goal_of(self, state: np.ndarray) -> np.ndarray:
        """The goal a state achieves: its block pose."""
        return np.asarray(state, np.float64)[2:5].copy()

    # ------------------------------------------------------------------- hooks
    def _mjcf(self, factors: dict) -> str:
        return _mjcf(self.image_size, factors["block_scale"], factors["pusher_radius"])

    def _bind(self) -> None:
        m = self.model
        gid = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        self._geom = {n: gid(n) for n in ("floor", "block_0", "block_1", "pusher")}
        self._block_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "block")
        joints = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n) for n in JOINTS]
        # State order (pusher, then block), whatever order the XML compiled the joints in.
        self._qpos = np.array([m.jnt_qposadr[j] for j in joints])
        self._dofs = np.array([m.jnt_dofadr[j] for j in joints])
        self._block_dofs = self._dofs[2:]
        self._mass0 = float(m.body_mass[self._block_body])
        self._inertia0 = m.body_inertia[self._block_body].copy()

    def _apply_factors(self, f: dict) -> None:
        m = self.model
        m.geom_rgba[[self._geom["block_0"], self._geom["block_1"]], :3] = f["block_color"]
        m.geom_rgba[self._geom["pusher"], :3] = f["pusher_color"]
        m.geom_rgba[self._geom["floor"], :3] = f["floor_color"]
        m.vis.headlight.diffuse[:] = f["light"]
        m.cam_pos[self._camera, 2] = f["camera_distance"]
        ratio = f["block_mass"] / self._mass0
        m.body_mass[self._block_body] = f["block_mass"]
        m.body_inertia[self._block_body] = self._inertia0 * ratio
        m.dof_frictionloss[self._block_dofs] = np.array(BLOCK_FRICTION) * f["friction"]

    def _read_state(self, data: mujoco.MjData) -> np.ndarray:
        goal_angle = 2 * np.arctan2(data.mocap_quat[0, 3], data.mocap_quat[0, 0])
        return np.concatenate(
            [data.qpos[self._qpos], data.qvel[self._dofs], data.mocap_pos[0, :2], [L.wrap_angle(goal_angle)]]
        )

    def _write_state(self, data: mujoco.MjData, state: np.ndarray) -> None:
        data.qpos[self._qpos] = state[:5]
        data.qvel[self._dofs] = state[5:10]
        data.mocap_pos[0, :2] = state[10:12]
        data.mocap_quat[0] = [np.cos(state[12] / 2), 0.0, 0.0, np.sin(state[12] / 2)]

    def _proprio(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[self._qpos[:2]], self.data.qvel[self._dofs[:2]]])

    def _pose_errors(self, pose: np.ndarray, goal: np.ndarray) -> tuple[float, float]:
        return float(np.linalg.norm(pose[:2] - goal[:2])), float(abs(L.wrap_angle(pose[2] - goal[2])))

    def _goal_metrics(self) -> tuple[float, bool]:
        dpos, dangle = self._pose_errors(self.data.qpos[self._qpos[2:]], self._goal)
        success = dpos < self.position_tolerance and dangle < self.angle_tolerance
        return dpos + ANGLE_WEIGHT * dangle, success

    def _check_state(self, state: np.ndarray) -> np.ndarray:
        limit = L.TABLE_HALF
        for name, xy in (("pusher", state[0:2]), ("block", state[2:4]), ("goal", state[10:12])):
            if np.max(np.abs(xy)) > limit:
                raise EnvError(f"{name} position {xy.tolist()} is off the table (±{limit} m)")
        return state

    def _check_goal(self, goal: np.ndarray) -> np.ndarray:
        if np.max(np.abs(goal[:2])) > L.TABLE_HALF:
            raise EnvError(f"goal position {goal[:2].tolist()} is off the table (±{L.TABLE_HALF} m)")
        return goal

    def _free_pusher_position(self, rng: np.random.Generator, block: np.ndarray) -> np.ndarray:
        """A pusher position on the table, clear of the block (pose (3,)) by 2 cm."""
        scale, r = self.factors["block_scale"], self.factors["pusher_radius"]
        lim = L.TABLE_HALF - r - 0.01
        while True:
            p = rng.uniform(-lim, lim, 2)
            local = (p - block[:2]) @ L.rotation(block[2])  # world -> block frame
            if not L.inside(local[None], scale, margin=r + 0.02)[0]:
                return p
