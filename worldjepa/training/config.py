"""Dataclass configs for ``worldjepa train`` (mirrored by configs/train.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from worldjepa.errors import ConfigError


@dataclass
class DataConfig:
    path: str = "data/tworoom"
    num_steps: int = 4  # frames per window: >= num_hist context frames + 1 target
    frameskip: int = 5  # env steps per action block
    val_fraction: float = 0.2  # held out by episode; eval plans on these episodes
    split_seed: int = 0
    batch_size: int = 64
    num_workers: int = 0
    workers: str = "thread"  # thread | process (see worldjepa.datasets.loader)


@dataclass
class OptimConfig:
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05  # cosine decay floor, as a fraction of lr
    grad_clip: float = 1.0


@dataclass
class LossWeights:
    sigreg_weight: float = 0.09  # LeWM's lambda
    num_proj: int = 1024  # SIGReg random directions, fresh each step
    idm_weight: float = 0.0  # inverse-dynamics term; needs model.idm_hidden > 0


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: dict = field(default_factory=dict)  # WorldModelConfig fields; image/action dims come from data
    loss: LossWeights = field(default_factory=LossWeights)
    optim: OptimConfig = field(default_factory=OptimConfig)
    steps: int = 2500
    seed: int = 0
    device: str = "cpu"
    amp: str = "bf16"  # none | bf16 (autocast; ~30% faster on CPU)
    out: str = "runs/tworoom"
    resume: bool = False
    log_every: int = 25
    val_every: int = 250
    ckpt_every: int = 500
    val_batches: int = 4
    max_minutes: float = 0.0  # stop early (and checkpoint) after this wall time; 0 = no limit

    def __post_init__(self):
        if self.amp not in ("none", "bf16"):
            raise ConfigError(f"amp must be 'none' or 'bf16', got '{self.amp}'")
        if self.data.num_steps < 2:
            raise ConfigError(f"data.num_steps must be >= 2 (context + target), got {self.data.num_steps}")
        if self.steps < 1:
            raise ConfigError(f"steps must be >= 1, got {self.steps}")
