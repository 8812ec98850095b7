"""WorldModel: encode / predict / rollout contracts and a short end-to-end training run."""

import pytest
import torch

from worldjepa.errors import ConfigError
from worldjepa.losses import LossConfig, objective
from worldjepa.metrics import effective_rank
from worldjepa.models import WorldModelConfig, build_world_model

FS, A = 2, 2  # frameskip, action dim -> blocks of 4


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def tiny_config(**overrides) -> WorldModelConfig:
    kw = dict(
        image_size=32,
        encoder_kwargs={"channels": (16, 32, 64), "bottleneck": 16},
        feature_dim=64,
        latent_dim=16,
        projector_hidden=64,
        action_dim=A,
        frameskip=FS,
        predictor_dim=64,
        predictor_depth=2,
        predictor_heads=2,
        num_hist=3,
    )
    return WorldModelConfig(**{**kw, **overrides})


@pytest.fixture(params=["rope", "learned"])
def model(request):
    torch.manual_seed(0)  # module init uses the global RNG; fix it for reproducible tests
    m = build_world_model(tiny_config(predictor_pos=request.param)).eval()
    with torch.no_grad():  # break AdaLN-zero so that actions and history matter
        w = m.predictor.modulation[-1].weight
        w.copy_(torch.randn(w.shape, generator=gen(1)) * 0.1)
    return m


def test_config_roundtrip_and_unknown_keys():
    cfg = tiny_config()
    assert WorldModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="latent_dimm"):
        WorldModelConfig.from_dict({"latent_dimm": 3})


def test_shapes(model):
    px = torch.randint(0, 256, (2, 4, 3, 32, 32), dtype=torch.uint8, generator=gen(0))
    z = model.encode(px)
    assert z.shape == (2, 4, 16) and z.dtype == torch.float32
    assert torch.allclose(z, model.encode(px.float()))  # float in [0, 255] is accepted too
    assert model.predict(z, torch.randn(2, 4, FS * A)).shape == (2, 4, 16)
    a_ctx = torch.randn(2, 2, FS * A)
    assert model.rollout(z[:, :3], torch.randn(2, 7, 5, FS * A), a_ctx).shape == (2, 7, 5, 16)
    assert model.rollout(z[:, :1], torch.randn(2, 7, 5, FS * A)).shape == (2, 7, 5, 16)  # H0 = 1
    with pytest.raises(ValueError, match="image_size"):
        model.encode(torch.zeros(1, 1, 3, 64, 64, dtype=torch.uint8))
    with pytest.raises(ValueError, match="actions_ctx"):
        model.rollout(z[:, :3], torch.randn(2, 7, 5, FS * A))


@torch.no_grad()
def test_rollout_of_one_step_equals_predict(model):
    z = torch.randn(3, 3, 16, generator=gen(0))
    a_ctx, a = torch.randn(3, 2, FS * A, generator=gen(1)), torch.randn(3, FS * A, generator=gen(2))
    expected = model.predict(z, torch.cat([a_ctx, a[:, None]], 1))[:, -1]
    got = model.rollout(z, a[:, None, None], a_ctx)[:, 0, 0]
    assert torch.allclose(got, expected, atol=1e-5)


@torch.no_grad()
def test_rollout_with_samples_equals_separate_rollouts(model):
    B, S, H = 2, 4, 5
    z = torch.randn(B, 2, 16, generator=gen(0))
    a_ctx, a = torch.randn(B, 1, FS * A, generator=gen(1)), torch.randn(B, S, H, FS * A, generator=gen(2))
    batched = model.rollout(z, a, a_ctx)
    for s in range(S):
        assert torch.allclose(batched[:, s], model.rollout(z, a[:, s : s + 1], a_ctx)[:, 0], atol=1e-5)
    # step h uses a[:, :, h] on the newest token: changing a later block leaves earlier steps alone
    a2 = a.clone()
    a2[:, :, 3:] += 1.0
    changed = model.rollout(z, a2, a_ctx)
    assert torch.allclose(changed[:, :, :3], batched[:, :, :3], atol=1e-6)
    assert not torch.allclose(changed[:, :, 3:], batched[:, :, 3:], atol=1e-4)


