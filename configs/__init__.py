"""Hydra presets (package data): ``presets/<command>.yaml`` values merged over a command's
dataclass defaults. The defaults themselves live in the config dataclasses, written once."""
