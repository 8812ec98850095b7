"""``worldjepa/TwoRoom-v0``: a point agent in two rooms joined by a door, seen from above.

The agent is a sphere on two slide joints (x, y) driven by two motors; it floats just
above the floor and collides only with the walls. Observations are top-down orthographic
renders plus proprioception [x, y, vx, vy]. Factors of variation (colours, door geometry,
mass, damping) are written into the compiled MjModel at reset, so no recompile is needed.

Physics (defaults): force = GEAR * action, so the terminal speed is GEAR / damping =
3.5 / 5 = 0.7 m/s and the velocity time constant is mass / damping = 0.5 / 5 = 0.1 s.
"""

from __future__ import annotations

import mujoco
import numpy as np
from gymnasium import Env, spaces
from gymnasium.utils import EzPickle

from worldjepa.envs import tworoom_layout as L
from worldjepa.envs.factors import SPLITS
from worldjepa.errors import EnvError

TWOROOM_FACTORS = L.TWOROOM_FACTORS
FACTORS = TWOROOM_FACTORS

GEAR = 3.5  # N per unit action
TIMESTEP = 0.01
FRAME_SKIP = 5  # env dt = 0.05 s
# The camera sees the interior plus half of each outer wall, so walls frame the image.
CAMERA_VIEW = 2 * (L.ARENA_HALF + L.OUTER_WALL_HALF_THICKNESS / 2)
RESET_OPTIONS = ("factors", "state", "goal")


