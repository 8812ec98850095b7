"""worldjepa: action-conditioned JEPA world models from pixels.

Record rollouts into Lance (``worldjepa.datasets``), train an encoder + predictor with
SIGReg (``worldjepa.training``), plan with it (``worldjepa.planners``) and measure
control success (``worldjepa.evaluation``). Heavy dependencies are imported lazily so that
``import worldjepa`` and ``worldjepa --help`` stay instant.
"""

__version__ = "0.1.0"
