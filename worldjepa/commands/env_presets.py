"""Per-env quickstart presets: ``worldjepa quickstart collect.env=<id>`` writes the env's entry
(QuickstartConfig keys) before the command's own overrides, so a key the user sets wins and a
user's ``train.recipe=`` replaces the preset's recipe whole. Each entry is what
``benchmarks/env_levers.py`` measured to plan that env; an env without one runs the
quickstart preset as it is (``configs/presets/quickstart.yaml``, tuned on TwoRoom).
"""

from __future__ import annotations

from worldjepa.registry import Registry

ENV_PRESETS: Registry[dict[str, object]] = Registry("env preset")

# Reacher: the EMA target plans 98% [90, 100] of the 50 held-out offset tasks in float32 and 96%
# in bf16, against LeWM's 68% / 74% on the same data and budget (benchmarks/recipe_suite.py);
# this quickstart plans 96% [87, 99] (benchmarks/env_levers.py --envs worldjepa/Reacher-v0 --levers base)
ENV_PRESETS.register("worldjepa/Reacher-v0")({"train.recipe": "ema"})

# Cube: 1,000 episodes and 4,000 steps plan 52% [39, 65] of the env's common tasks (and 58%
# [44, 71] of their own), against 30% [19, 44] for quickstart's 300 episodes and 800 steps, in
# 41 training minutes on 2 shared CPU cores (benchmarks/env_levers.py --envs worldjepa/Cube-v0
# --levers lewm long+data; the preset is that lever's data and length)
ENV_PRESETS.register("worldjepa/Cube-v0")({"collect.episodes": 1000, "train.steps": 4000})
