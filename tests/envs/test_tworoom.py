"""TwoRoomEnv: gym API compliance, determinism, pickling, factors that really act, errors."""

import gc
import json
import pickle
import subprocess
import sys

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from worldjepa.envs import ENV_IDS, env_factor_space, make_env
from worldjepa.envs.tworoom import TwoRoomEnv
from worldjepa.errors import EnvError

ENV_ID = "worldjepa/TwoRoom-v0"


@pytest.fixture(scope="module")
def env():
    env = TwoRoomEnv(image_size=32)
    yield env
    env.close()


def _rollout(env, seed: int, n: int = 15, options=None, between=None):
    """Reset with seed, step n seeded random actions -> (proprio (n+1, 4), pixels (n+1, S, S, 3))."""
    obs, _ = env.reset(seed=seed, options=options)
    actions = np.random.default_rng(seed).uniform(-1, 1, (n, 2)).astype(np.float32)
    proprio, pixels = [obs["proprio"]], [obs["pixels"]]
    for a in actions:
        if between is not None:
            between(env)
        obs, *_ = env.step(a)
        proprio.append(obs["proprio"])
        pixels.append(obs["pixels"])
    return np.stack(proprio), np.stack(pixels)


def _push(env, action, n: int, **options) -> np.ndarray:
    """Reset to the options, apply a constant action n steps -> final state (4,)."""
    env.reset(seed=0, options=options)
    for _ in range(n):
        _, _, _, _, info = env.step(np.asarray(action, dtype=np.float32))
    return info["state"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_check_env_direct_and_via_make():
    check_env(TwoRoomEnv(image_size=32))
    wrapped = make_env(ENV_ID, image_size=32)
    check_env(wrapped.unwrapped)
    assert wrapped.spec.max_episode_steps == 100


def test_spaces_and_info(env):
    obs, info = env.reset(seed=1)
    assert obs["pixels"].shape == (32, 32, 3) and obs["pixels"].dtype == np.uint8
    assert obs["proprio"].shape == (4,) and obs["proprio"].dtype == np.float32
    assert info["state"].dtype == np.float32 and info["goal"].shape == (2,)
    assert env.state_names == ("agent_x", "agent_y", "agent_vx", "agent_vy")
    json.dumps(info["factors"])
    _, reward, terminated, truncated, info = env.step(np.zeros(2, np.float32))
    assert reward == pytest.approx(-info["distance"]) and not terminated and not truncated


def test_same_seed_same_trajectory_and_seeds_differ(env):
    p1, x1 = _rollout(env, seed=7)
    p2, x2 = _rollout(TwoRoomEnv(image_size=32), seed=7)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(x1, x2)
    p3, _ = _rollout(env, seed=8)
    assert not np.array_equal(p1, p3)


def test_pickle_round_trip_steps_identically(env):
    p1, x1 = _rollout(env, seed=3)
    clone = pickle.loads(pickle.dumps(env))
    p2, x2 = _rollout(clone, seed=3)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(x1, x2)
    pickle.loads(pickle.dumps(make_env(ENV_ID, image_size=32)))


def test_time_limit_truncates_at_100():
    env = make_env(ENV_ID, image_size=16)
    env.reset(seed=0)
    for t in range(100):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated and truncated == (t == 99)


def test_factor_split_samples_ood(env):
    ood = TwoRoomEnv(image_size=16, factor_split="ood")
    _, info = ood.reset(seed=0)
    space = env_factor_space(ENV_ID)
    assert all(space[name].contains(value, "ood") for name, value in info["factors"].items())
    _, info = env.reset(seed=0, options={"factors": "ood"})
    assert space["door_width"].contains(info["factors"]["door_width"], "ood")


def test_colour_factors_change_pixels(env):
    state = {"state": [-0.5, 0.5, 0, 0], "goal": [0.5, 0.5]}
    base, _ = env.reset(seed=0, options=state)
    blue, info = env.reset(seed=0, options={**state, "factors": {"agent_color": (0.0, 0.0, 1.0)}})
    assert info["factors"]["agent_color"] == (0.0, 0.0, 1.0)
    px = lambda img: img["pixels"].astype(int)  # noqa: E731
    red_px = (px(base)[..., 0] - px(base)[..., 2]) > 100
    blue_px = (px(blue)[..., 2] - px(blue)[..., 0]) > 100
    assert red_px.sum() >= 3 and blue_px.sum() >= 3 and not blue_px[~red_px].any()
    green, _ = env.reset(seed=0, options={**state, "factors": {"floor_color": (0.2, 0.9, 0.2)}})
    assert (np.abs(px(green) - px(base)).sum(-1) > 60).mean() > 0.5


def test_mass_and_damping_change_dynamics(env):
    start = {"state": [-0.8, 0.0, 0, 0], "goal": [0.5, 0.5]}
    light = _push(env, (1, 0), 4, **start, factors={"agent_mass": 0.4})
    heavy = _push(env, (1, 0), 4, **start, factors={"agent_mass": 1.3})
    assert heavy[0] + 0.8 < 0.8 * (light[0] + 0.8)
    low = _push(env, (1, 0), 12, **start, factors={"damping": 3.0})
    high = _push(env, (1, 0), 12, **start, factors={"damping": 8.0})
    assert high[0] + 0.8 < 0.7 * (low[0] + 0.8) and high[2] < 0.7 * low[2]


def test_default_physics_speed(env):
    final = _push(env, (1, 0), 20, state=[-0.9, 0.0, 0, 0], goal=[0.5, 0.5])
    assert final[2] == pytest.approx(0.7, abs=0.02)  # terminal speed gear / damping = 3.5 / 5


@pytest.mark.parametrize("door", [0.5, -0.5])
def test_door_lets_agent_through_only_where_it_is(env, door):
    def pushed_from(y):
        return _push(env, (1, 0), 30, state=[-0.5, y, 0, 0], goal=[0.5, 0.5], factors={"door_position": door})

    assert pushed_from(door)[0] > 0.3  # through the door
    assert pushed_from(-door)[0] < -0.1  # stopped by the wall (x = -0.05 - radius)


def test_closing_or_dropping_another_env_leaves_these_frames_intact(env):
    """mujoco < 4 (what Python 3.10 gets) frees a renderer in whichever GL context is current."""
    state = {"state": [-0.5, 0.5, 0, 0], "goal": [0.5, 0.5]}
    ref = env.reset(seed=0, options={**state, "factors": "default"})[0]["pixels"]
    for drop in (lambda e: e.close(), lambda e: None):  # closed, or just garbage-collected
        other = TwoRoomEnv(image_size=16, factor_split="ood")
        other.reset(seed=0)
        env.reset(seed=0, options={"factors": "ood"})  # door_width is compiled: a new renderer
        drop(other)
        del other
        gc.collect()
        after = env.reset(seed=0, options={**state, "factors": "default"})[0]["pixels"]
        np.testing.assert_array_equal(after, ref)


def test_render_state_does_not_disturb_simulation(env):
    p1, x1 = _rollout(env, seed=5)
    p2, x2 = _rollout(env, seed=5, between=lambda e: e.render_state([0.5, -0.5, 1.0, 0.0]))
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(x1, x2)
    # It shows the agent where asked: same pixels as actually being there.
    goal_img = env.render_state([0.4, 0.3, 0.0, 0.0])
    obs, _ = env.reset(seed=5, options={"state": [0.4, 0.3, 0.0, 0.0]})
    np.testing.assert_array_equal(goal_img, obs["pixels"])


def test_sampled_tasks_are_free_and_use_both_rooms(env):
    starts, goals = zip(*(env.sample_task(np.random.default_rng(s)) for s in range(200)), strict=True)
    starts, goals = np.array(starts), np.array(goals)
    assert np.all(np.abs(starts[:, :2]) <= 1 - 0.075) and np.all(np.abs(starts[:, 0]) > 0.05 + 0.075)
    crossing = np.mean(np.sign(starts[:, 0]) != np.sign(goals[:, 0]))
    assert 0.35 < crossing < 0.65


@pytest.mark.parametrize(
    "options, match",
    [
        ({"state": [0.0, 0.5, 0, 0]}, "overlaps a wall"),  # inside the inner wall
        ({"state": [1.5, 0.0, 0, 0]}, "outside the arena"),
        ({"state": [0.5, 0.0]}, r"shape \(4,\)"),
        ({"goal": [0.5, np.nan]}, "finite"),
        ({"factors": {"door_colour": (1, 0, 0)}}, "unknown factor 'door_colour'; available: agent_color"),
        ({"factors": {"door_width": (0.3, 0.3)}}, "expects a float"),
        ({"factors": {"door_position": 0.8, "door_width": 0.5}}, "leaves no inner wall"),
        ({"target": [0, 0]}, "unknown reset option"),
    ],
)
def test_invalid_reset_options_raise(env, options, match):
    with pytest.raises(EnvError, match=match):
        env.reset(seed=0, options=options)


def test_set_goal_and_errors(env):
    env.reset(seed=0, options={"state": [-0.5, 0.5, 0, 0]})
    env.set_goal([-0.5, 0.45])
    _, _, _, _, info = env.step(np.zeros(2, np.float32))
    assert info["is_success"] and np.allclose(info["goal"], [-0.5, 0.45])
    with pytest.raises(EnvError):
        env.set_goal([0.0, 0.9])
    with pytest.raises(EnvError, match="unknown factor split .test."):
        TwoRoomEnv(factor_split="test")


def test_registry_ids_and_unknown_id():
    assert ENV_ID in ENV_IDS and all(env_id in gymnasium.registry for env_id in ENV_IDS)
    with pytest.raises(EnvError, match=r"unknown env 'Nope-v0'; available: worldjepa/TwoRoom-v0, "):
        make_env("Nope-v0")
    with pytest.raises(EnvError):
        env_factor_space("Nope-v0")


def test_import_and_factor_space_do_not_import_mujoco():
    code = (
        "import sys, worldjepa.envs as E; E.env_factor_space(E.ENV_IDS[0]); "
        "import worldjepa.envs.policies; assert 'mujoco' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
