"""The recipes side by side: each anti-collapse term does what it claims on a toy world, the
multi-step loss buys better rollouts, and every preset composes, trains and resumes from the CLI."""

import csv

import pytest
import torch
from tiny_run import TINY_MODEL
from toy_world import tiny_model, train, windows

from worldjepa.cli import main
from worldjepa.losses import LossConfig
from worldjepa.losses.ema import EMATarget
from worldjepa.losses.objectives import rollout_error
from worldjepa.losses.vcreg import VCReg
from worldjepa.metrics import effective_rank


def held_out_latents(model, seed: int = 999):
    with torch.no_grad():
        return model.encode(windows(256, 4, seed=seed)["pixels"]).flatten(0, 1)  # (N, D)


# ------------------------------------------------------------------------------ the terms
def test_vcreg_is_zero_for_spread_decorrelated_latents_and_positive_for_collapsed_ones():
    g = torch.Generator().manual_seed(0)
    spread = 1.5 * torch.randn(4096, 8, 8, generator=g)
    terms = VCReg()(spread)
    assert set(terms) == {"var", "var_t", "cov"}
    assert terms["var"] < 1e-3 and terms["var_t"] < 0.05 and terms["cov"] < 0.05
    collapsed = VCReg()(torch.zeros(64, 3, 8) + torch.randn(1, 1, 8, generator=g))
    assert collapsed["var"] > 0.95 and collapsed["var_t"] > 0.95
    redundant = torch.randn(4096, 3, 1, generator=g).expand(4096, 3, 8)  # every dim the same
    assert VCReg()(redundant)["cov"] > 0.9  # every one of the 56 off-diagonal entries ~1


def test_vcreg_gradients_spread_a_collapsed_latent():
    z = (0.01 * torch.randn(128, 2, 8, generator=torch.Generator().manual_seed(1))).requires_grad_()
    opt = torch.optim.Adam([z], lr=0.02)
    for _ in range(100):
        terms = VCReg()(z)
        opt.zero_grad()
        (terms["var"] + terms["var_t"] + terms["cov"]).backward()
        opt.step()
    assert z.detach().std(0).mean() > 0.5


def test_ema_target_moves_a_fraction_of_the_way_and_never_learns():
    online = tiny_model(0)
    target = EMATarget(online, momentum=0.9)
    assert not any(p.requires_grad for p in target.parameters())
    before = {n: p.clone() for n, p in target.model.named_parameters()}
    with torch.no_grad():
        for p in online.parameters():
            p.add_(1.0)
    target.update(online)
    for name, p in target.model.named_parameters():
        moved = (p - before[name]).mean().item()
        expected = 0.1 if name.split(".")[0] in ("encoder", "projector") else 0.0
        assert moved == pytest.approx(expected, abs=1e-5), name
    z = target(windows(4, 3, seed=0)["pixels"])
    assert z.shape == (4, 3, 16) and not z.requires_grad


# ------------------------------------------------------------------------------ the toy world
@pytest.fixture(scope="module")
def trained():
    """regulariser -> (held-out per-dimension variance, RankMe) after 300 toy steps, seeds 0 and 1."""
    out = {}
    for name in ("none", "sigreg", "vcreg", "ema"):
        for seed in (0, 1):
            model, _ = train(LossConfig(regulariser=name, num_proj=64), steps=300, seed=seed)
            z = held_out_latents(model)
            out[name, seed] = (z.var(0).mean().item(), effective_rank(z))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_without_a_regulariser_the_latent_collapses(trained, seed):
    var, _ = trained["none", seed]
    assert var < 1e-2, "the no-regulariser control should shrink its latent onto a point"


@pytest.mark.parametrize("name", ["sigreg", "vcreg"])
@pytest.mark.parametrize("seed", [0, 1])
def test_each_regulariser_keeps_the_latent_spread_where_none_collapses(trained, name, seed):
    var, rank = trained[name, seed]
    assert var > 0.3 and var > 100 * trained["none", seed][0]
    assert rank > 4


@pytest.mark.parametrize("seed", [0, 1])
def test_an_ema_target_keeps_the_latent_spread_and_its_rank_up(trained, seed):
    var, rank = trained["ema", seed]
    assert var > 0.05 and var > 100 * trained["none", seed][0]
    assert rank > 3


def test_training_on_k_step_rollouts_lowers_the_k_step_rollout_error():
    """Same data, same steps: the model trained on its own 3-step rollouts imagines 3 steps ahead
    better than the teacher-forced one (error relative to each latent's own spread)."""
    held = windows(256, 6, seed=999)
    errors = {}
    for k in (1, 3):
        model, _ = train(LossConfig(num_proj=64, rollout_steps=k), steps=300, num_steps=6, seed=0)
        with torch.no_grad():
            z = model.encode(held["pixels"])
            per_step = rollout_error(model, z, held["action"], context=3)  # (3,)
        errors[k] = (per_step / z.flatten(0, 1).var(0).mean()).tolist()
    assert all(a < 0.85 * b for a, b in zip(errors[3], errors[1], strict=True)), errors


# ------------------------------------------------------------------------------ the CLI
EXPECTED = {
    "lewm": {"regulariser": "sigreg", "smooth_weight": "0.0", "idm_weight": "0.0"},
    "pldm": {"regulariser": "vcreg", "smooth_weight": "0.2", "idm_weight": "1.0"},
    "ema": {"regulariser": "ema"},
    "none": {"regulariser": "none"},
}
LOGGED = {
    "lewm": {"pred_loss", "sigreg_loss"},
    "pldm": {"pred_loss", "var_loss", "var_t_loss", "cov_loss", "smooth_loss", "idm_loss"},
    "ema": {"pred_loss"},
    "none": {"pred_loss"},
}


