"""`worldjepa envs`: list the registered environments."""

from dataclasses import dataclass

from worldjepa.config.fields import Validated


@dataclass
class EnvsConfig(Validated):
    """`worldjepa envs` takes no keys."""


def main(cfg: EnvsConfig) -> int:
    from worldjepa.envs import (
        ENV_IDS,
        SYNTHETIC_ENV_IDS,
        env_factor_space,
        gymnasium_mujoco_ids,
        registered_env_ids,
    )

    for env_id in ENV_IDS:
        space = env_factor_space(env_id)
        kinds = sorted({f.kind for f in space})
        print(f"{env_id:<26} {len(space.names)} factors ({', '.join(kinds)})")
    for env_id in SYNTHETIC_ENV_IDS:
        print(f"{env_id:<26} synthetic (no task; see benchmarks/identifiability.py)")
    for env_id in registered_env_ids():
        if env_id not in ENV_IDS + SYNTHETIC_ENV_IDS:
            print(f"{env_id:<26} registered ({len(env_factor_space(env_id))} factors)")
    print(
        "\nAny gymnasium MuJoCo id works through the adapter (pixels, qpos/qvel state, no factors): "
        f"{', '.join(gymnasium_mujoco_ids())}.\nYour own env: env=mypackage.envs:MyEnv-v0 imports "
        "mypackage.envs first; see docs/env_contract.md."
    )
    return 0
