"""``WorldModelConfig``: everything needed to rebuild a WorldModel (saved with every checkpoint).

No torch here, so that composing ``worldjepa train``'s config stays cheap. ``image_size``,
``action_dim`` and ``frameskip`` describe the data, not a choice: they stay unset (None) until
the trainer fills them from the dataset, and a model cannot be built before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from worldjepa.config.fields import opt, require
from worldjepa.errors import ConfigError

DATA_FIELDS = ("image_size", "action_dim", "frameskip")  # filled from the dataset by the trainer


@dataclass
class WorldModelConfig:
    """The LeWorldModel architecture, sized to train ~4 steps/s on 2 CPU cores (LeWM: latent 192,
    predictor 192 x 6, a ViT-tiny encoder)."""

    image_size: int | None = opt(None, "frame size in pixels (from the dataset)", ge=8)
    encoder: str = opt("cnn", "pixel encoder", choices="worldjepa.models.encoders:ENCODERS")
    encoder_kwargs: dict[str, Any] = opt({}, "extra encoder arguments, e.g. {channels: [32,64,128,256]}")
    feature_dim: int = opt(256, "encoder output width", ge=1)
    latent_dim: int = opt(128, "D: the projector output that SIGReg regularises", ge=1)
    projector_hidden: int = opt(512, "hidden width of the BatchNorm MLP projector", ge=1)
    action_dim: int | None = opt(None, "A: action size per env step (from the dataset)", ge=1)
    frameskip: int | None = opt(
        None, "env steps per action block, one predictor token (data.frameskip)", ge=1
    )
    action_emb_dim: int | None = opt(None, "action token width (null: predictor_dim)", ge=1)
    predictor_dim: int = opt(128, "predictor transformer width", ge=1)
    predictor_depth: int = opt(4, "predictor transformer layers", ge=1)
    predictor_heads: int = opt(4, "predictor attention heads (must divide predictor_dim)", ge=1)
    num_hist: int = opt(3, "frames the predictor sees when rolling out", ge=1)
    # "rope": rotary positions + a num_hist-token sliding attention window (rollouts cache keys
    # and values); "learned": absolute positions, windows recomputed (checkpoints before rope).
    predictor_pos: str = opt(
        "rope", "rope: rotary + sliding window, KV-cached rollouts | learned", choices=("rope", "learned")
    )
    # Hidden width of an inverse-dynamics head (z_t, z_{t+1}) -> the action block between them,
    # trained when LossConfig.idm_weight > 0; 0: no head (LeWM's recipe).
    idm_hidden: int = opt(0, "> 0: an inverse-dynamics head of this width (with loss.idm_weight)", ge=0)

    def check(self) -> None:
        require(self.predictor_dim % self.predictor_heads == 0, "predictor_heads",
                f"must divide predictor_dim ({self.predictor_dim})")  # fmt: skip
        head = self.predictor_dim // self.predictor_heads
        require(self.predictor_pos != "rope" or head % 2 == 0, "predictor_dim",
                f"gives {head} dims per head (predictor_heads={self.predictor_heads}); rotary positions need "
                "an even number")  # fmt: skip

    @property
    def block_dim(self) -> int:
        """fs*A: size of one flattened action block."""
        return self.frameskip * self.action_dim

    def require_data_fields(self) -> None:
        unset = [f for f in DATA_FIELDS if getattr(self, f) is None]
        if unset:
            raise ConfigError(
                f"WorldModelConfig.{unset[0]} is unset: {', '.join(unset)} come from the dataset "
                "(worldjepa train fills them); set them to build a model by hand"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorldModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown WorldModelConfig keys {unknown}; known: {', '.join(sorted(known))}")
        d = dict(d)
        d.setdefault("predictor_pos", "learned")  # saved before the field existed: learned positions
        d["encoder_kwargs"] = dict(d.get("encoder_kwargs") or {})
        return cls(**d)
