"""A plain gymnasium MuJoCo env, run as a worldjepa env: ``GymAdapter``.

The adapter *owns* the inner env (it is not a ``gymnasium.Wrapper``, whose ``.unwrapped``
would be the inner env), so evaluation finds worldjepa's API on ``env.unwrapped``:

- observation ``{"pixels": (S, S, 3) uint8, "proprio": (P,) float32}``: the inner env's
  ``render()`` (built with ``render_mode="rgb_array"``, ``width = height = S``) and its flat
  observation;
- ``info``: ``state`` = concat(qpos, qvel) float32 named by joint (``state_names``),
  ``factors`` = {}, ``is_success`` (``AdapterOptions``: the env's own success, or the qpos
  rule), and, while a goal state is held, ``goal`` (that state) and ``distance`` (the qpos
  rule's); without a goal (e.g. while recording) ``is_success`` is the env's own, else False;
- ``reset(options={"state": s, "goal": g})`` restores a recorded state through the inner
  env's ``set_state`` and holds a goal state: the offset evaluation protocol's tasks.

Nothing varies (no factors), there is no expert unless one is registered, and neither the
env-sampled task protocol nor ``intervene`` (surprise) is offered.
"""

from __future__ import annotations

import re

import gymnasium
import mujoco
import numpy as np
from gymnasium import Env, spaces
from gymnasium.envs.mujoco.mujoco_env import MujocoEnv
from gymnasium.envs.registration import EnvSpec as GymSpec
from gymnasium.envs.registration import load_env_creator
from gymnasium.utils import EzPickle

from worldjepa.envs.factors import split_of
from worldjepa.envs.mujoco_env import as_vector
from worldjepa.envs.registry import AdapterOptions, EnvSpec, import_env_module
from worldjepa.errors import EnvError

RESET_OPTIONS = ("state", "goal", "factors")
SET_BY_ADAPTER = ("render_mode", "width", "height")  # inner constructor kwargs the adapter sets
NEEDS = ("model", "data", "set_state", "_get_obs", "render")  # what it drives on a MujocoEnv
_NQ = {mujoco.mjtJoint.mjJNT_FREE: (7, 6), mujoco.mjtJoint.mjJNT_BALL: (4, 3)}  # (qpos, qvel) sizes


def joint_state_names(model: mujoco.MjModel) -> tuple[list[str], list[str], list[str]]:
    """-> (joint stems (njnt,), qpos names (nq,), qvel names (nv,)).

    A stem is the joint's name made column-safe (only letters, digits, '_'; unnamed:
    ``joint<i>``). Position ``<stem>``, velocity ``<stem>_vel``; a multi-dof joint (free, ball)
    numbers its coordinates: ``<stem>_0..`` and ``<stem>_vel_0..``."""
    stems: list[str] = []
    qpos, qvel = [""] * model.nq, [""] * model.nv
    for j in range(model.njnt):
        stem = re.sub(r"[^0-9A-Za-z_]", "_", model.joint(j).name) or f"joint{j}"
        stems.append(stem if stem not in stems else f"{stem}_{j}")
        nq, nv = _NQ.get(int(model.jnt_type[j]), (1, 1))
        qa, va = int(model.jnt_qposadr[j]), int(model.jnt_dofadr[j])
        for k in range(nq):
            qpos[qa + k] = stems[-1] if nq == 1 else f"{stems[-1]}_{k}"
        for k in range(nv):
            qvel[va + k] = f"{stems[-1]}_vel" if nv == 1 else f"{stems[-1]}_vel_{k}"
    # Coordinates no joint owns (none in today's MuJoCo) still get a name.
    qpos = [n or f"qpos{i}" for i, n in enumerate(qpos)]
    qvel = [n or f"qvel{i}" for i, n in enumerate(qvel)]
    return stems, qpos, qvel


