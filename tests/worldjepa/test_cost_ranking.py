"""benchmarks/cost_ranking.py scores plans in the simulator and through the model on the same tasks."""

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def cost_ranking(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "benchmarks"))
    import cost_ranking

    return cost_ranking


def test_the_pool_holds_the_recorded_plan_noisy_copies_and_held_blocks_within_bounds(cost_ranking):
    rng = np.random.default_rng(0)
    recorded = rng.uniform(-0.5, 0.5, (10, 2))
    low, high = np.array([-1.0, -0.5]), np.array([1.0, 0.5])
    plans, n = cost_ranking.candidate_pool(recorded, low, high, pool=16, fs=5, rng=rng)
    assert plans.shape == (16, 10, 2) and n == 8
    np.testing.assert_allclose(plans[0], np.clip(recorded, low, high), rtol=1e-6)
    assert (plans >= low).all() and (plans <= high).all()
    draws = plans[n:].reshape(8, 2, 5, 2)
    assert (draws == draws[:, :, :1]).all()  # one action held per block, as CEM's hold_actions
    assert not (plans[1:n] == plans[0]).all()


def test_the_recorded_plan_replays_to_the_goal_and_its_true_frames_rank_first(run, cost_ranking):
    """The goal is the recorded frame 25 steps on: replaying the recorded actions from the start
    state must succeed in the simulator (actions aligned with states), and with a terminal cost
    at horizon 5 (25 steps) its encoded true frames end on the goal, the cheapest of the pool."""
    _, _, out, _, _ = run
    r = cost_ranking.score(str(out), tasks=2, pool=8, cost="terminal", horizon=5, offset=25)
    assert r["tasks"] == 2
    assert r["recorded_success"] == 1.0
    assert r["frames"]["recorded_rank"] == 0.0
    assert set(r["model"]) == set(cost_ranking.RANKED)
