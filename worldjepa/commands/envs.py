"""`worldjepa envs`: list the registered environments."""

from dataclasses import dataclass

from worldjepa.config.fields import Validated


@dataclass
class EnvsConfig(Validated):
    """`worldjepa envs` takes no keys."""


def main(cfg: EnvsConfig) -> int:
    from worldjepa.envs import ENV_IDS, SYNTHETIC_ENV_IDS, env_factor_space

    for env_id in ENV_IDS:
        space = env_factor_space(env_id)
        kinds = sorted({f.kind for f in space})
        print(f"{env_id:<26} {len(space.names)} factors ({', '.join(kinds)})")
    for env_id in SYNTHETIC_ENV_IDS:
        print(f"{env_id:<26} synthetic (no task; see benchmarks/identifiability.py)")
    return 0
