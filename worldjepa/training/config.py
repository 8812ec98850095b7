"""``TrainConfig``: ``worldjepa train``'s whole config, one dataclass tree (the only place its
defaults are written; the CLI composes it as a Hydra structured config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from worldjepa.config.fields import Validated, device_opt, opt, path_opt, require
from worldjepa.losses.config import LossConfig
from worldjepa.models.config import WorldModelConfig


@dataclass
class DataConfig:
    __shorthand__: ClassVar[str] = "path"  # `data=<path>` means `data.path=<path>`

    path: str = path_opt("data/tworoom", "the dataset to train on (a folder or s3:// prefix)")
    num_steps: int = opt(4, "frames per training window: >= model.num_hist context frames + 1 target", ge=2)
    frameskip: int = opt(5, "env steps per action block (one predictor token)", ge=1)
    val_fraction: float = opt(0.2, "episodes held out (by episode); eval plans on these", ge=0, lt=1)
    split_seed: int = opt(0, "seed of the train / held-out episode split", ge=0)
    batch_size: int = opt(64, "windows per training batch on each rank (global batch: x nproc)", ge=1)
    per_episode: int = opt(1, "windows of one episode in a batch (> 1: batches of whole episodes, which "
                           "loss.regulariser=sigreg_episode needs); must divide batch_size", ge=1)  # fmt: skip
    augment: list[str] = opt([], "pixel augmentations, one draw per episode of the batch for all its frames (e.g. "
                             "[channel_shuffle,color_jitter] for visual factors that vary)",
                             choices="worldjepa.training.augment:AUGMENTATIONS")  # fmt: skip
    num_workers: int = opt(0, "loader workers reading batches ahead (0: read in the training loop)", ge=0)
    workers: str = opt(
        "thread", "thread (no shared-memory copies) | process (forkserver)", choices=("thread", "process")
    )


@dataclass
class OptimConfig:
    lr: float = opt(1e-3, "peak AdamW learning rate (after warmup)", gt=0)
    weight_decay: float = opt(0.01, "AdamW weight decay", ge=0)
    warmup_steps: int = opt(100, "linear warmup steps", ge=0)
    min_lr_ratio: float = opt(0.05, "cosine decay floor, as a fraction of lr", ge=0, le=1)
    grad_clip: float = opt(1.0, "gradient-norm clip", gt=0)


@dataclass
class TrainConfig(Validated):
    """An action-conditioned JEPA world model, LeWM recipe: pred MSE + lambda * SIGReg."""

    # `recipe=<name>` composes as that recipe's overrides written before the command's own
    __expands__: ClassVar[dict[str, str]] = {"recipe": "worldjepa.training.recipes:RECIPES"}

    recipe: str = opt("lewm", "a named set of objective overrides applied first (keys set here win): "
                      "lewm | pldm | ema | none | randomized", choices="worldjepa.training.recipes:RECIPES")  # fmt: skip
    data: DataConfig = opt(DataConfig, "the training data")
    model: WorldModelConfig = opt(WorldModelConfig, "the architecture")
    loss: LossConfig = opt(LossConfig, "the objective's weights")
    optim: OptimConfig = opt(OptimConfig, "the optimiser")
    steps: int = opt(2500, "optimizer steps in all (a resumed run continues to this many)", ge=1)
    seed: int = opt(0, "seed of the weights, batch order and SIGReg directions", ge=0)
    device: str = device_opt()
    amp: str = opt("bf16", "bf16: autocast (~30% faster on CPU, the fast path on cuda) | none: float32",
                   choices=("bf16", "none"))  # fmt: skip
    compile: bool = opt(
        False,
        "torch.compile the training step: encoder, predictor and objective (minutes to warm up; then faster)",
    )
    nproc: int = opt(1, "> 1: train on this many local processes (runs torchrun for you)", ge=1)
    out: str = path_opt(
        "runs/tworoom", "run directory: checkpoints/<step>/, metrics.csv, training_curves.png"
    )
    resume: bool = opt(False, "continue the run in out from its last checkpoint (or pass --resume)")
    logger: str = opt("csv", "csv (always written) | tensorboard | wandb (offline) as well",
                      choices="worldjepa.training.tracking:TRACKERS")  # fmt: skip
    log_every: int = opt(25, "steps between metrics.csv rows", ge=1)
    val_every: int = opt(250, "steps between held-out validations; 0: never", ge=0)
    ckpt_every: int = opt(500, "steps between checkpoints", ge=1)
    eval_every: int = opt(-1, "steps between MPC evaluations on held-out tasks (val_success); -1: at each "
                          "checkpoint on cuda, never on cpu (planning is slow there); 0: never", ge=-1)  # fmt: skip
    eval_tasks: int = opt(10, "held-out offset tasks per eval_every evaluation", ge=1)
    keep_last: int = opt(3, "step checkpoints kept in out/checkpoints (the newest); 0: all", ge=0)
    val_batches: int = opt(4, "held-out batches per validation", ge=1)
    max_minutes: float = opt(0.0, "stop early (with a checkpoint) after this wall time; 0: no limit", ge=0)

    def check(self) -> None:
        m = self.model
        require(m.image_size is None, "model.image_size", "comes from the dataset; remove it")
        require(m.action_dim is None, "model.action_dim", "comes from the dataset; remove it")
        require(m.frameskip is None, "model.frameskip", "comes from data.frameskip; set that instead")
        tokens = self.data.num_steps - 1
        if m.predictor_pos == "rope":
            # Windows longer than num_hist+1 train what a cached rollout does: tokens whose older
            # neighbours saw further back through their own attention windows.
            require(
                tokens >= m.num_hist,
                "data.num_steps",
                f"must be at least model.num_hist + 1 ({m.num_hist + 1})",
            )
        else:  # learned positions: rollouts recompute exactly num_hist-token windows
            require(tokens == m.num_hist, "model.num_hist",
                    f"must be data.num_steps - 1 ({tokens}) with learned positions")  # fmt: skip
        require(not (self.loss.idm_weight > 0 and not m.idm_hidden), "loss.idm_weight",
                "needs an inverse-dynamics head: set model.idm_hidden (e.g. 256)")  # fmt: skip
        k = self.loss.rollout_steps
        require(k < self.data.num_steps, "loss.rollout_steps",
                f"must be below data.num_steps ({self.data.num_steps}): a rollout needs a context frame")  # fmt: skip
        require(len(self.loss.rollout_weights) in (0, k), "loss.rollout_weights",
                f"needs one weight per rollout step ({k}), or none")  # fmt: skip
