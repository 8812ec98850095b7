"""ReacherEnv specifics: kinematics, factors that act the way their names say, the expert."""

import numpy as np
import pytest
from envs_rollouts import success_rate

from worldjepa.envs import make_env
from worldjepa.envs import reacher_layout as RL


@pytest.fixture(scope="module")
def env():
    env = make_env("worldjepa/Reacher-v0", image_size=32)
    yield env
    env.close()


def test_inverse_kinematics_round_trips_through_fingertip():
    rng = np.random.default_rng(0)
    for l1, l2 in [(0.12, 0.12), (0.17, 0.08)]:
        for _ in range(20):
            target = RL.sample_target(rng, l1, l2)
            r_min, r_max = RL.reach_annulus(l1, l2)
            assert r_min - 1e-9 <= np.linalg.norm(target) <= r_max + 1e-9
            for elbow in (1.0, -1.0):
                q = RL.inverse_kinematics(target, l1, l2, elbow)
                assert np.allclose(RL.fingertip(q, l1, l2), target, atol=1e-9)


def test_state_fingertip_matches_kinematics_for_every_link_length(env):
    for l1, l2 in [(0.12, 0.12), (0.17, 0.08)]:
        _, info = env.reset(seed=1, options={"factors": {"link1_length": l1, "link2_length": l2}})
        for _ in range(5):
            _, _, _, _, info = env.step(np.array([0.7, -0.4], np.float32))
        q, tip = info["state"][:2], info["state"][6:8]
        assert np.allclose(RL.fingertip(q.astype(float), l1, l2), tip, atol=1e-5)


def _rotation(env, **factors) -> float:
    """Shoulder rotation (rad) after 10 steps of full torque from rest, elbow at 90 degrees."""
    start = np.array([0.0, np.pi / 2, 0, 0, 0.2, 0.0, 0, 0])
    _, info = env.reset(seed=0, options={"factors": factors, "state": start})
    for _ in range(10):
        _, _, _, _, info = env.step(np.array([1.0, 0.0], np.float32))
    return float(info["state"][0])


def test_damping_and_gain_act_as_named(env):
    base = _rotation(env)
    assert _rotation(env, joint_damping=0.06) < 0.6 * base  # more damping: slower
    assert _rotation(env, actuator_gain=0.03) < 0.6 * base  # weaker motors: slower
    assert base > 0.5


def test_expert_reaches_with_ood_links():
    env = make_env("worldjepa/Reacher-v0", image_size=16)
    links = {"link1_length": 0.17, "link2_length": 0.08}  # OOD: a long upper arm, short forearm
    try:
        assert success_rate(env, "expert", range(6), 50, {"factors": links}) >= 0.8
    finally:
        env.close()


def test_a_recorded_goal_is_judged_under_its_own_link_lengths(env):
    """The offset protocol and the sweeps reset an env whose links are another episode's: the
    goal a recorded goal state achieves is computed once the task's links are loaded, so the
    env judges the recorded fingertip, not where those joint angles put a different arm."""
    short = {"link1_length": 0.12, "link2_length": 0.078}
    env.reset(seed=0, options={"factors": short})
    goal_state = env.unwrapped.sample_task(np.random.default_rng(3))[0]
    tip = RL.fingertip(goal_state[:2], 0.12, 0.078)
    env.reset(seed=0)  # default links (0.12, 0.12): the goal state's angles reach elsewhere
    start = env.unwrapped.sample_task(np.random.default_rng(4))[0]
    _, info = env.reset(options=env.unwrapped.task_options(start, goal_state, short))
    assert np.allclose(info["goal"], tip, atol=1e-6)
    _, info = env.reset(options=env.unwrapped.task_options(goal_state, goal_state, short))
    assert info["is_success"]