def success_coordinates(model: mujoco.MjModel, stems: list[str], joints) -> tuple[np.ndarray, np.ndarray]:
    """-> (qpos indices the qpos rule compares (K,) int, wrap (K,) bool: an unlimited hinge,
    whose angle difference is wrapped to [-pi, pi]). ``joints``: stems, or None for all."""
    chosen = range(model.njnt) if joints is None else []
    if joints is not None:
        unknown = [j for j in joints if j not in stems]
        if unknown:
            raise EnvError(f"unknown joint(s) {unknown} in AdapterOptions.joints; joints: {', '.join(stems)}")
        chosen = [stems.index(j) for j in joints]
    idx, wrap = [], []
    for j in chosen:
        nq, _ = _NQ.get(int(model.jnt_type[j]), (1, 1))
        hinge = int(model.jnt_type[j]) == mujoco.mjtJoint.mjJNT_HINGE and not model.jnt_limited[j]
        idx += range(int(model.jnt_qposadr[j]), int(model.jnt_qposadr[j]) + nq)
        wrap += [hinge] * nq
    if not idx:
        raise EnvError("the qpos success rule has no joint to compare: the model has no joints")
    return np.asarray(idx, dtype=np.int64), np.asarray(wrap, dtype=bool)


class GymAdapter(Env, EzPickle):
    """A gymnasium MuJoCo env (``env_id``: 'id' or 'module:id') with worldjepa's observation,
    info and task API. ``env_kwargs`` go to the inner env's constructor."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(
        self,
        env_id: str,
        image_size: int = 64,
        factor_split: str = "default",
        render_mode: str | None = "rgb_array",
        options: AdapterOptions | None = None,
        env_kwargs: dict | None = None,
    ):
        # EzPickle re-creates the env from these arguments (AsyncVectorEnv workers, copies).
        EzPickle.__init__(self, env_id, image_size, factor_split, render_mode, options, env_kwargs)
        split_of(factor_split, "visual")  # a named error for an unknown split; nothing varies anyway
        if render_mode not in (None, "rgb_array"):
            raise EnvError(f"render_mode must be 'rgb_array' (or None), got {render_mode!r}")
        if not (isinstance(image_size, int) and not isinstance(image_size, bool) and 8 <= image_size <= 1024):
            raise EnvError(f"image_size must be an int in [8, 1024], got {image_size!r}")
        env_kwargs = dict(env_kwargs or {})
        clash = sorted(set(env_kwargs) & set(SET_BY_ADAPTER))
        if clash:
            raise EnvError(f"{env_id}: {clash} are set by the adapter (rgb_array at image_size); drop them")
        self.env_id, self.image_size, self.factor_split = env_id, image_size, factor_split
        self.render_mode, self.options, self.factors = render_mode, options or AdapterOptions(), {}
        self._closed = False
        self.inner = self._build_inner(env_id, image_size, env_kwargs)
        try:
            self._bind(image_size)
        except BaseException:
            self.inner.close()  # its GL context, if it made one
            raise
        # The spec names the bare id (expert_policy_name looks it up) and rebuilds this adapter;
        # set here, not by make_env, so that a pickled copy keeps it.
        ctor = {"env_id": env_id, "image_size": image_size, "factor_split": factor_split,
                "render_mode": render_mode, "options": self.options, "env_kwargs": env_kwargs}  # fmt: skip
        self.spec = GymSpec(id=import_env_module(env_id), entry_point=f"{__name__}:GymAdapter", kwargs=ctor)

    def _bind(self, image_size: int) -> None:
        """Names, spaces and the success rule from the inner env's model; a first render."""
        model = self.inner.model
        stems, qpos_names, qvel_names = joint_state_names(model)
        self._nq, self._names = model.nq, tuple(qpos_names + qvel_names)
        self._success_idx, self._wrap = success_coordinates(model, stems, self.options.joints)
        self.metadata = {**self.metadata, "render_fps": round(1 / self.dt)}
        act = self.inner.action_space
        if not isinstance(act, spaces.Box):
            raise EnvError(f"{self.env_id}'s action space is {act}; the adapter needs a Box")
        self.action_space = spaces.Box(act.low, act.high, act.shape, np.float32)
        self._proprio_space = self.inner.observation_space
        self.observation_space = spaces.Dict(
            pixels=spaces.Box(0, 255, (image_size, image_size, 3), np.uint8),
            proprio=spaces.Box(-np.inf, np.inf, (int(spaces.flatdim(self._proprio_space)),), np.float32),
        )
        self._goal: np.ndarray | None = None
        self._env_success: bool | None = None  # the inner env's last info["is_success"], if any
        # gymnasium aims its free camera at the geoms' median position at the first render: make
        # that render at the model's initial state, so that every copy of this env (each worker,
        # each eval env) films from the same place, whatever state it is first rendered in.
        mujoco.mj_resetData(model, self.inner.data)
        mujoco.mj_forward(model, self.inner.data)
        self.render()
        self.inner.reset(seed=0)  # a usable state before the first reset

    @staticmethod
    def _build_inner(env_id: str, image_size: int, env_kwargs: dict):
        name = import_env_module(env_id)
        size = {"render_mode": "rgb_array", "width": image_size, "height": image_size}
        not_mujoco = (
            f"{env_id} is not a MuJoCo env the adapter can run (it has no {{}}); use a "
            "gymnasium.envs.mujoco.MujocoEnv, or register a worldjepa env (docs/env_contract.md)"
        )
        try:
            inner = gymnasium.make(name, disable_env_checker=True, **size, **env_kwargs).unwrapped
        except TypeError as err:
            creator = gymnasium.spec(name).entry_point
            creator = load_env_creator(creator) if isinstance(creator, str) else creator
            if isinstance(creator, type) and not issubclass(creator, MujocoEnv):  # e.g. CartPole
                raise EnvError(not_mujoco.format("model, data, set_state")) from None
            raise EnvError(
                f"cannot build {env_id} with render_mode='rgb_array', width, height ({err}); the adapter "
                "needs a gymnasium MujocoEnv whose constructor passes them to MujocoEnv.__init__"
            ) from None
        missing = [attr for attr in NEEDS if not hasattr(inner, attr)]
        if missing:
            inner.close()
            raise EnvError(not_mujoco.format(", ".join(missing)))
        return inner

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """options: {"state": (n_state,) to start in, "goal": (n_state,) goal state to hold,
        "factors": {} or a split name (nothing varies)}; each optional."""
        super().reset(seed=seed)
        if options is not None and not isinstance(options, dict):
            raise EnvError(f"{self.env_id}: reset options must be a dict, got {type(options).__name__}")
        options = dict(options or {})
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise EnvError(
                f"unknown reset option(s) {unknown} for {self.env_id}; available: {', '.join(RESET_OPTIONS)}"
            )
        factors = options.get("factors")
        if isinstance(factors, str):
            split_of(factors, "visual")
        elif factors:
            raise EnvError(f"{self.env_id} has no factors (an adapted gymnasium env); got {factors!r}")
        n = len(self._names)
        state = options.get("state")
        state = None if state is None else as_vector(state, n, "reset option 'state'")
        goal = options.get("goal")
        goal = None if goal is None else as_vector(goal, n, "reset option 'goal'")
        obs, info = self.inner.reset(seed=seed)  # the inner env's own start, and its random stream
        self._env_success = info.get("is_success")
        if state is not None:
            self.inner.set_state(state[: self._nq], state[self._nq :])
            obs = self.inner._get_obs()
            self._env_success = None  # the env's own verdict predates the restore: unknown until it steps
        self._goal = goal
        return self._observation(obs), self._info()

    def step(self, action):
        a = as_vector(np.asarray(action, dtype=np.float64).reshape(-1), self.action_space.shape[0], "action")
        a = np.clip(a, self.action_space.low, self.action_space.high).astype(np.float32)
        obs, reward, terminated, truncated, info = self.inner.step(a)
        # mj_step leaves the kinematics one physics substep behind qpos: recompute them, so the
        # frame shows the state that info reports (and a restored state renders the same).
        # Bitwise neutral for the physics that follows.
        mujoco.mj_forward(self.inner.model, self.inner.data)
        self._env_success = info.get("is_success")
        return self._observation(obs), float(reward), bool(terminated), bool(truncated), self._info()

    def render(self) -> np.ndarray:
        """The current view: (S, S, 3) uint8."""
        if self._closed:  # gymnasium's renderer would draw from a freed GL context
            raise EnvError(f"{self.env_id} is closed; make a new one with worldjepa.envs.make_env")
        renderer = getattr(self.inner, "mujoco_renderer", None)
        if renderer is not None:
            # gymnasium makes a viewer's GL context current only when it creates it; with several
            # envs in one process (eval steps a batch) each must make its own current to draw.
            renderer._get_viewer(self.inner.render_mode).make_context_current()
        return np.ascontiguousarray(self.inner.render(), dtype=np.uint8)

    def close(self) -> None:
        if not self._closed:
            self.inner.close()
            self._closed = True

    # ------------------------------------------------------------ evaluator API
    @property
    def dt(self) -> float:
        """Seconds of simulated time per env step (the inner env's)."""
        return float(self.inner.dt)

    @property
    def state_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def state(self) -> np.ndarray:
        """(n_state,) float32: concat(qpos, qvel), ordered as state_names."""
        return np.concatenate([self.inner.data.qpos, self.inner.data.qvel]).astype(np.float32)

    @property
    def goal(self) -> np.ndarray | None:
        """(n_state,) float32: the goal state held (None when none is)."""
        return None if self._goal is None else self._goal.astype(np.float32)

    def task_options(self, start_state, goal_state, factors: dict | None = None) -> dict:
        """Reset options for a recorded start/goal pair: start at ``start_state``, judged
        against ``goal_state`` (both (n_state,))."""
        n = len(self._names)
        options = {
            "state": as_vector(start_state, n, "start_state"),
            "goal": as_vector(goal_state, n, "goal_state"),
        }
        if factors is not None:
            options["factors"] = dict(factors)
        return options

    def current_info(self) -> dict:
        """The ``info`` dict of the current step (state, goal, factors, is_success, distance)."""
        return self._info()

    def goal_distance(self) -> float:
        """The qpos rule's distance from the current to the goal qpos (NaN without a goal)."""
        if self._goal is None:
            return float("nan")
        d = self.inner.data.qpos[self._success_idx] - self._goal[self._success_idx]
        d[self._wrap] = (d[self._wrap] + np.pi) % (2 * np.pi) - np.pi
        return float(np.linalg.norm(d))

    # ---------------------------------------------------------------- internals
    def _observation(self, obs) -> dict[str, np.ndarray]:
        proprio = spaces.flatten(self._proprio_space, obs)
        return {"pixels": self.render(), "proprio": np.asarray(proprio, dtype=np.float32)}

    def _info(self) -> dict:
        """state, factors, is_success; and goal + distance while a goal state is held."""
        distance = self.goal_distance()
        if self.options.success == "auto" and self._env_success is not None:
            success = bool(self._env_success)
        else:
            success = self._goal is not None and distance <= self.options.tolerance
        info = {"state": self.state, "factors": {}, "is_success": bool(success)}
        if self._goal is not None:
            info.update(goal=self.goal, distance=distance)
        return info


def make_adapted(
    env_id: str, spec: EnvSpec, image_size: int = 64, factor_split: str = "default", **kwargs
) -> gymnasium.Env:
    """``GymAdapter`` for ``spec`` inside a TimeLimit (``max_episode_steps`` if given, else the
    registered episode length, else gymnasium's). Other kwargs: ``render_mode``, or constructor
    kwargs of the inner env."""
    steps = kwargs.pop("max_episode_steps", None) or spec.max_episode_steps
    steps = steps or gymnasium.spec(spec.env_id).max_episode_steps
    if steps is None:
        raise EnvError(
            f"{env_id} has no episode length (gymnasium registered it without max_episode_steps); "
            f"register it: worldjepa.envs.register('{spec.env_id}', adapter=AdapterOptions(), max_episode_steps=N)"
        )
    render_mode = kwargs.pop("render_mode", "rgb_array")
    env = GymAdapter(env_id, image_size, factor_split, render_mode, spec.adapter, {**spec.kwargs, **kwargs})
    return gymnasium.wrappers.TimeLimit(env, steps)
