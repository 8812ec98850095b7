"""Which env ids worldjepa can build, and how (``register``, ``make_env``).

An entry is one of two kinds:

- a **worldjepa env**, which follows ``docs/env_contract.md`` itself (the built-ins, any
  ``MujocoGoalEnv`` subclass): it is registered with gymnasium too and built by
  ``gymnasium.make``;
- an **adapted env** (``adapter=AdapterOptions(...)``): a plain gymnasium MuJoCo env, built
  inside a ``GymAdapter`` (``gym_adapter.py``) that supplies pixels, state and success.

An id known to gymnasium but not registered here is adapted with the default
``AdapterOptions``. ``"module:id"`` (gymnasium's convention) imports ``module`` first, so a
module can register its envs on import; the full string is what a dataset records as its
``env_id``, so eval, probe and surprise re-import it in any process.

Pure python + gymnasium's registry: importing it imports no MuJoCo (make_env loads it).
"""

from __future__ import annotations

import difflib
import importlib
import logging
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gymnasium

from worldjepa.errors import EnvError

if TYPE_CHECKING:
    from worldjepa.envs.factors import FactorSpace

log = logging.getLogger(__name__)

SUCCESS_RULES = ("auto", "qpos")


@dataclass(frozen=True)
class AdapterOptions:
    """How ``GymAdapter`` judges ``is_success`` on an adapted gymnasium env.

    - ``success="auto"``: the env's own ``info["is_success"]`` where it reports one, else the
      qpos rule (also right after a reset that restored a state: the env has not judged it
      yet); ``"qpos"``: always the qpos rule (e.g. when the env's own success judges a goal
      of its own that a restored qpos/qvel does not carry).
    - The **qpos rule**: success when the Euclidean distance between the current and the goal
      qpos of ``joints`` is <= ``tolerance``. Units are the joints' own (radians for hinges,
      metres for slides; free and ball joints compare their raw position + quaternion
      coordinates); an unlimited hinge compares its angle difference wrapped to [-pi, pi].
    - ``joints``: joint names as in the adapter's ``state_names`` (the MuJoCo name, characters
      other than letters, digits and '_' replaced by '_'; an unnamed joint is ``joint<i>``);
      None compares every joint.
    """

    tolerance: float = 0.1
    joints: tuple[str, ...] | None = None
    success: str = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, int | float):
            raise EnvError(f"AdapterOptions.tolerance must be a positive number, got {self.tolerance!r}")
        if not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise EnvError(f"AdapterOptions.tolerance must be positive and finite, got {self.tolerance!r}")
        if self.success not in SUCCESS_RULES:
            raise EnvError(
                f"AdapterOptions.success must be one of {', '.join(SUCCESS_RULES)}, got {self.success!r}"
            )
        if self.joints is not None:
            if isinstance(self.joints, str) or not all(isinstance(j, str) for j in self.joints):
                raise EnvError(
                    f"AdapterOptions.joints must be a sequence of joint names, got {self.joints!r}"
                )
            if not self.joints:
                raise EnvError("AdapterOptions.joints must name at least one joint (None: all of them)")
            object.__setattr__(self, "joints", tuple(self.joints))


@dataclass(frozen=True)
class EnvSpec:
    """One registered env. ``entry_point``/``factors`` may be ``'module:attribute'`` strings,
    resolved lazily; ``entry_point`` None: an id gymnasium already knows (adapted envs only)."""

    env_id: str
    entry_point: str | Callable[..., gymnasium.Env] | None = None
    factors: FactorSpace | str | None = None  # None: nothing varies (an empty FactorSpace)
    max_episode_steps: int | None = None  # adapted envs: None keeps gymnasium's
    expert: str | None = None  # the registered scripted policy `policy=expert` means; None: none
    kwargs: Mapping[str, object] = field(default_factory=dict)  # to the env's constructor
    adapter: AdapterOptions | None = None  # set: a plain gymnasium env, run inside GymAdapter


_ENVS: dict[str, EnvSpec] = {}
_BUILTIN: set[str] = set()  # ids ``worldjepa.envs`` registers itself (see ``builtin``)


def builtin(spec: EnvSpec) -> EnvSpec:
    """Mark a registered env as built in: later registrations cannot replace it."""
    _BUILTIN.add(spec.env_id)
    return spec


