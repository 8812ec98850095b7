"""Cube's scripted expert: pick the cube up and place it on the target."""

from __future__ import annotations

import numpy as np

from worldjepa.envs import cube_layout as CL
from worldjepa.envs.policies import POLICIES, ARNoise, GoalTracker


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
        self.goal = GoalTracker(3)

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self.goal.reset(info)

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (24,), info["goal"] (3,), info["factors"] -> action (4,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        hand, finger, cube = state[0:3], state[3], state[4:7]
        half = float(info["factors"]["cube_size"])
        self.goal.update(info)
        grasp_z = cube[2] - half + 0.006  # fingertips just above the table beside the cube
        centred = np.linalg.norm(hand[:2] - cube[:2]) < 0.012
        # A yawed cube is up to sqrt(2) x wider between the fingers than a square-on one.
        holding = centred and abs(hand[2] - grasp_z) < 0.03 and half - 0.01 < finger < 1.45 * half + 0.004
        at_target = np.linalg.norm(cube - self.goal.target) < 0.5 * self.success_radius
        grip = 1.0
        if at_target and not holding:  # placed and released: lift off, then a new target
            want, grip = np.r_[hand[:2], CL.CARRY_HEIGHT], -1.0
            if hand[2] > cube[2] + 0.05:
                self.goal.target = np.r_[CL.sample_xy(self.rng), half]
        elif at_target:  # placed: let go
            want, grip = hand, -1.0
        elif holding:  # carry high, then lower onto the target
            over = np.linalg.norm(cube[:2] - self.goal.target[:2]) < 0.01
            if over:
                want = np.r_[self.goal.target[:2], self.goal.target[2] - half + 0.006]
            elif hand[2] < CL.CARRY_HEIGHT - 0.02 and np.linalg.norm(cube[:2] - self.goal.target[:2]) > 0.03:
                want = np.r_[hand[:2], CL.CARRY_HEIGHT]
            else:
                want = np.r_[self.goal.target[:2], CL.CARRY_HEIGHT]
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
