"""Per-env quickstart presets: ``worldjepa quickstart collect.env=<id>`` writes the env's entry
(QuickstartConfig keys) before the command's own overrides, so a key the user sets wins and a
user's ``train.recipe=`` replaces the preset's recipe whole. Each entry is what
``benchmarks/env_levers.py`` measured to plan that env; an env without one runs the
quickstart preset as it is (``configs/presets/quickstart.yaml``, tuned on TwoRoom).
"""

from __future__ import annotations

from worldjepa.registry import Registry

ENV_PRESETS: Registry[dict[str, object]] = Registry("env preset")
