"""Planning in bf16 chooses what planning in float32 chooses."""

import numpy as np
import pytest

import worldjepa
from worldjepa.models.predictor import Predictor


def first_actions(ck, starts, goals, amp: str) -> np.ndarray:
    policy = ck.policy(seed=0, amp=amp)
    policy.reset(goals)
    return policy.act(starts)  # (B, A), in the env's units


@pytest.fixture
def float32_io():
    yield
    Predictor.float32_io = True


@pytest.mark.parametrize("io", [True, False])
def test_bf16_planning_takes_the_float32_action_on_a_tiny_trained_model(run, io, float32_io):
    """A tiny model's imagined latents differ little from plan to plan: rounded to bf16 they
    rank CEM's candidates at random unless the predictor keeps its input, output and
    modulations in float32 (``Predictor.float32_io``), which is what the False case shows."""
    _, _, out, _, _ = run
    ck = worldjepa.load(out)
    ds = ck.dataset()
    episodes = [ds.read_episode(e, ["pixels"])["pixels"] for e in range(ds.num_episodes)]
    starts, goals = np.stack([p[0] for p in episodes]), np.stack([p[25] for p in episodes])
    Predictor.float32_io = io
    gap = np.abs(first_actions(ck, starts, goals, "bf16") - first_actions(ck, starts, goals, "none")).mean()
    scale = np.abs(first_actions(ck, starts, goals, "none")).mean()
    if io:
        assert gap < 0.15 * scale, (gap, scale)
    else:  # the control: everything in bf16 plans another action
        assert gap > 0.3 * scale, (gap, scale)  # measured: ~1.1 x scale
