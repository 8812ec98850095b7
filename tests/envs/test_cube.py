"""CubeEnv specifics: the grip action, grasps that lift the cube, the camera factor."""

import numpy as np
import pytest

from worldjepa.envs import make_env
from worldjepa.envs.policies import make_policy


@pytest.fixture(scope="module")
def env():
    env = make_env("worldjepa/Cube-v0", image_size=32)
    yield env
    env.close()


def test_grip_action_opens_and_closes_the_fingers(env):
    env.reset(seed=0)
    for grip, expected in ((1.0, 0.0), (-1.0, 0.05)):
        for _ in range(10):
            _, _, _, _, info = env.step(np.array([0, 0, 0, grip], np.float32))
        assert abs(info["state"][3] - expected) < 0.005


def test_expert_lifts_the_cube(env):
    def peak_height(**factors):
        obs, info = env.reset(seed=3, options={"factors": factors})
        policy = make_policy("expert", env, seed=3)
        policy.reset(obs, info)
        top = 0.0
        for _ in range(120):
            obs, _, _, _, info = env.step(policy(obs, info))
            top = max(top, float(info["state"][6]))
        return top

    assert peak_height() > 0.07  # carried at ~0.1 m, well off the table (cube centre at 0.025)


def test_heavier_cube_sinks_the_hand_more(env):
    """Hold the cube in the closed hand, push up with a constant force: the heavier one rises less."""

    def rise(mass):
        state = np.zeros(24)
        state[0:3] = [0.0, 0.0, 0.006]
        state[3] = 0.025
        state[4:11] = [0.0, 0.0, 0.025, 1.0, 0.0, 0.0, 0.0]
        state[21:24] = [0.1, 0.1, 0.025]
        env.reset(seed=0, options={"state": state, "factors": {"cube_mass": mass}})
        for _ in range(6):
            _, _, _, _, info = env.step(np.array([0, 0, 0.3, 1.0], np.float32))
        return float(info["state"][6])

    assert rise(0.25) < rise(0.08) - 0.002
