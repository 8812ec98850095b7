"""World-model components, one module per job. Names are exported lazily (PEP 562) so that
``import worldjepa.models`` does not import torch until a model is actually used."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ENCODERS": "encoders",
    "CNNEncoder": "encoders",
    "ViTEncoder": "encoders",
    "Projector": "projector",
    "ActionEncoder": "action_encoder",
    "Predictor": "predictor",
    "WorldModel": "world_model",
    "WorldModelConfig": "world_model",
    "build_world_model": "world_model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'worldjepa.models' has no attribute '{name}'")
    return getattr(importlib.import_module(f"worldjepa.models.{_EXPORTS[name]}"), name)