def register(
    env_id: str,
    entry_point: str | Callable[..., gymnasium.Env] | None = None,
    *,
    factors: FactorSpace | str | None = None,
    max_episode_steps: int | None = None,
    expert: str | None = None,
    kwargs: Mapping[str, object] | None = None,
    adapter: AdapterOptions | None = None,
) -> EnvSpec:
    """Register an env with worldjepa (and, given an ``entry_point``, with gymnasium).

    - A worldjepa env (``adapter=None``): ``entry_point`` builds an env that follows
      docs/env_contract.md; ``max_episode_steps`` is required.
    - An adapted gymnasium env (``adapter=AdapterOptions(...)``): ``entry_point`` None for an
      id gymnasium already knows (e.g. ``register("Reacher-v5", adapter=AdapterOptions(
      tolerance=0.05, joints=("joint0", "joint1")))``), or the env's class / 'module:Class'.

    Registering an id again replaces the entry (a module imported twice is harmless), except
    the built-in ``worldjepa/`` envs, which cannot be replaced (their datasets and checkpoints
    name them): register yours under another id.
    """
    if not isinstance(env_id, str) or not env_id or ":" in env_id:
        raise EnvError(
            f"env id must be a non-empty string without ':' (it separates module:id), got {env_id!r}"
        )
    if adapter is not None and not isinstance(adapter, AdapterOptions):
        raise EnvError(f"adapter must be an AdapterOptions (or None), got {adapter!r}")
    if max_episode_steps is not None and (
        isinstance(max_episode_steps, bool) or not isinstance(max_episode_steps, int) or max_episode_steps < 1
    ):
        raise EnvError(f"max_episode_steps must be a positive int, got {max_episode_steps!r}")
    if expert is not None and not isinstance(expert, str):
        raise EnvError(f"expert must name a registered policy (a string), got {expert!r}")
    if entry_point is None:
        if adapter is None:
            raise EnvError(
                f"register('{env_id}'): give an entry_point, or adapter=AdapterOptions() for a gymnasium env"
            )
        if env_id not in gymnasium.registry:
            raise EnvError(
                f"register('{env_id}', adapter=...): gymnasium knows no such id; give its entry_point"
            )
    elif adapter is None and max_episode_steps is None:
        raise EnvError(f"register('{env_id}'): a worldjepa env needs max_episode_steps (its episode length)")
    spec = EnvSpec(env_id, entry_point, factors, max_episode_steps, expert, dict(kwargs or {}), adapter)
    if env_id in _BUILTIN and _ENVS.get(env_id) != spec:
        raise EnvError(
            f"register('{env_id}'): that is a built-in worldjepa env; register yours under another id"
        )
    if entry_point is not None:
        known = gymnasium.registry.get(env_id)
        same = known is not None and (known.entry_point, known.max_episode_steps, known.kwargs) == (
            entry_point, max_episode_steps, spec.kwargs
        )  # fmt: skip
        if not same:  # re-imports (e.g. importlib.reload) must not re-register
            gymnasium.register(
                env_id, entry_point=entry_point, max_episode_steps=max_episode_steps, kwargs=dict(spec.kwargs)
            )
    _ENVS[env_id] = spec
    return spec


def registered_env_ids() -> tuple[str, ...]:
    """Every id registered with worldjepa, in registration order."""
    return tuple(_ENVS)


def import_env_module(env_id: str) -> str:
    """``"module:id"`` -> imports ``module`` (which may register envs) and returns ``"id"``;
    a plain id is returned as it is."""
    if not isinstance(env_id, str) or env_id.count(":") > 1:
        raise EnvError(f"env id must be 'id' or 'module:id', got {env_id!r}")
    module, _, name = env_id.rpartition(":")
    if not module:
        return env_id
    if not name:
        raise EnvError(f"env '{env_id}' names a module but no env id after ':' (e.g. mypkg.envs:MyEnv-v0)")
    fresh = module not in sys.modules
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise EnvError(
            f"env '{env_id}': cannot import module '{module}' ({err}); is it installed or on PYTHONPATH?"
        ) from None
    except Exception as err:  # noqa: BLE001 - the user's module is broken: say where, in one line
        where = f" ({err.filename}:{err.lineno})" if isinstance(err, SyntaxError) else ""
        raise EnvError(
            f"env '{env_id}': importing module '{module}' failed: {type(err).__name__}: {err}{where}"
        ) from None
    if fresh:  # a dataset or checkpoint names its env this way: say which code it made us import
        log.info("imported %s for env %s", module, env_id)
    return name


