"""`worldjepa quickstart`: collect -> train -> eval on TwoRoom, resumable stage by stage.

Its config is the three stages' own configs under ``collect.``, ``train.`` and ``eval.``, with
the preset ``configs/presets/quickstart.yaml`` (paths under ``out_dir``, two recording workers).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from worldjepa.collection import CollectConfig
from worldjepa.config.fields import Validated, opt, path_opt
from worldjepa.evaluation.evaluate import EvalConfig
from worldjepa.training.config import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class QuickstartConfig(Validated):
    # `collect.env=<id>` composes as that env's preset written before the command's overrides
    __expands__: ClassVar[dict[str, str]] = {"collect.env": "worldjepa.commands.env_presets:ENV_PRESETS"}

    out_dir: str = path_opt("runs/quickstart", "everything goes here: data/, model/ (the run), model/eval/")
    collect: CollectConfig = opt(CollectConfig, "stage 1: worldjepa collect")
    train: TrainConfig = opt(TrainConfig, "stage 2: worldjepa train")
    eval: EvalConfig = opt(EvalConfig, "stage 3: worldjepa eval")


def main(cfg: QuickstartConfig) -> dict:
    """-> the evaluation's results (what ``worldjepa eval`` writes to results.json).

    Running it again continues where a previous run stopped, with the same settings: recorded
    episodes are kept and the missing ones appended (the same data as one run), a checkpoint is
    resumed (or reused when complete). A dataset or checkpoint made with other settings is
    refused, never silently reused."""
    from worldjepa.collection import collect
    from worldjepa.evaluation.evaluate import evaluate
    from worldjepa.training.trainer import check_model_fits, train

    collect_cfg, train_cfg, eval_cfg = cfg.collect, cfg.train, cfg.eval
    check_model_fits(train_cfg, collect_cfg.image_size)  # before recording data it could not train on
    have = recorded_episodes(collect_cfg)
    step = checkpoint_step(train_cfg.out)
    if step is not None and have < collect_cfg.episodes:
        from worldjepa.errors import ConfigError

        raise ConfigError(
            f"collect.episodes={collect_cfg.episodes}: {train_cfg.out} was trained on the {have} episodes "
            "recorded; a model on more data is a new run: choose another out_dir"
        )
    if have >= collect_cfg.episodes:
        log.info("[1/3] dataset %s is complete (%d episodes); reusing it", collect_cfg.out, have)
    else:
        log.info("[1/3] recording %d %s episodes%s", collect_cfg.episodes - have, collect_cfg.policy,
                 f" (appending to the {have} recorded)" if have else "")  # fmt: skip
        collect(dataclasses.replace(collect_cfg, episodes=collect_cfg.episodes - have,
                                    mode="append" if have else "overwrite"))  # fmt: skip
    if (
        collect_cfg.factors != "default" and train_cfg.recipe == "lewm"
    ):  # the recipe that survives varied factors
        from worldjepa.training.recipes import apply_where_default, as_overrides

        applied = apply_where_default(train_cfg)
        train_cfg.recipe = "randomized"  # what the run's config records
        if applied:
            log.info("factors=%s vary across episodes: training with %s (benchmarks/randomized_recipe.py)",
                     collect_cfg.factors, as_overrides(applied))  # fmt: skip
    train_cfg.resume = step is not None  # the trainer refuses a checkpoint of another recipe
    log.info("[2/3] training %d steps%s", train_cfg.steps, f" (resuming at {step})" if step else "")
    train(train_cfg)
    log.info("[3/3] planning on held-out episodes")
    return evaluate(eval_cfg)


def recorded_episodes(cfg) -> int:
    """Episodes already in ``cfg.out`` recorded as ``cfg`` asks (0 when there is no dataset);
    a dataset recorded otherwise (env, frames, policy, factors) is a ConfigError."""
    from worldjepa.datasets import open_dataset
    from worldjepa.errors import ConfigError, DatasetError

    try:
        ds = open_dataset(cfg.out)
    except DatasetError:
        return 0
    extra = ds.meta.get("extra", {})
    asked = {"env": cfg.env, "image_size": [cfg.image_size] * 2, "policy": cfg.policy,
             "policy_kwargs": dict(cfg.policy_kwargs), "factors": cfg.factors}  # fmt: skip
    found = {"env": ds.meta["env_id"], "image_size": list(ds.image_size), "policy": extra.get("policy"),
             "policy_kwargs": extra.get("policy_kwargs", {}), "factors": extra.get("factor_split")}  # fmt: skip
    for key, value in asked.items():
        if found[key] != value:
            raise ConfigError(
                f"{cfg.out} was recorded with collect.{key}={found[key]}, this run asks for {value}; "
                "choose another out_dir (or delete it)"
            )
    return ds.num_episodes


def checkpoint_step(ckpt: str | Path) -> int | None:
    """-> the step of the resumable checkpoint ``ckpt`` names (a run dir or a checkpoint dir, in
    any layout), or None."""
    from worldjepa.checkpoint import has_training_state, read_checkpoint_files, resolve_checkpoint_dir

    ckpt = resolve_checkpoint_dir(ckpt)
    if not has_training_state(ckpt):
        return None
    _, preprocess = read_checkpoint_files(ckpt)  # a corrupt or malformed checkpoint stops here
    return int(preprocess.get("step", 0))
