"""World-model components, one module per job. Names are exported lazily (PEP 562) so that
``import worldjepa.models`` does not import torch until a model is actually used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.lazy import lazy_exports

if TYPE_CHECKING:  # real imports for IDEs and type checkers; at run time names resolve lazily
    from worldjepa.models.action_encoder import ActionEncoder  # noqa: F401
    from worldjepa.models.config import WorldModelConfig  # noqa: F401
    from worldjepa.models.encoders import ENCODERS, CNNEncoder, ViTEncoder  # noqa: F401
    from worldjepa.models.predictor import Predictor  # noqa: F401
    from worldjepa.models.projector import Projector  # noqa: F401
    from worldjepa.models.world_model import WorldModel, build_world_model  # noqa: F401

_EXPORTS = {
    "ENCODERS": "encoders",
    "CNNEncoder": "encoders",
    "ViTEncoder": "encoders",
    "Projector": "projector",
    "ActionEncoder": "action_encoder",
    "Predictor": "predictor",
    "WorldModel": "world_model",
    "WorldModelConfig": "config",
    "build_world_model": "world_model",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
