"""``worldjepa/Reacher-v0``: a planar two-link arm reaching a target, seen from above.

Two hinges driven by torque motors move the arm over a floor; the target is a disc on two
frictionless slide joints that nothing collides with, so its position lives in the state
(qpos) and a scratch render of any state shows it where it was. Link lengths change the
scene's geometry, so they recompile it; damping, gain, colours, light and camera height are
written into the compiled model at reset.

State: [q1, q2, dq1, dq2, target_x, target_y, fingertip_x, fingertip_y] (the fingertip is
derived from q and the link lengths; it is read, never written). Goal: a fingertip position
(2,); success = fingertip within ``success_radius`` of it.
"""

from __future__ import annotations

import mujoco
import numpy as np

from worldjepa.envs import reacher_layout as L
from worldjepa.envs.mujoco_env import MujocoGoalEnv, visual_xml
from worldjepa.errors import EnvError

REACHER_FACTORS = L.REACHER_FACTORS
FACTORS = REACHER_FACTORS
LINK_RADIUS = 0.02
TARGET_RADIUS = 0.025


def _mjcf(image_size: int, l1: float, l2: float) -> str:
    a, r = L.ARENA_HALF, LINK_RADIUS
    return f"""
<mujoco model="reacher">
  {visual_xml(image_size)}
  <compiler angle="radian"/>
  <option gravity="0 0 0" integrator="implicitfast"/>
  <asset><material name="matte" specular="0" shininess="0" reflectance="0" rgba="0.5 0.5 0.5 1"/></asset>
  <default>
    <geom material="matte" contype="0" conaffinity="0"/>
    <joint limited="false" damping="0.02" armature="0.0005"/>
  </default>
  <worldbody>
    <camera name="main" pos="0 0 0.65" fovy="45"/>
    <geom name="floor" type="plane" size="{a} {a} 0.05"/>
    <geom name="shoulder" type="cylinder" pos="0 0 0.01" size="{1.6 * r} 0.01" rgba="0.3 0.3 0.3 1"/>
    <body name="link1" pos="0 0 0.02">
      <joint name="shoulder" type="hinge" axis="0 0 1"/>
      <geom name="link1" type="capsule" fromto="0 0 0 {l1} 0 0" size="{r}" mass="0.04"/>
      <body name="link2" pos="{l1} 0 0">
        <joint name="elbow" type="hinge" axis="0 0 1" range="{-L.ELBOW_LIMIT} {L.ELBOW_LIMIT}" limited="true"/>
        <geom name="link2" type="capsule" fromto="0 0 0 {l2} 0 0" size="{r}" mass="0.04"/>
      </body>
    </body>
    <body name="target" pos="0 0 0.005">
      <joint name="target_x" type="slide" axis="1 0 0" damping="0" armature="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" damping="0" armature="0"/>
      <geom name="target" type="cylinder" size="{TARGET_RADIUS} 0.004" mass="0.01"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="shoulder" joint="shoulder" gear="0.06" ctrlrange="-1 1" ctrllimited="true"/>
    <motor name="elbow" joint="elbow" gear="0.06" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>
"""


