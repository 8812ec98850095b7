"""``worldjepa/Cube-v0``: a floating two-finger gripper moves a cube to a target on a table.

The hand slides in x, y, z (gravity-compensated, force-driven with damping, so an action is
close to a velocity command) and its two fingers close along x under position control. The
cube is a free body resting on the table; grasps hold by friction (elliptic cones). The
target is a translucent sphere drawn by a mocap body, so it lives in MjData and every state
renders exactly. The camera looks at the table from the front; its elevation is a factor.

State (24): hand xyz, finger opening, cube xyz + quaternion (wxyz), hand velocity, finger
velocity, cube linear and angular velocity, target xyz. Goal: a cube position (3,); success
= the cube's centre within ``success_radius`` (4 cm, the anchors' threshold) of it.
Action (4): hand force along x, y, z in [-1, 1] and grip (+1 closes the fingers, -1 opens).
"""

from __future__ import annotations

import mujoco
import numpy as np

from worldjepa.envs import cube_layout as L
from worldjepa.envs.mujoco_env import MujocoGoalEnv, visual_xml
from worldjepa.errors import EnvError

CUBE_FACTORS = L.CUBE_FACTORS
FACTORS = CUBE_FACTORS
HAND_GEAR = 5.0  # N per unit action
HAND_DAMPING = 20.0  # N s/m: free speed HAND_GEAR / HAND_DAMPING = 0.25 m/s
FINGER_KP = 60.0  # N/m: squeeze force ~ FINGER_KP * cube half-size
CONTACT_FRICTION = 0.1  # fingers and table: MuJoCo takes the larger of two geoms' frictions,
# so the cube's own friction (the factor) decides every contact it is in.
CAMERA_DISTANCE = 0.62
CAMERA_LOOK_AT = np.array([0.0, 0.02, 0.03])
STATE_NAMES = (
    "hand_x", "hand_y", "hand_z", "finger",
    "cube_x", "cube_y", "cube_z", "cube_qw", "cube_qx", "cube_qy", "cube_qz",
    "hand_vx", "hand_vy", "hand_vz", "finger_v",
    "cube_vx", "cube_vy", "cube_vz", "cube_wx", "cube_wy", "cube_wz",
    "target_x", "target_y", "target_z",
)  # fmt: skip


def _mjcf(image_size: int, half: float) -> str:
    t = L.TABLE_HALF
    return f"""
<mujoco model="cube">
  {visual_xml(image_size)}
  <compiler angle="radian"/>
  <option integrator="implicitfast" cone="elliptic" impratio="10"/>
  <asset><material name="matte" specular="0" shininess="0" reflectance="0" rgba="0.5 0.5 0.5 1"/></asset>
  <default>
    <geom material="matte" condim="4" friction="{CONTACT_FRICTION} 0.005 0.0001"/>
  </default>
  <worldbody>
    <camera name="main" pos="0 -0.6 0.7" fovy="45"/>
    <geom name="table" type="plane" size="{2 * t} {2 * t} 0.05"/>
    <body name="target" mocap="true" pos="0.1 0.1 {half}">
      <geom name="target" type="sphere" size="0.015" rgba="0.2 0.8 0.3 0.55" contype="0" conaffinity="0"/>
    </body>
    <body name="cube" pos="0 0 {half}">
      <freejoint name="cube"/>
      <geom name="cube" type="box" size="{half} {half} {half}" mass="0.1"/>
    </body>
    <body name="hand" pos="0 0 0" gravcomp="1">
      <joint name="hand_x" type="slide" axis="1 0 0" damping="{HAND_DAMPING}"/>
      <joint name="hand_y" type="slide" axis="0 1 0" damping="{HAND_DAMPING}"/>
      <joint name="hand_z" type="slide" axis="0 0 1" damping="{HAND_DAMPING}" range="{L.HAND_Z_RANGE[0]} {L.HAND_Z_RANGE[1]}"/>
      <geom name="palm" type="box" pos="0 0 0.085" size="0.07 0.02 0.012" mass="0.3" contype="0" conaffinity="0"/>
      <body name="finger_l" gravcomp="1">
        <joint name="finger_l" type="slide" axis="-1 0 0" range="0 {L.FINGER_OPEN}" damping="2"/>
        <geom name="finger_l" type="box" pos="-0.006 0 0.037" size="0.006 0.018 0.037" mass="0.02"/>
      </body>
      <body name="finger_r" gravcomp="1">
        <joint name="finger_r" type="slide" axis="1 0 0" range="0 {L.FINGER_OPEN}" damping="2"/>
        <geom name="finger_r" type="box" pos="0.006 0 0.037" size="0.006 0.018 0.037" mass="0.02"/>
      </body>
    </body>
  </worldbody>
  <contact><exclude body1="finger_l" body2="finger_r"/></contact>
  <actuator>
    <motor joint="hand_x" gear="{HAND_GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
    <motor joint="hand_y" gear="{HAND_GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
    <motor joint="hand_z" gear="{HAND_GEAR}" ctrlrange="-1 1" ctrllimited="true"/>
    <position joint="finger_l" kp="{FINGER_KP}" ctrlrange="0 {L.FINGER_OPEN}" ctrllimited="true"/>
    <position joint="finger_r" kp="{FINGER_KP}" ctrlrange="0 {L.FINGER_OPEN}" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


def look_at_quat(pos: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Quaternion (wxyz) of a camera at ``pos`` looking at ``target`` with world +z up
    (MuJoCo cameras look along their -z axis, image up = +y)."""
    back = (pos - target) / np.linalg.norm(pos - target)
    right = np.cross([0.0, 0.0, 1.0], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, np.column_stack([right, up, back]).flatten())
    return quat


