"""benchmarks/env_levers.py: a lever means the same run before and after its env gets a preset."""

from pathlib import Path

import pytest


@pytest.fixture
def env_levers(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "benchmarks"))
    import env_levers

    return env_levers


def quickstart(env_levers, env_id, lever):
    from worldjepa.config.composer import compose

    return compose("quickstart", [f"collect.env={env_id}", *env_levers.overrides(env_id, lever)])


def test_levers_pin_the_preset_keys_they_leave_and_base_is_the_preset(env_levers, monkeypatch):
    from worldjepa.commands import env_presets
    from worldjepa.registry import Registry

    env_id = "worldjepa/PushT-v0"
    before = {lever: quickstart(env_levers, env_id, lever) for lever in ("lewm", "long+data")}
    presets = Registry("env preset")
    presets.register(env_id)(
        {"train.steps": 123, "collect.policy_kwargs": {"noise": 0.9}, "train.recipe": "pldm"}
    )
    monkeypatch.setattr(env_presets, "ENV_PRESETS", presets)

    base = quickstart(env_levers, env_id, "base")
    assert (base.train.steps, base.collect.policy_kwargs, base.train.recipe) == (123, {"noise": 0.9}, "pldm")
    for lever, cfg in before.items():
        after = quickstart(env_levers, env_id, lever)
        assert (after.train.steps, after.collect.policy_kwargs, after.train.recipe) == (
            cfg.train.steps, cfg.collect.policy_kwargs, cfg.train.recipe)  # fmt: skip
        assert after.collect.episodes == cfg.collect.episodes