@torch.no_grad()
def test_rollout_feeds_back_only_num_hist_frames(model):
    z, a_ctx = torch.randn(1, 5, 16, generator=gen(0)), torch.randn(1, 4, FS * A, generator=gen(1))
    a = torch.randn(1, 2, 3, FS * A, generator=gen(2))
    full = model.rollout(z, a, a_ctx)
    assert torch.allclose(full, model.rollout(z[:, -3:], a, a_ctx[:, -2:]), atol=1e-6)


def rope_model(**overrides):
    torch.manual_seed(0)
    m = build_world_model(tiny_config(predictor_pos="rope", **overrides)).eval()
    with torch.no_grad():
        w = m.predictor.modulation[-1].weight
        w.copy_(torch.randn(w.shape, generator=gen(1)) * 0.1)
    return m


@torch.no_grad()
@pytest.mark.parametrize("H0", [1, 2, 3])
def test_cached_rollout_is_the_teacher_forced_pass_on_its_own_predictions(H0):
    """The KV-cached rollout computes exactly what training computes: one windowed causal pass
    over context + predicted latents (so caching changes the cost, not the model)."""
    m = rope_model()
    B, S, H = 2, 3, 6
    z = torch.randn(B, H0, 16, generator=gen(0))
    a_ctx = torch.randn(B, H0 - 1, FS * A, generator=gen(1)) if H0 > 1 else None
    a = torch.randn(B, S, H, FS * A, generator=gen(2))
    out = m.rollout(z, a, a_ctx, chunk_size=4)  # chunks that straddle batch elements
    for b in range(B):
        for s in range(S):
            seq = torch.cat([z[b], out[b, s]])[None, :-1]  # (1, H0+H-1, D)
            acts = a[b, s] if a_ctx is None else torch.cat([a_ctx[b], a[b, s]])
            teacher = m.predict(seq, acts[None])[0, H0 - 1 :]
            assert torch.allclose(out[b, s], teacher, atol=1e-5)


@torch.no_grad()
def test_rope_predictor_attends_only_within_its_window():
    """Token t sees tokens t-2..t per layer: with depth 2, outputs from t >= 5 ignore token 0."""
    m = rope_model()
    z, a = torch.randn(1, 8, 16, generator=gen(0)), torch.randn(1, 8, FS * A, generator=gen(1))
    z2 = z.clone()
    z2[:, 0] += 3.0
    p1, p2 = m.predict(z, a), m.predict(z2, a)
    assert not torch.allclose(p1[:, 4], p2[:, 4], atol=1e-4)  # within depth * (window-1) = 4
    assert torch.allclose(p1[:, 5:], p2[:, 5:], atol=1e-6)


def test_checkpoints_without_predictor_pos_load_learned_positions():
    d = tiny_config().to_dict()
    del d["predictor_pos"]
    cfg = WorldModelConfig.from_dict(d)
    assert cfg.predictor_pos == "learned"
    m = build_world_model(cfg)
    assert not m.predictor.cacheable and m.predictor.pos is not None
    with pytest.raises(ValueError, match="rope"):
        m.predictor.step(torch.zeros(1, 16), torch.zeros(1, 1), m.predictor.empty_cache())
    with pytest.raises(ConfigError, match="predictor_pos=alibi: must be one of: rope, learned"):
        build_world_model(tiny_config(predictor_pos="alibi"))


@torch.no_grad()
def test_action_stats_normalise_raw_actions(model):
    z, a = torch.randn(2, 3, 16, generator=gen(0)), torch.randn(2, 3, FS * A, generator=gen(1))
    mean, std = torch.tensor([10.0, -5.0]), torch.tensor([2.0, 0.5])
    reference = model.predict(z, a)
    model.set_action_stats(mean, std)
    assert torch.equal(model.action_mean, torch.tensor([10.0, -5.0, 10.0, -5.0]))  # step-major tiling
    raw = a * model.action_std + model.action_mean
    assert torch.allclose(model.predict(z, raw), reference, atol=1e-5)
    assert "action_mean" in model.state_dict()


