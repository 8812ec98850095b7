"""`worldjepa quickstart`: collect -> train -> eval on TwoRoom, resumable stage by stage."""

from __future__ import annotations

import logging
from pathlib import Path

from worldjepa.config import compose, to_dataclass

log = logging.getLogger(__name__)
STAGES = ("collect", "train", "eval")


def split_overrides(overrides: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Route `collect.x=1` / `train.x=1` / `eval.x=1` to that stage; the rest is quickstart's own."""
    own: list[str] = []
    staged: dict[str, list[str]] = {s: [] for s in STAGES}
    for o in overrides:
        head, _, rest = o.lstrip("+~").partition(".")
        if head in STAGES and rest:
            staged[head].append(o[: len(o) - len(o.lstrip("+~"))] + rest)
        else:
            own.append(o)
    return own, staged


def stage_configs(overrides: list[str]):
    """-> (CollectConfig, TrainConfig, EvalConfig) with quickstart's paths and settings applied."""
    from worldjepa.collect import CollectConfig
    from worldjepa.evaluation.evaluate import EvalConfig
    from worldjepa.training import TrainConfig

    own, staged = split_overrides(overrides)
    qs = compose("quickstart", own)
    out = Path(qs.out_dir)
    data, run = out / "data", out / "model"
    paths = {
        "collect": [f"out={data}"],
        "train": [f"data.path={data}", f"out={run}"],
        "eval": [f"checkpoint={run}"],
    }
    cfgs = {}
    for stage, cls in zip(STAGES, (CollectConfig, TrainConfig, EvalConfig), strict=True):
        composed = compose(stage, paths[stage] + list(qs[stage]) + staged[stage])
        cfgs[stage] = to_dataclass(cls, composed, f"{stage} config")
    return cfgs["collect"], cfgs["train"], cfgs["eval"]


def print_config(overrides: list[str]) -> None:
    from dataclasses import asdict

    import yaml

    for stage, cfg in zip(STAGES, stage_configs(overrides), strict=True):
        print(f"# {stage}\n{yaml.safe_dump(asdict(cfg), sort_keys=False)}")


def main(overrides: list[str]) -> int:
    from worldjepa.collect import collect
    from worldjepa.evaluation.evaluate import evaluate
    from worldjepa.training.trainer import train

    collect_cfg, train_cfg, eval_cfg = stage_configs(overrides)
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
    evaluate(eval_cfg)
    return 0


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
