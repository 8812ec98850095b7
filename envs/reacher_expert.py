"""Reacher's scripted expert: joint-space PD toward the inverse kinematics of a target."""

from __future__ import annotations

import numpy as np

from worldjepa.envs import reacher_layout as RL
from worldjepa.envs.policies import POLICIES, ARNoise, GoalTracker


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
        self.goal = GoalTracker(2)

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self.goal.reset(info)

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (8,), info["goal"] (2,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        q, dq, tip = state[:2], state[2:4], state[6:8]
        l1, l2 = info["factors"]["link1_length"], info["factors"]["link2_length"]
        self.goal.update(info)
        if np.linalg.norm(tip - self.goal.target) < self.success_radius:
            self.goal.target = RL.sample_target(self.rng, l1, l2)
        q_star = RL.inverse_kinematics(self.goal.target, l1, l2, elbow=1.0 if q[1] >= 0 else -1.0)
        error = np.array([RL.wrap_angle(q_star[0] - q[0]), q_star[1] - q[1]])
        action = self.kp * error - self.kd * dq + self.noise()
        return np.clip(action, -1.0, 1.0).astype(np.float32)