def moving_squares(batch: int, T: int, g: torch.Generator, size: int = 32, side: int = 6):
    """A white square moved by its actions (velocities). -> pixels (B, T, 3, size, size) uint8,
    actions (B, T, 2) with frameskip 1."""
    pos = torch.rand(batch, 2, generator=g) * (size - side)
    actions = torch.rand(batch, T, 2, generator=g) * 2 - 1
    grid = torch.arange(size).float()
    frames = []
    for t in range(T):
        r = pos.round()
        rows = (grid >= r[:, :1]) & (grid < r[:, :1] + side)  # (B, size)
        cols = (grid >= r[:, 1:]) & (grid < r[:, 1:] + side)
        square = rows[:, :, None] & cols[:, None, :]  # (B, size, size)
        frames.append(square[:, None].expand(-1, 3, -1, -1).to(torch.uint8) * 255)
        pos = (pos + 3.0 * actions[:, t]).clamp(0, size - side)
    return torch.stack(frames, 1), actions


def train_on_squares(model, loss_cfg: LossConfig, steps: int = 60) -> list[dict]:
    """Adam on fresh moving-squares batches -> every step's objective terms."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data_gen, outs = gen(0), []
    for step in range(steps):
        pixels, actions = moving_squares(32, 4, data_gen)
        out = objective(model, {"pixels": pixels, "action": actions}, loss_cfg, gen(step))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        outs.append(out)
    return outs


def test_short_training_run_learns_action_conditioned_dynamics():
    torch.manual_seed(0)
    D = 16
    model = build_world_model(tiny_config(frameskip=1, latent_dim=D))
    pred_losses = [out["pred_loss"].item() for out in train_on_squares(model, LossConfig(num_proj=128))]
    assert sum(pred_losses[-5:]) / 5 < 0.3 * sum(pred_losses[:5]) / 5

    model.eval()
    with torch.no_grad():
        pixels, actions = moving_squares(64, 4, gen(99))
        z = model.encode(pixels)
        err = (model.predict(z[:, :-1], actions[:, :-1]) - z[:, 1:]).pow(2).mean()
        shuffled = (model.predict(z[:, :-1], actions.flip(0)[:, :-1]) - z[:, 1:]).pow(2).mean()
    assert err < 0.5 * shuffled  # the predictor uses the actions
    assert effective_rank(z.reshape(-1, D)) > D / 4  # SIGReg kept the latents from collapsing


def test_inverse_dynamics_term_reads_the_actions_back_from_consecutive_latents():
    torch.manual_seed(0)
    model = build_world_model(tiny_config(frameskip=1, latent_dim=16, idm_hidden=64))
    loss_cfg = LossConfig(num_proj=128, idm_weight=1.0)
    out = train_on_squares(model, loss_cfg, steps=150)[-1]
    weighted = out["pred_loss"] + loss_cfg.sigreg_weight * out["sigreg_loss"] + out["idm_loss"]
    assert torch.allclose(out["loss"], weighted)

    model.eval()
    with torch.no_grad():
        pixels, actions = moving_squares(64, 4, gen(99))
        z = model.encode(pixels)
        a_hat = model.idm(torch.cat([z[:, :-1], z[:, 1:]], -1))
        err = (a_hat - model.normalise_actions(actions[:, :-1])).pow(2).mean()
    # Actions are uniform in [-1, 1] (variance 1/3); clamping at the borders hides a few.
    assert err < 0.3 * actions.var()


def test_inverse_dynamics_term_needs_its_head(model):
    pixels, actions = moving_squares(2, 4, gen(0))
    with pytest.raises(ValueError, match="idm_hidden"):
        objective(
            model,
            {"pixels": pixels, "action": actions.repeat(1, 1, FS)},
            LossConfig(num_proj=8, idm_weight=0.1),
        )
