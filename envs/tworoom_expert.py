"""TwoRoom's scripted expert: PD control toward a waypoint, through the door if needed."""

from __future__ import annotations

import numpy as np

from worldjepa.envs import tworoom_layout as L
from worldjepa.envs.policies import POLICIES, ARNoise, GoalTracker
from worldjepa.errors import EnvError


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
        self.goal = GoalTracker(2)
        self._chasing_env_goal = True

    def reset(self, obs: dict, info: dict) -> None:
        missing = {"door_position", "door_width"} - set(info.get("factors", {}))
        if missing:
            raise EnvError(
                f"the TwoRoom expert needs info['factors'] with {sorted(missing)}; is this TwoRoom?"
            )
        self.noise.reset()
        self.goal.reset(info)
        self._chasing_env_goal = True

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (4,), info["goal"] (2,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        pos, vel = state[:2], state[2:]
        if self.goal.update(info):  # set_goal() mid-episode: chase the new goal
            self._chasing_env_goal = True
        if np.linalg.norm(pos - self.goal.target) < self.success_radius:
            self.goal.target, self._chasing_env_goal = L.sample_free_position(self.rng), False
        factors = info["factors"]
        waypoint = self.waypoint(pos, self.goal.target, factors["door_position"], factors["door_width"])
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