class CubeEnv(MujocoGoalEnv):
    """Pick the cube up and put it on the target."""

    FACTORS = CUBE_FACTORS
    STATE_NAMES = STATE_NAMES
    ACTION_DIM, PROPRIO_DIM, GOAL_DIM = 4, 8, 3
    TIMESTEP, FRAME_SKIP = 0.005, 10  # env dt = 0.05 s
    COMPILED_FACTORS = ("cube_size",)

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        success_radius: float = 0.04,
        render_mode: str | None = "rgb_array",
    ):
        self.success_radius = float(success_radius)
        super().__init__(image_size, factor_split, render_mode, success_radius=success_radius)

    def sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(start (24,) at rest: hand above the table with open fingers, cube flat on the
        table with a small yaw; goal (3,): a spot on the table >= 2 radii from the cube)."""
        half = self.factors["cube_size"]
        hand = np.r_[L.sample_xy(rng), rng.uniform(0.08, 0.16)]
        cube = np.r_[L.sample_xy(rng), half]
        yaw = rng.uniform(-0.4, 0.4)
        goal = np.r_[L.sample_xy(rng), half]
        while np.linalg.norm(goal[:2] - cube[:2]) < 2 * self.success_radius:
            goal = np.r_[L.sample_xy(rng), half]
        quat = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]
        state = np.concatenate([hand, [L.FINGER_OPEN], cube, quat, np.zeros(10), goal])
        return state, goal

    def goal_state(self, start_state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """The cube at rest on the goal (its start orientation), the open hand right above it
        at its start height: the scene just after a placement."""
        start, goal = np.asarray(start_state, np.float64), np.asarray(goal, np.float64)
        hand = np.r_[goal[:2], max(start[2], goal[2] + 0.06)]
        return np.concatenate([hand, [L.FINGER_OPEN], goal, start[7:11], np.zeros(10), goal])

    def goal_of(self, state: np.ndarray) -> np.ndarray:
        """The goal a state achieves: where its cube is."""
        return np.asarray(state, np.float64)[4:7].copy()

    # ------------------------------------------------------------------- hooks
    def _mjcf(self, factors: dict) -> str:
        return _mjcf(self.image_size, factors["cube_size"])

    def _bind(self) -> None:
        m = self.model
        gid = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        self._geom = {n: gid(n) for n in ("table", "cube", "palm", "finger_l", "finger_r")}
        self._cube_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "cube")
        joint = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)  # noqa: E731
        self._hand_q = np.array([m.jnt_qposadr[joint(n)] for n in ("hand_x", "hand_y", "hand_z")])
        self._hand_v = np.array([m.jnt_dofadr[joint(n)] for n in ("hand_x", "hand_y", "hand_z")])
        self._finger_q = np.array([m.jnt_qposadr[joint(n)] for n in ("finger_l", "finger_r")])
        self._finger_v = np.array([m.jnt_dofadr[joint(n)] for n in ("finger_l", "finger_r")])
        self._cube_q, self._cube_v = m.jnt_qposadr[joint("cube")], m.jnt_dofadr[joint("cube")]
        self._mass0 = float(m.body_mass[self._cube_body])
        self._inertia0 = m.body_inertia[self._cube_body].copy()

    def _apply_factors(self, f: dict) -> None:
        m = self.model
        m.geom_rgba[self._geom["cube"], :3] = f["cube_color"]
        m.geom_rgba[self._geom["table"], :3] = f["table_color"]
        m.geom_rgba[[self._geom["palm"], self._geom["finger_l"], self._geom["finger_r"]], :3] = f[
            "gripper_color"
        ]
        m.vis.headlight.diffuse[:] = f["light"]
        elevation = np.deg2rad(f["camera_angle"])
        pos = CAMERA_LOOK_AT + CAMERA_DISTANCE * np.array([0.0, -np.cos(elevation), np.sin(elevation)])
        m.cam_pos[self._camera] = pos
        m.cam_quat[self._camera] = look_at_quat(pos, CAMERA_LOOK_AT)
        m.body_mass[self._cube_body] = f["cube_mass"]
        m.body_inertia[self._cube_body] = self._inertia0 * f["cube_mass"] / self._mass0
        m.geom_friction[self._geom["cube"], 0] = f["friction"]

    def _read_state(self, data: mujoco.MjData) -> np.ndarray:
        cq, cv = self._cube_q, self._cube_v
        return np.concatenate([
            data.qpos[self._hand_q], data.qpos[self._finger_q[:1]], data.qpos[cq : cq + 7],
            data.qvel[self._hand_v], data.qvel[self._finger_v[:1]], data.qvel[cv : cv + 6],
            data.mocap_pos[0],
        ])  # fmt: skip

    def _write_state(self, data: mujoco.MjData, state: np.ndarray) -> None:
        cq, cv = self._cube_q, self._cube_v
        data.qpos[self._hand_q] = state[0:3]
        data.qpos[self._finger_q] = state[3]
        data.qpos[cq : cq + 7] = state[4:11]
        data.qvel[self._hand_v] = state[11:14]
        data.qvel[self._finger_v] = state[14]
        data.qvel[cv : cv + 6] = state[15:21]
        data.mocap_pos[0] = state[21:24]

    def _apply_action(self, action: np.ndarray) -> None:
        self.data.ctrl[:3] = action[:3]
        self.data.ctrl[3:5] = L.FINGER_OPEN * (1.0 - action[3]) / 2  # grip +1 -> fingers at 0 (closed)

    def _set_state(self, state: np.ndarray) -> None:
        super()._set_state(state)
        self.data.ctrl[3:5] = state[3]  # hold the fingers where the state put them

    def _proprio(self) -> np.ndarray:
        s = self._read_state(self.data)
        return np.concatenate([s[0:4], s[11:15]])

    def _goal_metrics(self) -> tuple[float, bool]:
        cq = self._cube_q
        distance = float(np.linalg.norm(self.data.qpos[cq : cq + 3] - self._goal))
        return distance, distance < self.success_radius

    def _check_state(self, state: np.ndarray) -> np.ndarray:
        for name, xy in (("hand", state[0:2]), ("cube", state[4:6]), ("target", state[21:23])):
            if np.max(np.abs(xy)) > L.TABLE_HALF:
                raise EnvError(f"{name} position {xy.tolist()} is off the table (±{L.TABLE_HALF} m)")
        # Joint limits are soft in MuJoCo: recorded openings overshoot them by a hair.
        if not -0.005 <= state[3] <= L.FINGER_OPEN + 0.005:
            raise EnvError(f"finger opening {state[3]:.4f} is outside [0, {L.FINGER_OPEN}]")
        state = state.copy()
        state[3] = np.clip(state[3], 0.0, L.FINGER_OPEN)
        return state

    def _check_goal(self, goal: np.ndarray) -> np.ndarray:
        if np.max(np.abs(goal[:2])) > L.TABLE_HALF or goal[2] < 0:
            raise EnvError(f"goal {goal.tolist()} is off the table (±{L.TABLE_HALF} m, z >= 0)")
        return goal
