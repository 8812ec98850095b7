"""Encoders, projector, action encoder and the causal AdaLN-zero predictor."""

import pytest
import torch

from worldjepa.models import ENCODERS, ActionEncoder, Predictor, Projector


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_cnn_encoder_shape_and_budget():
    enc = ENCODERS.get("cnn")()  # defaults: 64 px -> 256
    assert n_params(enc) < 1_200_000
    assert enc(torch.rand(5, 3, 64, 64) * 2 - 1).shape == (5, 256)
    small = ENCODERS.get("cnn")(image_size=32, channels=(8, 16, 32), out_dim=24)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 24)
    with pytest.raises(ValueError, match="divisible"):
        ENCODERS.get("cnn")(image_size=36)


def test_vit_encoder_shape():
    enc = ENCODERS.get("vit_tiny")(image_size=32, patch_size=8, dim=32, depth=2, heads=2, out_dim=20)
    assert enc(torch.zeros(3, 3, 32, 32)).shape == (3, 20)
    assert 5e6 < n_params(ENCODERS.get("vit_tiny")()) < 6e6  # ViT-tiny scale at the defaults


def test_unknown_encoder_lists_the_available_ones():
    with pytest.raises(ValueError, match="available: cnn, vit_tiny"):
        ENCODERS.get("resnet")


def test_projector_and_action_encoder_shapes():
    assert Projector(16, 32, 8)(torch.randn(4, 16)).shape == (4, 8)
    assert ActionEncoder(10, 12)(torch.randn(2, 3, 10)).shape == (2, 3, 12)


def randomise_modulation(pred: Predictor) -> Predictor:
    """Break the zero init so actions matter (as after training)."""
    with torch.no_grad():
        w = pred.modulation[-1].weight
        w.copy_(torch.randn(w.shape, generator=gen(7)) * 0.1)
    return pred


def test_predictor_shapes():
    pred = Predictor(latent_dim=10, dim=32, depth=2, heads=4, cond_dim=6)
    assert pred(torch.randn(2, 5, 10), torch.randn(2, 5, 6)).shape == (2, 5, 10)
    with pytest.raises(ValueError, match="max_len"):
        pred(torch.randn(1, 17, 10), torch.randn(1, 17, 6))


def test_predictor_is_causal():
    pred = randomise_modulation(Predictor(latent_dim=8, dim=32, depth=3, heads=4)).eval()
    z, c = torch.randn(2, 6, 8, generator=gen(0)), torch.randn(2, 6, 32, generator=gen(1))
    k = 2
    z2, c2 = z.clone(), c.clone()
    z2[:, k + 1 :] += torch.randn(2, 6 - k - 1, 8, generator=gen(2))
    c2[:, k + 1 :] += torch.randn(2, 6 - k - 1, 32, generator=gen(3))
    out, out2 = pred(z, c), pred(z2, c2)
    assert torch.allclose(out[:, : k + 1], out2[:, : k + 1], atol=1e-6)
    assert not torch.allclose(out[:, k + 1 :], out2[:, k + 1 :], atol=1e-3)


def test_adaln_zero_init_ignores_actions():
    pred = Predictor(latent_dim=8, dim=32, depth=2, heads=4).eval()
    z = torch.randn(2, 4, 8, generator=gen(0))
    a, b = torch.randn(2, 4, 32, generator=gen(1)), torch.randn(2, 4, 32, generator=gen(2))
    assert torch.equal(pred(z, a), pred(z, b))
    randomise_modulation(pred)
    assert not torch.allclose(pred(z, a), pred(z, b), atol=1e-4)


@pytest.mark.parametrize("depth", [0, 2])
def test_last_only_equals_the_last_position(depth):
    pred = randomise_modulation(Predictor(latent_dim=8, dim=32, depth=depth, heads=4)).eval()
    z, c = torch.randn(3, 4, 8, generator=gen(0)), torch.randn(3, 4, 32, generator=gen(1))
    mods = pred.modulations(c)
    last = pred.forward_modulated(z, mods, last_only=True)
    assert last.shape == (3, 1, 8)
    assert torch.allclose(last, pred(z, c)[:, -1:], atol=1e-5)


@pytest.mark.parametrize("case", ["full", "causal", "mask", "last query"])
def test_cpu_bf16_attention_computes_what_sdpa_computes(case):
    """The plain-matmul path ``attend`` takes on the CPU in bf16 (faster there than the fused
    kernels) is the same function as F.scaled_dot_product_attention."""
    import torch.nn.functional as F

    from worldjepa.models.layers import attend, window_mask

    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(4, 3, 7, 16, generator=g) for _ in range(3))
    kw = {"causal": case == "causal", "mask": window_mask(7, 3, "cpu") if case == "mask" else None}
    if case == "last query":
        q = q[:, :, -1:]
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=kw["mask"], is_causal=kw["causal"])
    got = attend(q.bfloat16(), k.bfloat16(), v.bfloat16(), **kw)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), ref, atol=3e-2, rtol=3e-2)
