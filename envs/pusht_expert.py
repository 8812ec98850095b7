"""PushT's scripted expert: choose a push on the T's outline, walk around the block to it, push."""

from __future__ import annotations

import numpy as np

from worldjepa.envs import pusht_layout as PL
from worldjepa.envs.policies import POLICIES, ARNoise, GoalTracker


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
        self.goal = GoalTracker(3)
        self._contact: int | None = None
        self._pushing = False
        self._unreachable: set[int] = set()
        self._outline: tuple[float, tuple[np.ndarray, np.ndarray]] | None = None

    def reset(self, obs: dict, info: dict) -> None:
        self.noise.reset()
        self.goal.reset(info)
        self._contact, self._pushing = None, False
        self._unreachable: set[int] = set()  # outline points found unreachable for this target

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """info["state"] (13,), info["goal"] (3,), info["factors"] -> action (2,) float32."""
        state = np.asarray(info["state"], dtype=np.float64)
        pusher, block = state[0:2], state[2:5]
        scale, radius = info["factors"]["block_scale"], info["factors"]["pusher_radius"]
        self.goal.update(info)
        dpos = np.linalg.norm(self.goal.target[:2] - block[:2])
        dang = PL.wrap_angle(self.goal.target[2] - block[2])
        if dpos < 0.6 * self.tolerances[0] and abs(dang) < 0.6 * self.tolerances[1]:
            self.goal.target, self._contact = PL.sample_pose(self.rng), None
            self._unreachable = set()

        rot = PL.rotation(block[2])
        com_local = PL.centre_of_mass(scale)
        com = block[:2] + rot @ com_local
        points, normals = self._outline_of(scale)
        points, normals = block[:2] + points @ rot.T, normals @ rot.T
        target_com = self.goal.target[:2] + PL.rotation(self.goal.target[2]) @ com_local
        want = np.r_[target_com - com, self.gyration * PL.wrap_angle(self.goal.target[2] - block[2])]
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
