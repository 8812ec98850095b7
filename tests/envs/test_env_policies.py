"""Data-collection policies: the expert crosses the door reliably, random does not."""

import numpy as np
import pytest

from worldjepa.envs import make_env, tworoom_layout
from worldjepa.envs.policies import POLICIES, make_policy


@pytest.fixture(scope="module")
def env():
    env = make_env("worldjepa/TwoRoom-v0", image_size=16)
    yield env
    env.close()


def _cross_room_episode(env, policy_name: str, seed: int, factors=None):
    """Start in one room, goal in the other; run 100 steps -> (reached, positions (101, 2))."""
    rng = np.random.default_rng(seed)
    side = -1 if rng.random() < 0.5 else 1
    start = tworoom_layout.sample_free_position(rng, room=side)
    goal = tworoom_layout.sample_free_position(rng, room=-side)
    options = {"state": np.r_[start, 0.0, 0.0], "goal": goal, "factors": factors}
    obs, info = env.reset(seed=seed, options=options)
    policy = make_policy(policy_name, env, seed=seed)
    policy.reset(obs, info)
    reached, positions = False, [info["state"][:2]]
    truncated = False
    while not truncated:
        action = policy(obs, info)
        assert action.shape == (2,) and action.dtype == np.float32 and np.all(np.abs(action) <= 1)
        obs, _, _, truncated, info = env.step(action)
        reached |= info["is_success"]
        positions.append(info["state"][:2])
    return reached, np.array(positions)


def test_registry():
    assert {"random", "tworoom_expert", "reacher_expert"} <= set(POLICIES.names())
    with pytest.raises(ValueError, match="unknown policy 'greedy'; available"):
        make_policy("greedy", None, seed=0)


def test_expert_crosses_the_door_random_does_not(env):
    expert = [_cross_room_episode(env, "expert", s)[0] for s in range(30)]
    random = [_cross_room_episode(env, "random", s)[0] for s in range(30)]
    assert np.mean(expert) >= 0.9, f"expert success {np.mean(expert):.2f}"
    assert np.mean(random) <= 0.2, f"random success {np.mean(random):.2f}"


def test_expert_handles_ood_door(env):
    factors = {"door_position": 0.55, "door_width": 0.27}
    assert np.mean([_cross_room_episode(env, "expert", s, factors)[0] for s in range(10)]) >= 0.8


def test_expert_keeps_moving_after_success(env):
    obs, info = env.reset(seed=0, options={"state": [-0.5, 0.0, 0, 0], "goal": [-0.3, 0.2]})
    policy = make_policy("expert", env, seed=0)
    policy.reset(obs, info)
    positions = []
    for _ in range(100):
        obs, _, _, _, info = env.step(policy(obs, info))
        positions.append(info["state"][:2])
    positions = np.array(positions)
    # The goal is reached early, yet every 20-step window still shows motion.
    assert all(np.ptp(positions[i : i + 20], axis=0).max() > 0.1 for i in range(20, 100, 20))


def test_policies_are_seeded(env):
    obs, info = env.reset(seed=0)
    for name in ("random", "expert"):
        a, b, c = (make_policy(name, env, seed=s) for s in (1, 1, 2))
        for p in (a, b, c):
            p.reset(obs, info)
        np.testing.assert_array_equal(a(obs, info), b(obs, info))
        assert not np.array_equal(a(obs, info), c(obs, info))
