"""The machinery every worldjepa MuJoCo env shares.

A ``MujocoGoalEnv`` is a goal-conditioned task in a compiled MuJoCo scene:

- **Factors.** ``reset`` resolves the env's ``FactorSpace`` (a split, or named overrides).
  Factors listed in ``COMPILED_FACTORS`` change the scene's XML (link lengths, block scale), so
  the model is recompiled when, and only when, one of them changes; every other factor is
  written into the compiled model's fields by ``_apply_factors`` (colours, masses, lights).
- **Tasks.** A task is a start state plus a goal; ``task_options`` turns a recorded start/goal
  pair into reset options, so the env's own success predicate judges a planner.
- **Rendering.** Offscreen, from one named camera, lazily (a pickled or never-rendered env
  needs no GL context); ``render_state`` poses a scratch ``MjData``, so rendering a goal never
  disturbs the running simulation.

Subclasses set the class attributes below and implement the hooks marked ``subclass``.
"""

from __future__ import annotations

from typing import ClassVar

import mujoco
import numpy as np
from gymnasium import Env, spaces
from gymnasium.utils import EzPickle

from worldjepa.envs.checks import as_vector, reset_options
from worldjepa.envs.factors import FactorSpace, split_of
from worldjepa.errors import EnvError

# "goal" is a goal vector (GOAL_DIM,); "goal_state" a state (n_state,) whose achieved goal
# (goal_of) is the goal, judged under the factors of this reset (Reacher's fingertip depends on
# its link lengths, so a goal computed before the factors are loaded is another point).
RESET_OPTIONS = ("factors", "state", "goal", "goal_state")


def visual_xml(image_size: int, ambient: float = 0.55, diffuse: float = 0.45) -> str:
    """The <visual> block every env uses: no shadows or multisampling (offscreen rendering is
    ~40x slower with MuJoCo's default shadows) and a framebuffer large enough for image_size."""
    fb = max(image_size, 64)
    a, d = ambient, diffuse
    return f"""
  <visual>
    <quality shadowsize="0" offsamples="0"/>
    <global offwidth="{fb}" offheight="{fb}"/>
    <headlight ambient="{a} {a} {a}" diffuse="{d} {d} {d}" specular="0 0 0"/>
  </visual>"""


def outer_walls_xml(half: float, thickness: float, half_height: float) -> str:
    """Four class="wall" box geoms (wall_north/south/east/west) enclosing [-half, half]^2; each
    is ``2 * thickness`` thick, centred ``thickness`` outside the interior."""
    o, span = half + thickness, half + 2 * thickness
    return "\n".join(
        f'<geom name="{n}" class="wall" pos="{px} {py} {half_height}" size="{sx} {sy} {half_height}"/>'
        for n, px, py, sx, sy in (
            ("wall_north", 0, o, span, thickness),
            ("wall_south", 0, -o, span, thickness),
            ("wall_east", o, 0, thickness, span),
            ("wall_west", -o, 0, thickness, span),
        )
    )


