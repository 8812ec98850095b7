"""Data-collection policies: act on ONE env with numpy, each from its own seeded generator.

    policy = make_policy("expert", env, seed=0)   # "expert" = the env's own scripted expert
    obs, info = env.reset(seed=0); policy.reset(obs, info)
    action = policy(obs, info)            # (2,) float32 in the action space

Pure numpy: no MuJoCo import (door geometry is read from ``info["factors"]``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from worldjepa.envs import cube_layout as CL
from worldjepa.envs import pusht_layout as PL
from worldjepa.envs import reacher_layout as RL
from worldjepa.envs import tworoom_layout as L
from worldjepa.errors import EnvError
from worldjepa.registry import Registry


class Policy(Protocol):
    def reset(self, obs: dict, info: dict) -> None: ...

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """obs, info of the current step -> action (A,) float32."""
        ...


POLICIES: Registry[type] = Registry("policy")


def make_policy(name: str, env, seed: int, **kwargs) -> Policy:
    """Build a registered policy for ``env`` (wrapped or not); kwargs go to its constructor.

    ``"expert"`` names the env's own scripted expert (its ``EnvSpec.expert``)."""
    if name == "expert":
        from worldjepa.envs import expert_policy_name

        name = expert_policy_name(env)
    return POLICIES.get(name)(env, seed=seed, **kwargs)


@POLICIES.register("random")
class RandomPolicy:
    """Uniform actions in the env's Box action space."""

    def __init__(self, env, seed: int):
        self.low = np.asarray(env.action_space.low, dtype=np.float64)
        self.high = np.asarray(env.action_space.high, dtype=np.float64)
        self.rng = np.random.default_rng(seed)

    def reset(self, obs: dict, info: dict) -> None:
        pass

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        return self.rng.uniform(self.low, self.high).astype(np.float32)


class ARNoise:
    """AR(1) (discrete Ornstein-Uhlenbeck) noise of stationary std ``scale`` and per-step
    correlation ``corr``: scripted experts wander smoothly rather than jitter."""

    def __init__(self, rng: np.random.Generator, dim: int, scale: float, corr: float):
        if not 0.0 <= corr < 1.0:
            raise ValueError(f"noise_corr must be in [0, 1), got {corr}")
        self.rng, self.dim, self.scale, self.corr = rng, dim, scale, corr
        self.value = np.zeros(dim)

    def reset(self) -> None:
        self.value = self.rng.normal(0.0, self.scale, self.dim)

    def __call__(self) -> np.ndarray:
        rho = self.corr
        self.value = rho * self.value + np.sqrt(1 - rho**2) * self.rng.normal(0.0, self.scale, self.dim)
        return self.value


