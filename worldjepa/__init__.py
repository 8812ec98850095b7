"""worldjepa: action-conditioned JEPA world models from pixels.

    import worldjepa as wj
    wj.collect(wj.CollectConfig(out="data/tworoom"))                 # record rollouts (Lance)
    wj.train(wj.TrainConfig(data=wj.DataConfig(path="data/tworoom")))  # encoder + predictor, SIGReg
    ck = wj.load("runs/tworoom")                                      # model + preprocess
    ck.encode(frames), ck.policy(planner="cem"), ck.dataset()
    wj.evaluate(wj.EvalConfig(checkpoint="runs/tworoom"))             # MPC success with intervals

The functions take the same dataclass configs as the CLI (``wj.compose("train", ["steps=500"])``
builds one from overrides). Heavy dependencies are imported lazily, so ``import worldjepa`` and
``worldjepa --help`` stay instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:  # real imports for IDEs and type checkers; at run time names resolve lazily
    from worldjepa.api import Checkpoint, load  # noqa: F401
    from worldjepa.collection import CollectConfig, collect  # noqa: F401
    from worldjepa.config.composer import compose  # noqa: F401
    from worldjepa.envs import make_env, register  # noqa: F401
    from worldjepa.evaluation.evaluate import EvalConfig, evaluate  # noqa: F401
    from worldjepa.losses.config import LossConfig  # noqa: F401
    from worldjepa.models.config import WorldModelConfig  # noqa: F401
    from worldjepa.planners.config import MPCConfig  # noqa: F401
    from worldjepa.probes.probe import ProbeConfig, run_probe  # noqa: F401
    from worldjepa.probes.surprise import SurpriseConfig, run_surprise  # noqa: F401
    from worldjepa.training.config import DataConfig, OptimConfig, TrainConfig  # noqa: F401
    from worldjepa.training.trainer import train  # noqa: F401

_EXPORTS = {
    "load": "api",
    "Checkpoint": "api",
    "collect": "collection",
    "CollectConfig": "collection",
    "compose": "config.composer",
    "train": "training.trainer",
    "TrainConfig": "training.config",
    "DataConfig": "training.config",
    "OptimConfig": "training.config",
    "WorldModelConfig": "models.config",
    "LossConfig": "losses.config",
    "evaluate": "evaluation.evaluate",
    "EvalConfig": "evaluation.evaluate",
    "MPCConfig": "planners.config",
    "run_probe": "probes.probe",
    "ProbeConfig": "probes.probe",
    "run_surprise": "probes.surprise",
    "SurpriseConfig": "probes.surprise",
    "make_env": "envs",
    "register": "envs",
}
__all__ = ["__version__", *sorted(_EXPORTS)]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