@pytest.mark.parametrize("recipe", sorted(EXPECTED))
def test_each_recipe_prints_its_config(recipe, capsys):
    assert main(["train", f"recipe={recipe}", "--cfg"]) == 0
    printed = capsys.readouterr().out
    loss = printed[printed.index("loss:") :]
    assert f"recipe: {recipe}" in printed
    for key, value in EXPECTED[recipe].items():
        assert f"  {key}: {value}\n" in loss, (key, value)


def test_a_key_the_user_sets_wins_over_the_recipe(capsys):
    assert main(["train", "recipe=pldm", "loss.smooth_weight=0.5", "--cfg"]) == 0
    assert "  smooth_weight: 0.5\n" in capsys.readouterr().out


def metrics(out) -> list[dict]:
    with open(out / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def tiny_train(data, out, *extra):
    return ["train", f"data.path={data}", f"out={out}", "data.batch_size=8", "data.val_fraction=0.25",
            "log_every=1", "val_every=3", "loss.num_proj=64", "device=cpu", *TINY_MODEL, *extra]  # fmt: skip


@pytest.mark.parametrize("recipe", sorted(EXPECTED))
def test_each_recipe_trains_from_the_cli(run, tmp_path, recipe):
    _, data, _, _, _ = run
    assert main(tiny_train(data, tmp_path / recipe, f"recipe={recipe}", "steps=3")) == 0
    rows = metrics(tmp_path / recipe)
    assert len(rows) == 3
    assert LOGGED[recipe] <= set(rows[0]) and all(float(r["loss"]) == float(r["loss"]) for r in rows)
    assert "val_rollout_loss" in rows[-1]


def test_an_ema_run_resumed_mid_way_equals_the_uninterrupted_run(run, tmp_path):
    """The target encoder is training state: a resumed run continues it exactly."""
    _, data, _, _, _ = run
    args = ("recipe=ema", "ckpt_every=3", "loss.rollout_steps=2")
    assert main(tiny_train(data, tmp_path / "whole", *args, "steps=6")) == 0
    assert main(tiny_train(data, tmp_path / "cut", *args, "steps=3")) == 0
    assert main([*tiny_train(data, tmp_path / "cut", *args, "steps=6"), "--resume"]) == 0
    whole, cut = metrics(tmp_path / "whole"), metrics(tmp_path / "cut")
    assert [r["loss"] for r in cut] == [r["loss"] for r in whole]
    assert float(whole[-1]["rollout_loss"]) > 0


# ------------------------------------------------------------------------------ env presets
@pytest.fixture
def pusht_preset(monkeypatch):
    from worldjepa.commands import env_presets
    from worldjepa.registry import Registry

    presets = Registry("env preset")
    presets.register("worldjepa/PushT-v0")({"train.recipe": "pldm", "train.steps": 123, "eval.horizon": 11})
    monkeypatch.setattr(env_presets, "ENV_PRESETS", presets)


def composed(overrides):
    from worldjepa.config.composer import compose

    return compose("quickstart", overrides)


def test_an_env_preset_applies_with_its_recipe_and_the_user_keys_win(pusht_preset):
    cfg = composed(["collect.env=worldjepa/PushT-v0"])
    assert (cfg.train.steps, cfg.eval.horizon, cfg.train.recipe) == (123, 11, "pldm")
    assert (cfg.train.loss.regulariser, cfg.train.loss.smooth_weight) == (
        "vcreg",
        0.2,
    )  # the recipe, expanded
    cfg = composed(["collect.env=worldjepa/PushT-v0", "train.steps=7", "train.recipe=ema"])
    assert (cfg.train.steps, cfg.eval.horizon) == (7, 11)
    assert (cfg.train.loss.regulariser, cfg.train.loss.smooth_weight) == ("ema", 0.0)  # ema whole, not mixed
    assert composed(["collect.env=worldjepa/Reacher-v0"]).train.steps == composed([]).train.steps


def test_a_checkpoint_saved_before_the_recipe_options_resumes(run, tmp_path):
    """Keys added since a checkpoint was saved count as their defaults, not as a changed recipe."""
    import shutil

    import yaml

    from worldjepa.manifest import write_manifest
    from worldjepa.run_dir import last_checkpoint

    _, data, out, _, train = run
    old = tmp_path / "old"
    shutil.copytree(out, old, symlinks=True)
    ckpt = last_checkpoint(old)
    cfg = yaml.safe_load((ckpt / "config.yaml").read_text())
    cfg.pop("recipe")
    for key in ("var_weight", "var_t_weight", "cov_weight", "ema_momentum", "smooth_weight", "rollout_steps",
                "rollout_weights"):  # fmt: skip
        cfg["loss"].pop(key)
    (ckpt / "config.yaml").write_text(yaml.safe_dump(cfg))
    write_manifest(ckpt)
    steps = int(ckpt.name)
    argv = [a for a in train if not a.startswith("out=")]
    assert main([*argv, f"out={old}", f"steps={steps + 2}", "--resume"]) == 0
    assert int(last_checkpoint(old).name) == steps + 2


def test_a_recipe_named_in_a_python_built_config_is_applied():
    from worldjepa.training.config import TrainConfig
    from worldjepa.training.recipes import ensure_applied

    cfg = TrainConfig(recipe="pldm")
    assert ensure_applied(cfg) and (cfg.loss.regulariser, cfg.loss.smooth_weight, cfg.model.idm_hidden) == (
        "vcreg", 0.2, 256)  # fmt: skip
    composed_cfg = composed(["train.recipe=pldm", "train.loss.smooth_weight=0.0"]).train
    assert (
        ensure_applied(composed_cfg) == {} and composed_cfg.loss.smooth_weight == 0.0
    )  # the user's choice stays