def env_spec(env_id: str) -> EnvSpec:
    """The spec of ``env_id`` ('id' or 'module:id'): a registered one, else a default-adapted
    spec for an id gymnasium knows, else an EnvError naming what exists."""
    name = import_env_module(env_id)
    if name in _ENVS:
        return _ENVS[name]
    if name in gymnasium.registry:
        return EnvSpec(name, adapter=AdapterOptions())
    if ":" in env_id:
        raise EnvError(
            f"env '{env_id}': module '{env_id.rpartition(':')[0]}' was imported but registers no env '{name}'"
        )
    known = list(dict.fromkeys([*_ENVS, *gymnasium.registry]))
    lower = name.lower().rpartition("/")[2]
    close = [k for k in known if k.rpartition("/")[2].lower() == lower]  # tworoom-v0 -> worldjepa/TwoRoom-v0
    close += [k for k in difflib.get_close_matches(name, known, n=3, cutoff=0.8) if k not in close]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
    raise EnvError(
        f"unknown env '{env_id}'; available: {', '.join(_ENVS)}, any gymnasium MuJoCo id "
        f"(e.g. Reacher-v5), or module:id for your own{hint}"
    )


def make_env(env_id: str, **kwargs) -> gymnasium.Env:
    """Build ``env_id`` ('id' or 'module:id'). kwargs (image_size, factor_split, ...) go to the
    env's constructor; an adapted env passes the ones the adapter does not take to its inner env."""
    spec = env_spec(env_id)
    _check_entry_point(env_id, spec)
    if spec.adapter is None:
        return gymnasium.make(spec.env_id, **kwargs)
    from worldjepa.envs.gym_adapter import make_adapted

    return make_adapted(env_id, spec, **kwargs)


def _check_entry_point(env_id: str, spec: EnvSpec) -> None:
    """The registered entry point resolves, and MuJoCo imports with this MUJOCO_GL: else one line
    (a typo in a registration, or a bad MUJOCO_GL, is not a traceback from inside gymnasium)."""
    import os

    entry = gymnasium.spec(spec.env_id).entry_point
    gl = os.environ.get("MUJOCO_GL")
    try:
        import mujoco  # noqa: F401 - its GL backend loads here: a broken MUJOCO_GL fails now, by name
    except Exception as err:  # noqa: BLE001 - PyOpenGL raises AttributeError/ImportError/RuntimeError
        raise EnvError(
            f"MuJoCo cannot start with MUJOCO_GL={gl} ({type(err).__name__}: {err}); unset it or use MUJOCO_GL=egl"
        ) from None
    try:
        if isinstance(entry, str):
            gymnasium.envs.registration.load_env_creator(entry)
    except (ImportError, AttributeError) as err:
        raise EnvError(f"env '{env_id}': its entry point '{entry}' cannot be loaded ({err})") from None


def env_factor_space(env_id: str) -> FactorSpace:
    """The env's FactorSpace (empty when nothing varies), without building its MuJoCo model."""
    from worldjepa.envs.factors import FactorSpace

    factors = env_spec(env_id).factors
    if factors is None:
        return FactorSpace([])
    if isinstance(factors, str):
        module, _, attr = factors.partition(":")
        factors = getattr(importlib.import_module(module), attr)
    if not isinstance(factors, FactorSpace):
        raise EnvError(f"{env_id}'s factors must be a FactorSpace, got {type(factors).__name__}")
    return factors


def expert_policy_name(env: gymnasium.Env) -> str:
    """The registered scripted expert of an env made with ``make_env`` (wrapped or not)."""
    env_id = env.spec.id if env.spec is not None else None
    spec = _ENVS.get(env_id)
    if spec is None or spec.expert is None:
        raise EnvError(
            f"{env_id or type(env.unwrapped).__name__} has no scripted expert "
            "(register one: worldjepa.envs.register(..., expert='<policy name>'))"
        )
    return spec.expert


def gymnasium_mujoco_ids() -> tuple[str, ...]:
    """The newest version of each of gymnasium's own MuJoCo envs (e.g. Reacher-v5), by name."""
    newest: dict[str, tuple[int, str]] = {}
    for env_id, spec in gymnasium.registry.items():
        ep = spec.entry_point
        if isinstance(ep, str) and ep.startswith("gymnasium.envs.mujoco") and spec.namespace is None:
            version = spec.version if spec.version is not None else -1
            if version > newest.get(spec.name, (-2, ""))[0]:
                newest[spec.name] = (version, env_id)
    return tuple(env_id for _, env_id in sorted(newest.values(), key=lambda v: v[1]))
