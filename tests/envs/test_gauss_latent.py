"""The identifiability world: its latent is Gaussian with the stated dynamics, its pixels a
deterministic nonlinear function of the latent."""

import numpy as np
import pytest

from worldjepa.envs import ENV_IDS, SYNTHETIC_ENV_IDS, make_env
from worldjepa.errors import EnvError

ENV_ID = "worldjepa/GaussLatent-v0"


@pytest.fixture(scope="module")
def env():
    env = make_env(ENV_ID, image_size=32)
    yield env
    env.close()


def test_registered_outside_the_planning_suite():
    assert ENV_ID in SYNTHETIC_ENV_IDS and ENV_ID not in ENV_IDS


def test_start_states_are_standard_normal(env):
    s = np.stack([env.reset(seed=i)[1]["state"] for i in range(2000)])
    assert np.abs(s.mean(0)).max() < 0.08
    assert np.abs(np.cov(s.T) - np.eye(4)).max() < 0.1


def test_dynamics_are_linear_gaussian_as_stated(env):
    u = env.unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    states, actions = [u.state.astype(np.float64)], []
    for _ in range(6000):
        a = rng.uniform(-1, 1, 2).astype(np.float32)
        info = env.unwrapped.step(a)[-1]  # past the TimeLimit: one long trajectory
        states.append(info["state"].astype(np.float64))
        actions.append(a)
    s, a = np.stack(states), np.stack(actions)
    residual = s[1:] - s[:-1] @ u.A.T - a @ u.B.T  # the noise ε_t
    assert np.abs(np.cov(residual.T) - (1 - u.rho**2) * np.eye(4)).max() < 0.03
    assert np.abs(residual.mean(0)).max() < 0.03
    z = residual / residual.std(0)
    assert np.abs((z**3).mean(0)).max() < 0.15 and np.abs((z**4).mean(0) - 3).max() < 0.3  # Gaussian moments
    # The latent stays near N(0, I): small actions barely move the stationary law.
    assert np.abs(s.mean(0)).max() < 0.15 and np.abs(np.cov(s.T) - np.eye(4)).max() < 0.15
    assert np.allclose(np.linalg.svd(u.A / u.rho)[1], 1)  # A = rho * orthogonal


def test_pixels_are_a_fixed_function_of_the_latent(env):
    u = env.unwrapped
    s = np.array([0.5, -1.0, 0.2, 1.5])
    obs, _ = env.reset(seed=1, options={"state": s})
    assert np.array_equal(obs["pixels"], u.render_state(s))
    assert not np.array_equal(u.render_state(s), u.render_state(s + 0.3))
    # The first blob (red) sits where the nonlinear map puts it.
    x, y = u.blob_positions(s)[0]
    img = obs["pixels"].astype(float)
    redness = np.clip(img[..., 0] - img[..., 2], 0, None)
    rows, cols = np.nonzero(redness > 0.5 * redness.max())
    centre = (np.array([cols.mean(), rows.mean()]) + 0.5) / 32 * 2 - 1
    assert np.allclose(centre, [x, y], atol=0.08)
    with pytest.raises(EnvError, match="shape"):
        env.reset(options={"state": [1.0, 2.0]})


def test_invalid_options_and_actions_raise_named_errors(env):
    with pytest.raises(EnvError, match="factors must be a"):
        env.reset(options={"factors": [1.0]})
    with pytest.raises(EnvError, match="unknown factor 'mass'"):
        env.reset(options={"factors": {"mass": 1.0}})
    with pytest.raises(EnvError, match="reset options must be a dict"):
        env.reset(options="train")
    with pytest.raises(EnvError, match=r"unknown reset option\(s\) \['goal'\]"):
        env.reset(options={"goal": [0.0, 0.0]})
    with pytest.raises(EnvError, match="reset option 'state' must be a finite array"):
        env.reset(options={"state": [np.nan, 0.0, 0.0, 0.0]})
    env.reset(seed=0, options={"factors": "train"})  # a split: nothing to draw, accepted
    for bad in ([np.nan, 0.0], [0.0, np.inf], [0.0, 0.0, 0.0], "up"):
        with pytest.raises(EnvError, match=r"action must be a finite array of shape \(2,\)"):
            env.step(bad)
