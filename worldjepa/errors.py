"""User-facing errors: each names the thing that is wrong and how to fix it.

The CLI catches ``WorldJEPAError`` and prints its message without a traceback.
"""


class WorldJEPAError(Exception):
    """Base class for errors caused by user input, not by a bug."""


class DatasetError(WorldJEPAError):
    """A path is not a worldjepa dataset, or lacks what the caller needs."""


class CheckpointError(WorldJEPAError):
    """A checkpoint directory is missing files or does not match the model it is loaded into."""


class ConfigError(WorldJEPAError, ValueError):
    """A config value or override is unknown or invalid."""


class EnvError(WorldJEPAError):
    """An unknown environment id, factor name or factor value."""


class TrainingError(WorldJEPAError):
    """Training cannot go on (the loss diverged): the message says what to change."""
