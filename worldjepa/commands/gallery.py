"""`worldjepa gallery`: per env, one image strip of the same scene under each factor at OOD."""

from dataclasses import dataclass

from worldjepa.config.fields import Validated, opt, path_opt


@dataclass
class GalleryConfig(Validated):
    env: str = opt("all", "a built-in env id (worldjepa/<Name>-v0), or all of the planning suite")
    image_size: int = opt(96, "frame size in pixels", ge=8, le=1024)
    seed: int = opt(0, "which sampled scene", ge=0)
    out: str = path_opt("gallery", "folder for the PNG strips")


def main(cfg: GalleryConfig) -> int:
    from pathlib import Path

    from worldjepa.envs import ENV_IDS
    from worldjepa.envs.gallery import factor_strip, save_strip
    from worldjepa.errors import ConfigError
    from worldjepa.paths import writable_dir

    env_ids = list(ENV_IDS) if cfg.env == "all" else [cfg.env]
    unknown = sorted(set(env_ids) - set(ENV_IDS))
    if unknown:
        raise ConfigError(
            f"env={unknown[0]}: the gallery renders the built-in envs' factors; available: all, {', '.join(ENV_IDS)}"
        )
    writable_dir(cfg.out, "out")
    for env_id in env_ids:
        name = env_id.split("/")[-1].split("-")[0].lower()
        path = save_strip(
            factor_strip(env_id, cfg.image_size, cfg.seed),
            Path(cfg.out) / f"{name}.png",
            f"{env_id}: default, then one factor at a time moved to the middle of its OOD range",
        )
        print(path)
    return 0
