"""worldjepa environments, registered with gymnasium under the ``worldjepa/`` namespace.

``register`` adds your own env (one that follows docs/env_contract.md, or a plain gymnasium
MuJoCo env through the adapter, ``AdapterOptions``); ``make_env`` builds any of them, any id
gymnasium knows (adapted), or ``module:id`` (the module imported first).

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

from worldjepa.envs.registry import (  # noqa: E402
    AdapterOptions,
    EnvSpec,
    env_factor_space,
    env_spec,
    expert_policy_name,
    gymnasium_mujoco_ids,
    make_env,
    register,
    registered_env_ids,
)
from worldjepa.envs.registry import builtin as _builtin  # noqa: E402

# The built-ins: (id, entry point, factor space, episode length, scripted expert).
_SUITE = (  # the control tasks of the planning suite
    ("worldjepa/TwoRoom-v0", "tworoom:TwoRoomEnv", "tworoom_layout:TWOROOM_FACTORS", 100, "tworoom_expert"),
    ("worldjepa/Reacher-v0", "reacher:ReacherEnv", "reacher_layout:REACHER_FACTORS", 100, "reacher_expert"),
    ("worldjepa/PushT-v0", "pusht:PushTEnv", "pusht_layout:PUSHT_FACTORS", 200, "pusht_expert"),
    ("worldjepa/Cube-v0", "cube:CubeEnv", "cube_layout:CUBE_FACTORS", 200, "cube_expert"),
)
_SYNTHETIC = (  # worlds without a task (recordings explore with random actions)
    ("worldjepa/GaussLatent-v0", "gauss_latent:GaussLatentEnv", "gauss_latent:GAUSS_FACTORS", 100, "random"),
)
for _env_id, _entry, _factors, _steps, _expert in _SUITE + _SYNTHETIC:
    _builtin(
        register(
            _env_id,
            f"worldjepa.envs.{_entry}",
            factors=f"worldjepa.envs.{_factors}",
            max_episode_steps=_steps,
            expert=_expert,
        )
    )
ENV_IDS: tuple[str, ...] = tuple(row[0] for row in _SUITE)  # the control tasks
SYNTHETIC_ENV_IDS: tuple[str, ...] = tuple(row[0] for row in _SYNTHETIC)

__all__ = [
    "ENV_IDS",
    "SYNTHETIC_ENV_IDS",
    "AdapterOptions",
    "EnvSpec",
    "env_factor_space",
    "env_spec",
    "expert_policy_name",
    "gymnasium_mujoco_ids",
    "make_env",
    "register",
    "registered_env_ids",
]
