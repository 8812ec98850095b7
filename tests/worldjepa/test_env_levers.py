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


def test_each_plan_changes_the_eval_it_names_and_nothing_else(env_levers):
    import dataclasses

    from worldjepa.config.composer import compose

    default = dataclasses.asdict(compose("eval", ["checkpoint=m", "data=d"]))
    for name, given in env_levers.PLANS.items():
        cfg = dataclasses.asdict(compose("eval", ["checkpoint=m", "data=d", *given]))
        changed = {k for k in default if cfg[k] != default[k]}
        named = {o.split("=", 1)[0].split(".")[0] for o in given}
        assert changed == named, name  # a renamed key would leave the default planner running


def test_plans_table_puts_each_setting_beside_the_default_planner(env_levers, tmp_path):
    import json

    def results(path, rate, per_step):
        path.mkdir(parents=True)
        summary = [{"policy": "mpc", "success_rate": rate, "ci95": [rate - 0.1, rate + 0.1],
                    "time_per_step_s": per_step}]  # fmt: skip
        (path / "results.json").write_text(json.dumps({"summary": summary}))

    model = tmp_path / "cube-v0" / "long+data" / "model"
    results(model / "eval-common", 0.5, 1.4)
    results(model / "eval-common@H12", 0.62, 2.1)
    (tmp_path / "cube-v0" / "lewm" / "model" / "eval-common").mkdir(parents=True)  # no plans: no rows
    env_levers.write_plans_table(tmp_path)
    rows = (tmp_path / "plans.md").read_text().splitlines()[2:]
    assert rows == [
        "| cube-v0 | long+data | **default** | `(quickstart)` | 50% [40, 60] | 1.40 |",
        "| cube-v0 | long+data | **H12** | `horizon=12` | 62% [52, 72] | 2.10 |",
    ]
