"""worldjepa environments, registered with gymnasium under the ``worldjepa/`` namespace.

Importing this package is cheap: envs are registered by entry-point strings and factor
spaces are imported on demand, so MuJoCo is only loaded when an env is built.
"""

from __future__ import annotations

import os

# Must precede any mujoco import: EGL renders headless here without extra packages.
os.environ.setdefault("MUJOCO_GL", "egl")
# Mesa's software rasteriser (llvmpipe, what EGL uses without a GPU) splits every frame over
# worker threads; for frames up to ~224 px the hand-off costs more than it saves (64 px
# renders 1.5x faster without; benchmarks/render_threads.py), and parallel recording gets its
# parallelism from processes.
os.environ.setdefault("LP_NUM_THREADS", "0")

import importlib  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import gymnasium  # noqa: E402

from worldjepa.errors import EnvError  # noqa: E402

if TYPE_CHECKING:
    from worldjepa.envs.factors import FactorSpace


@dataclass(frozen=True)
class EnvSpec:
    """entry_point and factors are 'module:attribute' strings, resolved lazily."""

    entry_point: str
    factors: str
    max_episode_steps: int
    expert: str  # the registered scripted policy that `policy=expert` means for this env
    suite: bool = True  # a control task of the planning suite (False: a synthetic world)


_ENVS: dict[str, EnvSpec] = {
    "worldjepa/TwoRoom-v0": EnvSpec(
        entry_point="worldjepa.envs.tworoom:TwoRoomEnv",
        factors="worldjepa.envs.tworoom_layout:TWOROOM_FACTORS",
        max_episode_steps=100,
        expert="tworoom_expert",
    ),
    "worldjepa/Reacher-v0": EnvSpec(
        entry_point="worldjepa.envs.reacher:ReacherEnv",
        factors="worldjepa.envs.reacher_layout:REACHER_FACTORS",
        max_episode_steps=100,
        expert="reacher_expert",
    ),
    "worldjepa/PushT-v0": EnvSpec(
        entry_point="worldjepa.envs.pusht:PushTEnv",
        factors="worldjepa.envs.pusht_layout:PUSHT_FACTORS",
        max_episode_steps=200,
        expert="pusht_expert",
    ),
    "worldjepa/Cube-v0": EnvSpec(
        entry_point="worldjepa.envs.cube:CubeEnv",
        factors="worldjepa.envs.cube_layout:CUBE_FACTORS",
        max_episode_steps=200,
        expert="cube_expert",
    ),
    "worldjepa/GaussLatent-v0": EnvSpec(
        entry_point="worldjepa.envs.gauss_latent:GaussLatentEnv",
        factors="worldjepa.envs.gauss_latent:GAUSS_FACTORS",
        max_episode_steps=100,
        expert="random",  # no task: recordings explore with random actions
        suite=False,
    ),
}
ENV_IDS: tuple[str, ...] = tuple(k for k, v in _ENVS.items() if v.suite)  # the control tasks
SYNTHETIC_ENV_IDS: tuple[str, ...] = tuple(k for k, v in _ENVS.items() if not v.suite)

for _env_id, _spec in _ENVS.items():
    if _env_id not in gymnasium.registry:  # re-imports (e.g. importlib.reload) must not re-register
        gymnasium.register(_env_id, entry_point=_spec.entry_point, max_episode_steps=_spec.max_episode_steps)


def _spec(env_id: str) -> EnvSpec:
    try:
        return _ENVS[env_id]
    except KeyError:
        raise EnvError(f"unknown env '{env_id}'; available: {', '.join(_ENVS)}") from None


def make_env(env_id: str, **kwargs) -> gymnasium.Env:
    """gymnasium.make with a worldjepa error for unknown ids. kwargs go to the env constructor."""
    _spec(env_id)
    return gymnasium.make(env_id, **kwargs)


def env_factor_space(env_id: str) -> FactorSpace:
    """The env's FactorSpace, without building (or importing) its MuJoCo model."""
    module, attr = _spec(env_id).factors.split(":")
    return getattr(importlib.import_module(module), attr)


def expert_policy_name(env: gymnasium.Env) -> str:
    """The registered scripted expert of a worldjepa env (made with ``make_env``)."""
    env_id = env.spec.id if env.spec is not None else None
    if env_id not in _ENVS:
        raise EnvError(
            f"'expert' names a worldjepa env's own expert; {env_id or type(env).__name__} has none"
        )
    return _ENVS[env_id].expert


__all__ = ["ENV_IDS", "SYNTHETIC_ENV_IDS", "EnvSpec", "env_factor_space", "expert_policy_name", "make_env"]