@POLICIES.register("tworoom_expert")
class TwoRoomExpert:
    """Noisy scripted TwoRoom expert: PD control toward a waypoint, through the door if needed.

    Waypoints are recomputed from the position every step (no stored plan, so being knocked
    off course by noise or a wall is harmless): same room -> the target; otherwise a point
    ``approach`` metres before the door until aligned with the gap, then a point as far past
    it. Noise is AR(1) (a discrete Ornstein-Uhlenbeck process) with stationary std ``noise``
    and correlation ``noise_corr`` per step, so trajectories wander smoothly rather than
    jitter. After reaching the env's goal it draws its own fresh targets and keeps moving,
    so recorded episodes never stall.
    """

    def __init__(
        self,
        env,
        seed: int,
        noise: float = 0.3,
        noise_corr: float = 0.85,
        kp: float = 5.0,
        kd: float = 0.6,
        approach: float = 0.3,
    ):
        self.kp, self.kd, self.approach = kp, kd, approach
        self.success_radius = float(getattr(env.unwrapped, "success_radius", 0.15))
        self.rng = np.random.default_rng(seed)
        self.noise = ARNoise(self.rng, 2, noise, noise_corr)
        self._env_goal = np.zeros(2)
        self._target = np.zeros(2)
        self._chasing_env_goal = True

    def reset(self, obs: dict, info: dict) -> None:
        missing = {"door_position", "door_width"} - set(info.get("factors", {}))
        if missing:
            raise EnvError(
                f"the TwoRoom expert needs info['factors'] with {sorted(missing)}; is this TwoRoom?"
            )
        self.noise.reset()
        self._env_goal = np.asarray(info["goal"], dtype=np.float64).copy()
        self._target, self._chasing_env_goal = self._env_goal.copy(), True

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (4,), info["goal"] (2,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        pos, vel = state[:2], state[2:]
        goal = np.asarray(info["goal"], dtype=np.float64)
        if not np.array_equal(goal, self._env_goal):  # set_goal() mid-episode: chase the new goal
            self._env_goal, self._target, self._chasing_env_goal = goal.copy(), goal.copy(), True
        if np.linalg.norm(pos - self._target) < self.success_radius:
            self._target, self._chasing_env_goal = L.sample_free_position(self.rng), False
        factors = info["factors"]
        waypoint = self.waypoint(pos, self._target, factors["door_position"], factors["door_width"])
        action = self.kp * (waypoint - pos) - self.kd * vel + self.noise()
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    def waypoint(self, pos: np.ndarray, target: np.ndarray, door_y: float, door_w: float) -> np.ndarray:
        """pos, target: (2,) -> (2,) the point to steer toward now."""
        here, there = L.room_of(pos), L.room_of(target)
        if here == there:
            return target
        # In the doorway band: step out on the target's side (the target's own x if it is in it too).
        side = there if there != 0 else -here
        past = np.array([side * self.approach, door_y])
        if here == 0:
            return past
        # Aligned = centre within the gap. Walls are frictionless, so a slightly off-centre
        # agent is deflected in by the door edge; a stricter test makes it hover before
        # narrow doors, where the noise exceeds the clearance.
        aligned = abs(pos[1] - door_y) < door_w / 2
        if aligned and abs(pos[0]) < self.approach + 0.05:
            return target if there == 0 else past
        return np.array([here * self.approach, door_y])


@POLICIES.register("reacher_expert")
class ReacherExpert:
    """Noisy scripted Reacher expert: joint-space PD toward the inverse kinematics of its target.

    The target is the env's goal; once the fingertip is there, it draws fresh reachable
    targets and keeps moving, so recorded episodes never stall. The elbow keeps the bend
    it has (no flips through the singular straight arm).
    """

    def __init__(
        self, env, seed: int, noise: float = 0.3, noise_corr: float = 0.85, kp: float = 3.0, kd: float = 0.3
    ):
        self.kp, self.kd = kp, kd
        self.success_radius = float(getattr(env.unwrapped, "success_radius", 0.03))
        self.rng = np.random.default_rng(seed)
        self.noise = ARNoise(self.rng, 2, noise, noise_corr)
        self._env_goal = np.zeros(2)
        self._target = np.zeros(2)

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self._env_goal = np.asarray(info["goal"], dtype=np.float64).copy()
        self._target = self._env_goal.copy()

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (8,), info["goal"] (2,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        q, dq, tip = state[:2], state[2:4], state[6:8]
        l1, l2 = info["factors"]["link1_length"], info["factors"]["link2_length"]
        goal = np.asarray(info["goal"], dtype=np.float64)
        if not np.array_equal(goal, self._env_goal):  # set_goal() mid-episode: chase the new goal
            self._env_goal, self._target = goal.copy(), goal.copy()
        if np.linalg.norm(tip - self._target) < self.success_radius:
            self._target = RL.sample_target(self.rng, l1, l2)
        q_star = RL.inverse_kinematics(self._target, l1, l2, elbow=1.0 if q[1] >= 0 else -1.0)
        error = np.array([RL.wrap_angle(q_star[0] - q[0]), q_star[1] - q[1]])
        action = self.kp * error - self.kd * dq + self.noise()
        return np.clip(action, -1.0, 1.0).astype(np.float32)


@POLICIES.register("pusht_expert")
class PushTExpert:
    """Noisy scripted PushT expert: pick where to push, get there around the block, push.

    Every step it scores each point of the T's outline by how well pushing there (straight
    in, along the inward normal) moves the block toward the target pose: the push's force
    and torque about the centroid against the wanted translation and rotation. It keeps its
    current contact unless another is clearly better, walks to a point just outside the
    contact (going around the block when the block is in the way), then pushes through it.
    Once the block is at the target it draws a new target pose, so episodes keep pushing.
    """

    def __init__(self, env, seed: int, noise: float = 0.15, noise_corr: float = 0.8, kp: float = 15.0,
                 gyration: float = 0.1, standoff: float = 0.03):  # fmt: skip
        self.kp, self.gyration, self.standoff = kp, gyration, standoff
        u = env.unwrapped
        self.tolerances = (
            float(getattr(u, "position_tolerance", 0.04)),
            float(getattr(u, "angle_tolerance", 0.35)),
        )
        self.rng = np.random.default_rng(seed)
        self.noise = ARNoise(self.rng, 2, noise, noise_corr)
        self._env_goal = np.zeros(3)
        self._target = np.zeros(3)
        self._contact: int | None = None
        self._pushing = False
        self._unreachable: set[int] = set()
        self._outline: tuple[float, tuple[np.ndarray, np.ndarray]] | None = None

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self._env_goal = np.asarray(info["goal"], dtype=np.float64).copy()
        self._target = self._env_goal.copy()
        self._contact, self._pushing = None, False
        self._unreachable: set[int] = set()  # outline points found unreachable for this target

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (13,), info["goal"] (3,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        pusher, block = state[0:2], state[2:5]
        scale, radius = info["factors"]["block_scale"], info["factors"]["pusher_radius"]
        goal = np.asarray(info["goal"], dtype=np.float64)
        if not np.array_equal(goal, self._env_goal):  # set_goal() mid-episode: chase the new goal
            self._env_goal, self._target = goal.copy(), goal.copy()
        dpos = np.linalg.norm(self._target[:2] - block[:2])
        dang = PL.wrap_angle(self._target[2] - block[2])
        if dpos < 0.6 * self.tolerances[0] and abs(dang) < 0.6 * self.tolerances[1]:
            self._target, self._contact = PL.sample_pose(self.rng), None
            self._unreachable = set()

        rot = PL.rotation(block[2])
        com_local = PL.centre_of_mass(scale)
        com = block[:2] + rot @ com_local
        points, normals = self._outline_of(scale)
        points, normals = block[:2] + points @ rot.T, normals @ rot.T
        target_com = self._target[:2] + PL.rotation(self._target[2]) @ com_local
        want = np.r_[target_com - com, self.gyration * PL.wrap_angle(self._target[2] - block[2])]
        push = -normals
        arm = points - com
        torque = (arm[:, 0] * push[:, 1] - arm[:, 1] * push[:, 0]) / self.gyration  # z of arm x push
        effect = np.c_[push, torque] / np.linalg.norm(np.c_[push, torque], axis=1, keepdims=True)
        score = effect @ want
        score[list(self._unreachable)] = -np.inf
        best = int(np.argmax(score))
        if self._contact is None or self._contact >= len(score) or score[self._contact] < 0.85 * score[best]:
            self._contact, self._pushing = best, False
        c, n = points[self._contact], normals[self._contact]
        ready = c + n * (radius + self.standoff)
        if self._pushing or np.linalg.norm(pusher - ready) < 0.015:
            self._pushing = np.linalg.norm(pusher - c) < radius + self.standoff + 0.03
            waypoint = c - n * 0.05
        else:
            waypoint = self._route(pusher, ready, block, com, scale, radius)
            if waypoint is None:  # a contact in a pocket the pusher cannot get into
                self._unreachable.add(self._contact)
                self._contact, waypoint = None, pusher
        lim = PL.TABLE_HALF - radius - 0.01
        waypoint = np.clip(waypoint, -lim, lim)
        action = self.kp * (waypoint - pusher) + self.noise()
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    def _outline_of(self, scale: float) -> tuple[np.ndarray, np.ndarray]:
        if self._outline is None or self._outline[0] != scale:
            self._outline = (scale, PL.boundary(scale, spacing=0.01))
        return self._outline[1]

    def _route(self, pusher, ready, block, com, scale, radius) -> np.ndarray | None:
        """The next waypoint of the shortest path to ``ready`` that keeps the pusher off the
        block, over a visibility graph of 16 points on a circle around it; None if there is none."""
        rot = PL.rotation(block[2])
        reach = 0.2 * scale + radius + 0.04  # beyond the T's farthest point from its centroid
        angles = np.linspace(-np.pi, np.pi, 16, endpoint=False)
        lim = PL.TABLE_HALF - radius - 0.01
        ring = np.clip(com + reach * np.c_[np.cos(angles), np.sin(angles)], -lim, lim)
        nodes = np.vstack([pusher, ready, ring])  # (N, 2)
        t = np.linspace(0.1, 0.9, 9)[None, None, :, None]
        seg = nodes[:, None, None] + t * (nodes[None, :, None] - nodes[:, None, None])  # (N, N, 9, 2)
        n = len(nodes)
        # The pusher may already touch the block: a hair under its radius counts as clear.
        hit = PL.inside((seg.reshape(-1, 2) - block[:2]) @ rot, scale, margin=radius - 0.003)
        dist = np.linalg.norm(nodes[:, None] - nodes[None], axis=-1)
        dist[hit.reshape(n, n, -1).any(-1)] = np.inf
        best, prev, done = np.full(n, np.inf), np.full(n, -1), np.zeros(n, bool)
        best[0] = 0.0
        for _ in range(n):  # Dijkstra on a dense graph of 18 nodes
            u = int(np.argmin(np.where(done, np.inf, best)))
            if not np.isfinite(best[u]) or u == 1:
                break
            done[u] = True
            better = best[u] + dist[u] < best
            best[better], prev[better] = best[u] + dist[u][better], u
        if not np.isfinite(best[1]):
            return None
        path = [1]
        while prev[path[-1]] != 0:
            path.append(prev[path[-1]])
        # The first node not already under the pusher (it may stand on a ring point).
        ahead = [k for k in reversed(path) if np.linalg.norm(nodes[k] - pusher) > 0.02]
        return nodes[ahead[0] if ahead else 1]


@POLICIES.register("cube_expert")
class CubeExpert:
    """Noisy scripted pick-and-place: above the cube, down, close, lift, carry, lower, release.

    The phase is read off the state every step (no stored plan), so a dropped cube is simply
    picked up again. Once a cube rests at the target it draws a new target and goes on.
    """

    def __init__(self, env, seed: int, noise: float = 0.1, noise_corr: float = 0.8, kp: float = 12.0):
        self.kp = kp
        self.success_radius = float(getattr(env.unwrapped, "success_radius", 0.04))
        self.rng = np.random.default_rng(seed)
        self.noise = ARNoise(self.rng, 3, noise, noise_corr)
        self._env_goal = np.zeros(3)
        self._target = np.zeros(3)

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self._env_goal = np.asarray(info["goal"], dtype=np.float64).copy()
        self._target = self._env_goal.copy()

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (24,), info["goal"] (3,), info["factors"] -> action (4,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        hand, finger, cube = state[0:3], state[3], state[4:7]
        half = float(info["factors"]["cube_size"])
        goal = np.asarray(info["goal"], dtype=np.float64)
        if not np.array_equal(goal, self._env_goal):  # set_goal() mid-episode: chase the new goal
            self._env_goal, self._target = goal.copy(), goal.copy()
        grasp_z = cube[2] - half + 0.006  # fingertips just above the table beside the cube
        centred = np.linalg.norm(hand[:2] - cube[:2]) < 0.012
        # A yawed cube is up to sqrt(2) x wider between the fingers than a square-on one.
        holding = centred and abs(hand[2] - grasp_z) < 0.03 and half - 0.01 < finger < 1.45 * half + 0.004
        at_target = np.linalg.norm(cube - self._target) < 0.5 * self.success_radius
        grip = 1.0
        if at_target and not holding:  # placed and released: lift off, then a new target
            want, grip = np.r_[hand[:2], CL.CARRY_HEIGHT], -1.0
            if hand[2] > cube[2] + 0.05:
                self._target = np.r_[CL.sample_xy(self.rng), half]
        elif at_target:  # placed: let go
            want, grip = hand, -1.0
        elif holding:  # carry high, then lower onto the target
            over = np.linalg.norm(cube[:2] - self._target[:2]) < 0.01
            if over:
                want = np.r_[self._target[:2], self._target[2] - half + 0.006]
            elif hand[2] < CL.CARRY_HEIGHT - 0.02 and np.linalg.norm(cube[:2] - self._target[:2]) > 0.03:
                want = np.r_[hand[:2], CL.CARRY_HEIGHT]
            else:
                want = np.r_[self._target[:2], CL.CARRY_HEIGHT]
        elif not centred:  # above the cube, high enough not to knock it (or re-centre if close)
            clear, near = cube[2] + half + 0.04, np.linalg.norm(hand[:2] - cube[:2]) < 0.03
            if near:
                want = np.r_[cube[:2], hand[2]]
            elif hand[2] < clear - 0.01:
                want = np.r_[hand[:2], clear + 0.02]
            else:
                want = np.r_[cube[:2], max(hand[2], clear)]
            grip = -1.0
        elif hand[2] > grasp_z + 0.004:
            want, grip = np.r_[cube[:2], grasp_z], -1.0  # down with open fingers
        else:
            want = np.r_[cube[:2], grasp_z]  # close on the cube
        action = np.clip(self.kp * (want - hand) + self.noise(), -1.0, 1.0)
        return np.r_[action, grip].astype(np.float32)