class MujocoGoalEnv(Env, EzPickle):
    """Base class: pixels + proprio observations, ``info`` with state / goal / factors /
    is_success / distance, reward = -distance, never ``terminated`` (success is reported in
    ``info["is_success"]``: evaluation counts success at any step, and recording wants the
    agent to keep moving after it)."""

    FACTORS: ClassVar[FactorSpace]
    STATE_NAMES: ClassVar[tuple[str, ...]]  # the flat info["state"] (and the dataset's state_*)
    ACTION_DIM: ClassVar[int]
    PROPRIO_DIM: ClassVar[int]
    GOAL_DIM: ClassVar[int]
    CAMERA: ClassVar[str] = "main"
    TIMESTEP: ClassVar[float] = 0.01
    FRAME_SKIP: ClassVar[int] = 5  # physics steps per env step
    COMPILED_FACTORS: ClassVar[tuple[str, ...]] = ()  # factors the XML depends on

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        image_size: int = 64,
        factor_split: str = "default",
        render_mode: str | None = "rgb_array",
        **params,
    ):
        # EzPickle re-creates the env from these arguments, so envs pickle into AsyncVectorEnv workers.
        EzPickle.__init__(
            self, image_size=image_size, factor_split=factor_split, render_mode=render_mode, **params
        )
        split_of(factor_split, "visual")  # a named error for an unknown split, before any work
        if render_mode not in (None, "rgb_array"):
            raise EnvError(f"render_mode must be 'rgb_array' (or None), got {render_mode!r}")
        if not (isinstance(image_size, int) and not isinstance(image_size, bool) and 8 <= image_size <= 1024):
            raise EnvError(f"image_size must be an int in [8, 1024], got {image_size!r}")
        self.image_size, self.factor_split, self.render_mode = image_size, factor_split, render_mode
        self.metadata = {**self.metadata, "render_fps": round(1 / self.dt)}
        self.action_space = spaces.Box(-1.0, 1.0, (self.ACTION_DIM,), np.float32)
        self.observation_space = spaces.Dict(
            pixels=spaces.Box(0, 255, (image_size, image_size, 3), np.uint8),
            proprio=spaces.Box(-np.inf, np.inf, (self.PROPRIO_DIM,), np.float32),
        )
        self._renderer: mujoco.Renderer | None = None
        self._compiled_key: tuple | None = None
        # A usable scene and state before the first reset (gymnasium still requires reset first).
        self.factors = self.FACTORS.resolve(None, np.random.default_rng(0), "default")
        self._load(self.factors)
        start, self._goal = self.sample_task(np.random.default_rng(0))
        self._set_state(start)

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = reset_options(options, RESET_OPTIONS)
        factors = self.FACTORS.resolve(options.get("factors"), self.np_random, self.factor_split)
        self._validate_factors(factors)  # before anything changes: a bad override leaves the env intact
        self._load(factors)
        # Always draw the task, so the random stream does not depend on which options were given.
        start, goal = self.sample_task(self.np_random)
        if options.get("state") is not None:
            start = self._check_state(
                as_vector(options["state"], len(self.STATE_NAMES), "reset option 'state'")
            )
        if options.get("goal") is not None and options.get("goal_state") is not None:
            raise EnvError("reset options 'goal' and 'goal_state' both set the goal: give one")
        if options.get("goal") is not None:
            goal = self._check_goal(as_vector(options["goal"], self.GOAL_DIM, "reset option 'goal'"))
        if options.get("goal_state") is not None:
            n = len(self.STATE_NAMES)
            goal = self._check_goal(
                self.goal_of(as_vector(options["goal_state"], n, "reset option 'goal_state'"))
            )
        self._goal = goal
        mujoco.mj_resetData(self.model, self.data)  # also clears solver warm-starts: reproducible
        self._set_state(start)
        return self._observation(), self._info()

    def step(self, action):
        a = as_vector(action, self.ACTION_DIM, "action", flatten=True)
        self._apply_action(np.clip(a, self.action_space.low, self.action_space.high))
        mujoco.mj_step(self.model, self.data, nstep=self.FRAME_SKIP)
        info = self._info()
        return self._observation(), -info["distance"], False, False, info

    def render(self) -> np.ndarray:
        """The current view: (S, S, 3) uint8."""
        return self._render(self.data)

    def close(self) -> None:
        renderer = getattr(self, "_renderer", None)
        if renderer is not None:
            # mujoco < 4 frees a renderer's GL objects in whichever GL context is current: make
            # its own current first, or closing (or recompiling) one env garbles another's frames.
            gl = getattr(renderer, "_gl_context", None)
            if gl is not None:
                gl.make_current()
            renderer.close()
            self._renderer = None

    def __del__(self) -> None:
        try:  # an env dropped without close() frees its renderer the same way
            self.close()
        except Exception:  # interpreter shutdown: GL may already be gone
            pass

    # ------------------------------------------------------------ evaluator API
    @property
    def dt(self) -> float:
        """Seconds of simulated time per env step."""
        return self.TIMESTEP * self.FRAME_SKIP

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.STATE_NAMES

    @property
    def state(self) -> np.ndarray:
        """(n_state,) float32, ordered as STATE_NAMES."""
        return self._read_state(self.data).astype(np.float32)

    @property
    def goal(self) -> np.ndarray:
        """(GOAL_DIM,) float32."""
        return self._goal.astype(np.float32)

    def set_goal(self, goal) -> None:
        self._goal = self._check_goal(as_vector(goal, self.GOAL_DIM, "goal"))

    def task_options(self, start_state, goal_state, factors: dict | None = None) -> dict:
        """Reset options for a recorded start/goal pair: start at ``start_state``, and the goal is
        what ``goal_state`` achieves (``goal_of``) under ``factors``, so ``is_success`` judges
        reaching that frame. The reset computes it once the factors are loaded: this env's
        current ones may be another episode's."""
        n = len(self.STATE_NAMES)
        options = {
            "state": as_vector(start_state, n, "start_state"),
            "goal_state": as_vector(goal_state, n, "goal_state"),
        }
        if factors is not None:
            options["factors"] = dict(factors)
        return options

    def render_state(self, state) -> np.ndarray:
        """state: (n_state,) -> (S, S, 3) uint8 view of the scene in that state (e.g. a goal image).

        Poses a scratch MjData, so the running simulation is left exactly as it was."""
        state = as_vector(state, len(self.STATE_NAMES), "render_state state")
        self._write_state(self._scratch, state)
        mujoco.mj_forward(self.model, self._scratch)
        return self._render(self._scratch)

    def current_info(self) -> dict:
        """The ``info`` dict of the current step (state, goal, factors, is_success, distance)."""
        return self._info()

    def intervene(self, state=None, factors: dict | None = None) -> dict[str, np.ndarray]:
        """Change the world mid-episode, without a reset: pose it in ``state`` (n_state,) and/or
        set some ``factors`` {name: value} (e.g. a colour, a mass, a friction). -> the
        observation after the change. Factors the scene's XML is compiled from cannot change
        mid-episode (a recompile would lose the simulation's state)."""
        if factors:
            compiled = sorted(set(factors) & set(self.COMPILED_FACTORS))
            if compiled:
                raise EnvError(
                    f"factor(s) {compiled} are compiled into the scene; only a reset can change them"
                )
            new = {**self.factors, **{k: self.FACTORS[k].coerce(v) for k, v in factors.items()}}
            self._validate_factors(new)
            self.factors = new
            self._apply_factors(new)
            # mj_setConst poses its MjData at qpos0 to compute the constants: give it the scratch
            # one, or the running simulation would jump.
            mujoco.mj_setConst(self.model, self._scratch)
        if state is not None:
            state = self._check_state(as_vector(state, len(self.STATE_NAMES), "intervene state"))
            ctrl = self.data.ctrl.copy()
            self._set_state(state)
            self.data.ctrl[:] = ctrl  # the controls in force carry on
        else:
            mujoco.mj_forward(self.model, self.data)
        return self._observation()

    def teleport_state(self, rng: np.random.Generator) -> np.ndarray:
        """A valid state (n_state,) elsewhere, for a teleport: by default a freshly drawn task
        start (every body moved, at rest)."""
        return self.sample_task(rng)[0]

    # ----------------------------------------------------------- subclass hooks
    def _mjcf(self, factors: dict) -> str:
        """subclass: the scene's XML; may depend on the COMPILED_FACTORS only."""
        raise NotImplementedError

    def _bind(self) -> None:
        """subclass: look up ids (geoms, bodies, joints) after each compile."""

    def _apply_factors(self, factors: dict) -> None:
        """subclass: write the non-compiled factors into self.model's fields."""
        raise NotImplementedError

    def _validate_factors(self, factors: dict) -> None:
        """subclass (optional): raise EnvError for factor combinations that cannot be built."""

    def sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """subclass: -> (start state (n_state,), goal (GOAL_DIM,)), both float64."""
        raise NotImplementedError

    def goal_of(self, state: np.ndarray) -> np.ndarray:
        """subclass: the goal (GOAL_DIM,) that a full state (n_state,) achieves."""
        raise NotImplementedError

    def goal_state(self, start_state: np.ndarray, goal: np.ndarray) -> np.ndarray:
        """subclass: a full state (n_state,) at rest that achieves ``goal`` from a task starting
        at ``start_state``; its rendering is the goal image of the evaluator's task protocol."""
        raise NotImplementedError

    def _read_state(self, data: mujoco.MjData) -> np.ndarray:
        """subclass: data -> state (n_state,) float64."""
        raise NotImplementedError

    def _write_state(self, data: mujoco.MjData, state: np.ndarray) -> None:
        """subclass: pose ``data`` in ``state`` (qpos, qvel, mocap); no mj_forward needed."""
        raise NotImplementedError

    def _goal_metrics(self) -> tuple[float, bool]:
        """subclass: -> (distance to the goal, is_success) in the current state."""
        raise NotImplementedError

    def _check_state(self, state: np.ndarray) -> np.ndarray:
        """subclass (optional): raise EnvError if ``state`` cannot be set; return it."""
        return state

    def _check_goal(self, goal: np.ndarray) -> np.ndarray:
        """subclass (optional): raise EnvError if ``goal`` is not a reachable goal; return it."""
        return goal

    def _apply_action(self, action: np.ndarray) -> None:
        """action (ACTION_DIM,) in [-1, 1] -> controls. Default: one actuator per action dim."""
        self.data.ctrl[:] = action

    def _proprio(self) -> np.ndarray:
        """(PROPRIO_DIM,) float32. Default: the whole state."""
        return self.state

    # ---------------------------------------------------------------- internals
    def _load(self, factors: dict) -> None:
        """Recompile if a COMPILED_FACTOR changed, then apply the rest and adopt ``factors``."""
        key = tuple(factors[name] for name in self.COMPILED_FACTORS)
        if key != self._compiled_key:
            self.close()  # a renderer is bound to one compiled model
            self.model = mujoco.MjModel.from_xml_string(self._mjcf(factors))
            self.model.opt.timestep = self.TIMESTEP
            self.data = mujoco.MjData(self.model)
            self._scratch = mujoco.MjData(self.model)
            self._camera = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_CAMERA, self.CAMERA)
            if self._camera < 0:
                raise EnvError(f"{type(self).__name__}'s scene has no camera named '{self.CAMERA}'")
            self._compiled_key = key
            self._bind()
        self.factors = factors
        self._apply_factors(factors)
        # Body masses and inertias feed MuJoCo's precomputed constants (e.g. dof_M0 of simple
        # bodies): recompute them, or an edited mass would not act.
        mujoco.mj_setConst(self.model, self.data)

    def _set_state(self, state: np.ndarray) -> None:
        self._write_state(self.data, state)
        self.data.ctrl[:] = 0.0
        mujoco.mj_forward(self.model, self.data)

    def _render(self, data: mujoco.MjData) -> np.ndarray:
        if self._renderer is None:
            try:
                self._renderer = mujoco.Renderer(self.model, self.image_size, self.image_size)
            except mujoco.FatalError as err:
                import os

                raise EnvError(
                    f"cannot create a MuJoCo renderer with MUJOCO_GL={os.environ.get('MUJOCO_GL')} ({err}); "
                    "without a display use MUJOCO_GL=egl, set before mujoco is first imported "
                    "(import worldjepa.envs before mujoco)"
                ) from None
        self._renderer.update_scene(data, camera=self._camera)
        return self._renderer.render()

    def _observation(self) -> dict[str, np.ndarray]:
        return {"pixels": self.render(), "proprio": self._proprio().astype(np.float32)}

    def _info(self) -> dict:
        distance, success = self._goal_metrics()
        return {
            "state": self.state,
            "goal": self.goal,
            "factors": dict(self.factors),
            "is_success": bool(success),
            "distance": float(distance),
        }
