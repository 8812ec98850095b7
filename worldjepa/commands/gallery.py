"""`worldjepa gallery`: per env, one image strip of the same scene under each factor at OOD."""


def main(overrides: list[str]) -> int:
    from pathlib import Path

    from worldjepa.config import compose
    from worldjepa.envs import ENV_IDS
    from worldjepa.envs.gallery import factor_strip, save_strip
    from worldjepa.errors import ConfigError

    cfg = compose("gallery", overrides)
    env_ids = list(ENV_IDS) if cfg.env == "all" else [cfg.env]
    unknown = sorted(set(env_ids) - set(ENV_IDS))
    if unknown:
        raise ConfigError(f"unknown env {unknown}; available: all, {', '.join(ENV_IDS)}")
    for env_id in env_ids:
        name = env_id.split("/")[-1].split("-")[0].lower()
        path = save_strip(
            factor_strip(env_id, cfg.image_size, cfg.seed),
            Path(cfg.out) / f"{name}.png",
            f"{env_id}: default, then one factor at a time moved to the middle of its OOD range",
        )
        print(path)
    return 0
