"""SIGReg, the prediction loss and the effective-rank metric."""

import pytest
import torch

from worldjepa.losses import LossConfig, SIGReg, prediction_loss
from worldjepa.metrics import effective_rank


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def analytic_floor(sigreg: SIGReg) -> float:
    """E[stat] for N(0, 1) projections: E|φ̂_B(t) − φ(t)|² = (1 − e^{−t²}) / B, times B."""
    return float((sigreg.weights * (1 - torch.exp(-(sigreg.t**2)))).sum())


def test_gaussian_samples_sit_at_the_floor():
    sigreg = SIGReg()
    floor = analytic_floor(sigreg)
    assert 1.0 < floor < 1.1  # 2∫ e^{-t²/2}(1 − e^{-t²}) dt over [0, 3] ≈ 1.05
    stats = [float(sigreg(torch.randn(256, 64, generator=gen(i)), gen(100 + i))) for i in range(4)]
    assert sum(stats) / len(stats) == pytest.approx(floor, rel=0.15)


@pytest.mark.parametrize("kind", ["constant", "zeros", "rank1"])
def test_collapsed_samples_score_far_above_the_floor(kind):
    sigreg = SIGReg()
    z = {
        "constant": torch.ones(256, 64) * 0.5,
        "zeros": torch.zeros(256, 64),
        "rank1": torch.randn(256, 1, generator=gen(0)) * torch.randn(1, 64, generator=gen(1)),
    }[kind]
    assert float(sigreg(z, gen(2))) > 10 * analytic_floor(sigreg)


def test_time_axis_is_averaged_and_two_dim_input_accepted():
    sigreg = SIGReg(num_proj=64)
    z = torch.randn(128, 3, 16, generator=gen(0))
    per_t = torch.stack([sigreg(z[:, t], gen(5)) for t in range(3)])
    assert torch.allclose(sigreg(z, gen(5)), per_t.mean(), rtol=1e-5)


def test_gradient_steps_undo_collapse():
    B, D = 256, 16
    z0 = torch.randn(B, 1, generator=gen(0)) * torch.randn(1, D, generator=gen(1))
    z0 = z0 + 0.01 * torch.randn(B, D, generator=gen(2))  # nearly rank-1
    sigreg = SIGReg(num_proj=256)
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.SGD([z], lr=10.0)
    for step in range(20):
        loss = sigreg(z, gen(step))  # fresh directions each step, as in training
        opt.zero_grad()
        loss.backward()
        opt.step()
    before, after = float(sigreg(z0, gen(999))), float(sigreg(z.detach(), gen(999)))
    assert after < 0.25 * before
    assert effective_rank(z0) < 2 and effective_rank(z) > D / 2


def test_directions_depend_on_the_generator_seed_only():
    sigreg = SIGReg(num_proj=32)
    z = torch.randn(64, 8, generator=gen(0))
    assert torch.equal(sigreg(z, gen(1)), sigreg(z, gen(1)))
    assert not torch.equal(sigreg(z, gen(1)), sigreg(z, gen(2)))
    d = sigreg.directions(8, gen(3), torch.device("cpu"))
    assert d.shape == (8, 32) and torch.allclose(d.norm(dim=0), torch.ones(32))


def test_prediction_loss_and_config():
    a, b = torch.zeros(2, 3, 4), torch.ones(2, 3, 4)
    assert float(prediction_loss(a, b)) == pytest.approx(1.0)
    assert LossConfig().sigreg_weight == pytest.approx(0.09) and LossConfig().num_proj == 1024


def test_effective_rank():
    D = 32
    assert effective_rank(torch.randn(4096, D, generator=gen(0))) > 0.95 * D
    rank1 = torch.randn(512, 1, generator=gen(1)) * torch.randn(1, D, generator=gen(2))
    assert effective_rank(rank1) == pytest.approx(1.0, abs=0.01)
    assert effective_rank(torch.ones(10, D)) == pytest.approx(1.0)  # fully collapsed, eps-safe


def test_sigreg_stays_float32_under_bf16_autocast():
    """The trainer runs under bf16 autocast; SIGReg's projection must not drop to bf16."""
    import torch

    from worldjepa.losses import SIGReg

    z = torch.randn(128, 2, 32, generator=torch.Generator().manual_seed(0))
    reg = SIGReg(num_proj=64)
    ref = reg(z, generator=torch.Generator().manual_seed(1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        auto = reg(z, generator=torch.Generator().manual_seed(1))
    assert auto.dtype == torch.float32
    assert torch.allclose(auto, ref, rtol=1e-5, atol=1e-6)


def test_episode_centred_sigreg_sees_through_a_latent_constant_within_episodes():
    """A latent that only encodes its episode (Gaussian across episodes) passes plain SIGReg and
    fails the episode-centred one; a latent that also varies within episodes passes both."""
    from worldjepa.losses.objectives import EpisodeCentredSIGReg
    from worldjepa.losses.sigreg import SIGReg

    g = torch.Generator().manual_seed(0)
    episodes = torch.arange(64).repeat_interleave(4)  # 64 episodes x 4 windows
    per_episode = torch.randn(64, 1, 16, generator=g)[episodes].expand(-1, 3, -1)  # (256, 3, 16)
    moving = torch.randn(256, 3, 16, generator=g)
    plain, centred = SIGReg(num_proj=256), EpisodeCentredSIGReg(num_proj=256)
    seeded = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    assert plain(per_episode, seeded()) < 5
    assert centred(per_episode, seeded(), episodes) > 50
    assert centred(per_episode + moving, seeded(), episodes) < 5
