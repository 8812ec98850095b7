"""World-model components, one module per job. Names are exported lazily (PEP 562) so that
``import worldjepa.models`` does not import torch until a model is actually used."""

from __future__ import annotations

from worldjepa.lazy import lazy_exports

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