class ReacherEnv(MujocoGoalEnv):
    """Move the fingertip of a two-link arm to a target.

    Observation: {"pixels": (S, S, 3) uint8, "proprio": (4,) float32 [q1, q2, dq1, dq2]}.
    Action: (2,) float32 in [-1, 1], shoulder and elbow torques (times ``actuator_gain``).
    Reward: -distance(fingertip, goal).
    """

    FACTORS = REACHER_FACTORS
    STATE_NAMES = ("q1", "q2", "dq1", "dq2", "target_x", "target_y", "fingertip_x", "fingertip_y")
    ACTION_DIM, PROPRIO_DIM, GOAL_DIM = 2, 4, 2
    TIMESTEP, FRAME_SKIP = 0.01, 5  # env dt = 0.05 s
    COMPILED_FACTORS = ("link1_length", "link2_length")

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        success_radius: float = 0.03,
        render_mode: str | None = "rgb_array",
    ):
        self.success_radius = float(success_radius)
        super().__init__(image_size, factor_split, render_mode, success_radius=success_radius)

    @property
    def links(self) -> tuple[float, float]:
        return float(self.factors["link1_length"]), float(self.factors["link2_length"])

    def sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(start (8,) at rest with a random target on the floor, goal = that target (2,)).

        The target is redrawn while the start's fingertip is within 2 success radii of it."""
        l1, l2 = self.links
        q = np.array([rng.uniform(-np.pi, np.pi), rng.uniform(-L.ELBOW_LIMIT, L.ELBOW_LIMIT)])
        tip = L.fingertip(q, l1, l2)
        target = L.sample_target(rng, l1, l2)
        while np.linalg.norm(target - tip) < 2 * self.success_radius:
            target = L.sample_target(rng, l1, l2)
        return np.concatenate([q, [0.0, 0.0], target, tip]), target

    def goal_state(self, start_state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """The arm at rest with its fingertip on the target (the elbow bent the way it starts)."""
        start = np.asarray(start_state, np.float64)
        q = L.inverse_kinematics(
            np.asarray(goal, np.float64), *self.links, elbow=1.0 if start[1] >= 0 else -1.0
        )
        return np.concatenate([q, [0.0, 0.0], goal, L.fingertip(q, *self.links)])

    def goal_of(self, state: np.ndarray) -> np.ndarray:
        """The goal a state achieves: where its fingertip is (recomputed from q, not trusted)."""
        return L.fingertip(np.asarray(state, np.float64)[:2], *self.links)

    # ------------------------------------------------------------------- hooks
    def _mjcf(self, factors: dict) -> str:
        return _mjcf(self.image_size, factors["link1_length"], factors["link2_length"])

    def _bind(self) -> None:
        m = self.model
        gid = lambda n: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        self._geom = {n: gid(n) for n in ("floor", "link1", "link2", "target")}
        self._arm_dofs = [
            m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)] for n in ("shoulder", "elbow")
        ]

    def _apply_factors(self, f: dict) -> None:
        m = self.model
        m.geom_rgba[[self._geom["link1"], self._geom["link2"]], :3] = f["arm_color"]
        m.geom_rgba[self._geom["target"], :3] = f["target_color"]
        m.geom_rgba[self._geom["floor"], :3] = f["floor_color"]
        m.vis.headlight.diffuse[:] = f["light"]
        m.cam_pos[self._camera, 2] = f["camera_distance"]
        m.dof_damping[self._arm_dofs] = f["joint_damping"]
        m.actuator_gear[:, 0] = f["actuator_gain"]

    def _read_state(self, data: mujoco.MjData) -> np.ndarray:
        # From q, not data.site_xpos: after mj_step the site still sits where the last physics
        # substep began, so it would lag the joint angles it is recorded beside.
        tip = L.fingertip(data.qpos[:2], *self.links)
        return np.concatenate([data.qpos[:2], data.qvel[:2], data.qpos[2:4], tip])

    def _write_state(self, data: mujoco.MjData, state: np.ndarray) -> None:
        data.qpos[:] = state[[0, 1, 4, 5]]
        data.qvel[:] = [state[2], state[3], 0.0, 0.0]

    def _proprio(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[:2], self.data.qvel[:2]])

    def _goal_metrics(self) -> tuple[float, bool]:
        distance = float(np.linalg.norm(L.fingertip(self.data.qpos[:2], *self.links) - self._goal))
        return distance, distance < self.success_radius

    def _check_state(self, state: np.ndarray) -> np.ndarray:
        if abs(state[1]) > L.ELBOW_LIMIT + 1e-3:
            raise EnvError(f"elbow angle q2={state[1]:.3f} is beyond its limit ±{L.ELBOW_LIMIT}")
        if np.max(np.abs(state[4:6])) > L.ARENA_HALF:
            raise EnvError(f"target {state[4:6].tolist()} is off the floor (±{L.ARENA_HALF} m)")
        return state

    def _check_goal(self, goal: np.ndarray) -> np.ndarray:
        if np.linalg.norm(goal) > sum(self.links) + 1e-6:
            raise EnvError(f"goal {goal.tolist()} is out of the arm's reach ({sum(self.links):.3f} m)")
        return goal
