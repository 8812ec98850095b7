"""`worldjepa quickstart`: collect -> train -> eval on TwoRoom, resumable stage by stage.

Its config is the three stages' own configs under ``collect.``, ``train.`` and ``eval.``, with
the preset ``configs/presets/quickstart.yaml`` (paths under ``out_dir``, two recording workers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from worldjepa.collection import CollectConfig
from worldjepa.config.fields import Validated, opt, path_opt
from worldjepa.evaluation.evaluate import EvalConfig
from worldjepa.training.config import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class QuickstartConfig(Validated):
    out_dir: str = path_opt("runs/quickstart", "everything goes here: data/, model/ (the run), model/eval/")
    collect: CollectConfig = opt(CollectConfig, "stage 1: worldjepa collect")
    train: TrainConfig = opt(TrainConfig, "stage 2: worldjepa train")
    eval: EvalConfig = opt(EvalConfig, "stage 3: worldjepa eval")


def main(cfg: QuickstartConfig) -> dict:
    """-> the evaluation's results (what ``worldjepa eval`` writes to results.json)."""
    from worldjepa.collection import collect
    from worldjepa.evaluation.evaluate import evaluate
    from worldjepa.training.trainer import train

    collect_cfg, train_cfg, eval_cfg = cfg.collect, cfg.train, cfg.eval
    if dataset_complete(collect_cfg.out, collect_cfg.episodes):
        log.info("[1/3] dataset %s is complete; reusing it", collect_cfg.out)
    else:
        log.info("[1/3] recording %d %s episodes", collect_cfg.episodes, collect_cfg.policy)
        collect_cfg.mode = "overwrite"
        collect(collect_cfg)
    step = checkpoint_step(Path(train_cfg.out) / "checkpoint")
    if step is not None and step >= train_cfg.steps:
        log.info("[2/3] checkpoint in %s is complete (step %d); reusing it", train_cfg.out, step)
    else:
        train_cfg.resume = step is not None
        log.info("[2/3] training %d steps%s", train_cfg.steps, f" (resuming at {step})" if step else "")
        train(train_cfg)
    log.info("[3/3] planning on held-out episodes")
    return evaluate(eval_cfg)


def dataset_complete(path: str, episodes: int) -> bool:
    from worldjepa.errors import DatasetError

    try:
        from worldjepa.datasets import open_dataset

        return open_dataset(path).num_episodes >= episodes
    except DatasetError:
        return False


def checkpoint_step(ckpt: Path) -> int | None:
    """-> the step of the resumable checkpoint ``ckpt`` (either training-state layout), or None."""
    from worldjepa.checkpoint import has_training_state, read_checkpoint_files

    if not has_training_state(ckpt):
        return None
    _, preprocess = read_checkpoint_files(ckpt)  # a corrupt or malformed checkpoint stops here
    return int(preprocess.get("step", 0))