def _mjcf(image_size: int) -> str:
    """The arena at default factors; reset() overwrites the factor-controlled fields."""
    h, t, a, r = L.WALL_HALF_HEIGHT, L.OUTER_WALL_HALF_THICKNESS, L.ARENA_HALF, L.AGENT_RADIUS
    o, span = a + t, a + 2 * t
    outer = "\n".join(
        f'<geom name="{n}" class="wall" pos="{px} {py} {h}" size="{sx} {sy} {h}"/>'
        for n, px, py, sx, sy in (
            ("wall_north", 0, o, span, t),
            ("wall_south", 0, -o, span, t),
            ("wall_east", o, 0, t, span),
            ("wall_west", -o, 0, t, span),
        )
    )
    fb = max(image_size, 64)
    return f"""
<mujoco model="tworoom">
  <option timestep="{TIMESTEP}"/>
  <visual>
    <quality shadowsize="0" offsamples="0"/>
    <global offwidth="{fb}" offheight="{fb}"/>
    <headlight ambient="0.55 0.55 0.55" diffuse="0.45 0.45 0.45" specular="0 0 0"/>
  </visual>
  <asset><material name="matte" specular="0" shininess="0" reflectance="0" rgba="0.5 0.5 0.5 1"/></asset>
  <default>
    <geom material="matte" contype="0" conaffinity="0" condim="1"/>
    <default class="wall"><geom type="box" contype="1" conaffinity="1"/></default>
  </default>
  <worldbody>
    <camera name="top" pos="0 0 2" projection="orthographic" fovy="{CAMERA_VIEW}"/>
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


def _as_vector(value: object, size: int, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (size,) or not np.all(np.isfinite(arr)):
        raise EnvError(f"{what} must be a finite array of shape ({size},), got {value!r}")
    return arr


class TwoRoomEnv(Env, EzPickle):
    """Reach a goal position, possibly in the other room through the door.

    Observation: {"pixels": (S, S, 3) uint8, "proprio": (4,) float32 [x, y, vx, vy]}.
    Action: (2,) float32 in [-1, 1], motor forces along x and y.
    Reward: -distance(agent, goal). ``terminated`` is always False: success is reported
    in ``info["is_success"]`` because evaluation counts success at any step and data
    recording wants the agent to keep moving after reaching the goal.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": round(1 / (TIMESTEP * FRAME_SKIP))}
    STATE_NAMES = ("agent_x", "agent_y", "agent_vx", "agent_vy")

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        success_radius: float = 0.15,
        render_mode: str | None = "rgb_array",
    ):
        EzPickle.__init__(self, image_size, factor_split, success_radius, render_mode)
        if factor_split not in SPLITS:
            raise EnvError(f"unknown factor_split '{factor_split}'; available: {', '.join(SPLITS)}")
        if render_mode not in (None, "rgb_array"):
            raise EnvError(f"render_mode must be 'rgb_array' (or None), got {render_mode!r}")
        if not (isinstance(image_size, int) and 8 <= image_size <= 1024):
            raise EnvError(f"image_size must be an int in [8, 1024], got {image_size!r}")
        self.image_size, self.factor_split = image_size, factor_split
        self.success_radius, self.render_mode = float(success_radius), render_mode

        self.model = mujoco.MjModel.from_xml_string(_mjcf(image_size))
        self.data = mujoco.MjData(self.model)
        # render_state() poses this scratch copy, so the live simulation is never touched.
        self._scratch = mujoco.MjData(self.model)
        self._renderer: mujoco.Renderer | None = None
        gid = lambda n: mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, n)  # noqa: E731
        self._geom = {n: gid(n) for n in ("floor", "agent", "door_low", "door_high")}
        self._wall_geoms = [
            gid(n) for n in ("wall_north", "wall_south", "wall_east", "wall_west", "door_low", "door_high")
        ]
        self._agent_body = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, "agent")
        self._camera = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_CAMERA, "top")

        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.observation_space = spaces.Dict(
            pixels=spaces.Box(0, 255, (image_size, image_size, 3), np.uint8),
            proprio=spaces.Box(-np.inf, np.inf, (4,), np.float32),
        )
        # A usable state before the first reset (gymnasium still requires reset() first).
        self.factors = TWOROOM_FACTORS.resolve(None, np.random.default_rng(0), "default")
        self._apply_factors(self.factors)
        self._goal = np.array([0.5, 0.0])
        self._set_state(np.array([-0.5, 0.0, 0.0, 0.0]))

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise EnvError(f"unknown reset option(s) {unknown}; available: {', '.join(RESET_OPTIONS)}")
        factors = TWOROOM_FACTORS.resolve(options.get("factors"), self.np_random, self.factor_split)
        L.door_segments(factors["door_position"], factors["door_width"])  # validate before applying
        self.factors = factors
        self._apply_factors(factors)
        # Always draw the task, so the random stream does not depend on which options were given.
        start, goal = self.sample_task(self.np_random)
        if options.get("state") is not None:
            start = _as_vector(options["state"], 4, "reset option 'state'")
            self._check_position(start[:2], "reset option 'state'")
        if options.get("goal") is not None:
            goal = self._check_position(options["goal"], "reset option 'goal'")
        self._goal = goal
        mujoco.mj_resetData(self.model, self.data)  # also clears solver warm-starts: reproducible
        self._set_state(start)
        return self._observation(), self._info()

    def step(self, action):
        a = _as_vector(np.asarray(action, dtype=np.float64).reshape(-1), 2, "action")
        self.data.ctrl[:] = np.clip(a, self.action_space.low, self.action_space.high)
        mujoco.mj_step(self.model, self.data, nstep=FRAME_SKIP)
        info = self._info()
        return self._observation(), -info["distance"], False, False, info

    def render(self) -> np.ndarray:
        """Current top-down view: (S, S, 3) uint8."""
        return self._render(self.data)

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # ------------------------------------------------------------ evaluator API
    @property
    def dt(self) -> float:
        """Seconds of simulated time per env step."""
        return TIMESTEP * FRAME_SKIP

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.STATE_NAMES

    @property
    def state(self) -> np.ndarray:
        """(4,) float32 [x, y, vx, vy]."""
        return np.concatenate([self.data.qpos, self.data.qvel]).astype(np.float32)

    @property
    def goal(self) -> np.ndarray:
        """(2,) float32 goal position."""
        return self._goal.astype(np.float32)

    def set_goal(self, goal) -> None:
        """goal: (2,) position in free space (the door counts as free)."""
        self._goal = self._check_position(goal, "goal")

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

    def task_options(self, start_state, goal_state, factors: dict | None = None) -> dict:
        """Reset options for a recorded start/goal pair: start at ``start_state`` (4,), and the goal
        is where the agent is in ``goal_state`` (4,), so ``is_success`` judges reaching that frame."""
        options = {
            "state": np.asarray(start_state, np.float64),
            "goal": np.asarray(goal_state, np.float64)[:2],
        }
        if factors is not None:
            options["factors"] = dict(factors)
        return options

    def render_state(self, state) -> np.ndarray:
        """state: (4,) [x, y, vx, vy] -> (S, S, 3) uint8 view of the agent there (e.g. a goal image).

        Uses a scratch MjData, so the running simulation is left exactly as it was.
        """
        state = _as_vector(state, 4, "render_state state")
        self._scratch.qpos[:] = state[:2]
        self._scratch.qvel[:] = state[2:]
        mujoco.mj_forward(self.model, self._scratch)
        return self._render(self._scratch)

    # ---------------------------------------------------------------- internals
    def _apply_factors(self, f: dict) -> None:
        m = self.model
        m.geom_rgba[self._geom["agent"], :3] = f["agent_color"]
        m.geom_rgba[self._geom["floor"], :3] = f["floor_color"]
        m.geom_rgba[self._wall_geoms, :3] = f["wall_color"]
        segments = L.door_segments(f["door_position"], f["door_width"])
        for name, (centre, half) in zip(("door_low", "door_high"), segments, strict=True):
            m.geom_pos[self._geom[name], 1] = centre
            m.geom_size[self._geom[name], 1] = half
            # The broad phase culls with geom_rbound; keep it consistent with the new size.
            m.geom_rbound[self._geom[name]] = float(np.linalg.norm(m.geom_size[self._geom[name]]))
            m.geom_aabb[self._geom[name], 3:] = m.geom_size[self._geom[name]]
        m.body_mass[self._agent_body] = f["agent_mass"]
        m.dof_damping[:] = f["damping"]
        # The agent is a 'simple' body: MuJoCo takes its mass matrix from the precomputed
        # dof_M0, so a new body_mass only acts once the model constants are recomputed.
        mujoco.mj_setConst(m, self.data)

    def _check_position(self, xy, what: str) -> np.ndarray:
        xy = _as_vector(xy, 2, what)
        door = self.factors["door_position"], self.factors["door_width"]
        if not L.is_free(xy, *door, margin=L.AGENT_RADIUS):
            raise EnvError(
                f"{what} position {xy.tolist()} is outside the arena or overlaps a wall "
                f"(agent radius {L.AGENT_RADIUS}; door at y={door[0]:.3f}, width {door[1]:.3f})"
            )
        return xy

    def _set_state(self, state: np.ndarray) -> None:
        self.data.qpos[:] = state[:2]
        self.data.qvel[:] = state[2:]
        self.data.ctrl[:] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def _render(self, data: mujoco.MjData) -> np.ndarray:
        if self._renderer is None:  # created lazily: pickled / never-rendered envs need no GL context
            try:
                self._renderer = mujoco.Renderer(self.model, self.image_size, self.image_size)
            except mujoco.FatalError as err:
                raise EnvError(
                    f"cannot create a MuJoCo renderer ({err}); MUJOCO_GL must be set (e.g. 'egl') "
                    "before mujoco is first imported: import worldjepa.envs before mujoco"
                ) from err
        self._renderer.update_scene(data, camera=self._camera)
        return self._renderer.render()

    def _observation(self) -> dict[str, np.ndarray]:
        return {"pixels": self.render(), "proprio": self.state}

    def _info(self) -> dict:
        xy = self.data.qpos[:2]
        distance = float(np.linalg.norm(xy - self._goal))
        return {
            "state": self.state,
            "goal": self.goal,
            "factors": dict(self.factors),
            "is_success": bool(distance < self.success_radius),
            "distance": distance,
        }
