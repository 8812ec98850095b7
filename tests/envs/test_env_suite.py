"""Every registered env: gym conformance, determinism, pickling, factors that act, tasks, experts."""

import pickle

import numpy as np
import pytest
from envs_rollouts import success_rate
from gymnasium.utils.env_checker import check_env

from worldjepa.envs import ENV_IDS, env_factor_space, make_env
from worldjepa.envs.policies import make_policy
from worldjepa.errors import EnvError


@pytest.fixture(scope="module", params=ENV_IDS)
def env(request):
    env = make_env(request.param, image_size=32)
    yield env
    env.close()


def _rollout(env, seed: int, n: int = 12, options=None, policy: str | None = None):
    """Reset with seed, then n steps of seeded random actions (or of a registered policy)
    -> (states (n+1, S), pixels (n+1, 32, 32, 3))."""
    obs, info = env.reset(seed=seed, options=options)
    actions = np.random.default_rng(seed).uniform(-1, 1, (n, *env.action_space.shape)).astype(np.float32)
    if policy is not None:
        act = make_policy(policy, env, seed=seed)
        act.reset(obs, info)
    states, pixels = [info["state"]], [obs["pixels"]]
    for a in actions:
        obs, _, _, _, info = env.step(a if policy is None else act(obs, info))
        states.append(info["state"])
        pixels.append(obs["pixels"])
    return np.stack(states), np.stack(pixels)


def _changed_pixels(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels that differ clearly (> 20 levels in some channel) between two frame stacks."""
    return int((np.abs(a.astype(int) - b.astype(int)).max(-1) > 20).sum())


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_check_env(env):
    check_env(env.unwrapped)


def test_spaces_info_and_factor_space(env):
    u = env.unwrapped
    obs, info = env.reset(seed=3)
    assert obs["pixels"].shape == (32, 32, 3) and obs["pixels"].dtype == np.uint8
    assert obs["proprio"].dtype == np.float32 and env.observation_space.contains(obs)
    assert info["state"].shape == (len(u.state_names),) and info["state"].dtype == np.float32
    assert info["goal"].shape == (u.GOAL_DIM,)
    assert set(info) >= {"state", "goal", "factors", "is_success", "distance"}
    space = env_factor_space(env.spec.id)
    assert list(info["factors"]) == space.names
    assert {f.kind for f in space} == {"visual", "geometric", "physical"} and len(space) >= 8
    assert not info["is_success"]  # sampled tasks never start solved


def test_same_seed_same_trajectory_and_seeds_differ(env):
    s1, p1 = _rollout(env, seed=7, options={"factors": "train"})
    s2, p2 = _rollout(env, seed=7, options={"factors": "train"})
    s3, _ = _rollout(env, seed=8, options={"factors": "train"})
    assert np.array_equal(s1, s2) and np.array_equal(p1, p2)
    assert not np.allclose(s1, s3)


def test_pickle_round_trip_steps_identically(env):
    clone = pickle.loads(pickle.dumps(env))
    try:
        assert np.array_equal(_rollout(env, seed=5)[0], _rollout(clone, seed=5)[0])
    finally:
        clone.close()


def test_every_factor_split_samples_inside_its_range(env):
    space = env_factor_space(env.spec.id)
    for split in ("train", "ood"):
        _, info = env.reset(seed=11, options={"factors": split})
        for f in space:
            assert f.contains(info["factors"][f.name], split), (f.name, split)


def test_visual_factors_change_pixels_but_not_physics(env):
    space = env_factor_space(env.spec.id)
    base_states, base_pixels = _rollout(env, seed=2, n=4)
    for f in (f for f in space if f.kind == "visual"):
        ood = f.sample(np.random.default_rng(0), "ood")
        states, pixels = _rollout(env, seed=2, n=4, options={"factors": {f.name: ood}})
        assert _changed_pixels(pixels, base_pixels) >= 5, f.name
        assert np.allclose(states, base_states, atol=1e-6), f.name


def test_physical_factors_change_the_dynamics_and_geometric_ones_the_scene(env):
    """The expert, from the same start, ends elsewhere under an OOD physical value (the expert
    makes contact, e.g. pushes the block); an OOD geometric value (a door, a link length, the
    block's size) changes what the camera sees."""
    space = env_factor_space(env.spec.id)
    base_states, base_pixels = _rollout(env, seed=4, n=100, policy="expert")
    for f in space:
        ood = f.sample(np.random.default_rng(0), "ood")
        if f.kind == "physical":
            options = {"factors": {f.name: ood}, "state": base_states[0]}
            states, _ = _rollout(env, seed=4, n=100, options=options, policy="expert")
            assert np.abs(states[-1] - base_states[-1]).max() > 1e-3, f.name
        elif f.kind == "geometric":
            _, pixels = _rollout(env, seed=4, n=0, options={"factors": {f.name: ood}})
            assert _changed_pixels(pixels[0], base_pixels[0]) >= 3, f.name


def test_task_options_put_the_env_in_the_recorded_state_and_goal(env):
    u = env.unwrapped
    states, pixels = _rollout(env, seed=9, n=10)
    factors = dict(u.factors)
    _, info = env.reset(options=u.task_options(states[3], states[10], factors))
    assert np.allclose(info["state"], states[3], atol=1e-5)
    assert np.allclose(info["goal"], u.goal_of(states[10]), atol=1e-6)
    # A start equal to the goal state is a solved task.
    _, info = env.reset(options=u.task_options(states[10], states[10], factors))
    assert info["is_success"]
    # render_state reproduces a recorded frame without touching the simulation.
    before = u.state.copy()
    assert np.abs(u.render_state(states[6]).astype(int) - pixels[6]).mean() < 1.0
    assert np.array_equal(u.state, before)


def test_env_sampled_tasks_have_goal_states_that_achieve_their_goals(env):
    """The task protocol: goal_state is a valid state that satisfies the sampled goal, its
    rendering differs from the start's, and no task starts solved."""
    from worldjepa.evaluation.tasks import build_env_tasks

    u = env.unwrapped
    tasks, excluded = build_env_tasks(env, 6, seed=3)
    assert len(tasks) + len(excluded) == 6 and len(tasks) >= 5
    for t in tasks:
        obs, info = env.reset(options=t.reset_options(env))
        assert not info["is_success"] and np.allclose(info["state"], t.start_state, atol=1e-5)
        assert _changed_pixels(obs["pixels"][None], t.goal_pixels[None]) > 0
        _, info = env.reset(options=u.task_options(t.goal_state, t.goal_state, t.factors))
        assert info["is_success"], t.episode_idx
    again, _ = build_env_tasks(env, 6, seed=3)
    assert all(np.array_equal(a.goal_pixels, b.goal_pixels) for a, b in zip(tasks, again, strict=True))


def test_every_recorded_expert_state_is_a_valid_task_start(env):
    """Eval restarts the env from recorded states: whatever the expert recorded must be accepted
    (soft joint limits and contacts overshoot by a hair), and reproduce itself."""
    u = env.unwrapped
    states, _ = _rollout(
        env, seed=12, n=env.spec.max_episode_steps, options={"factors": "train"}, policy="expert"
    )
    factors = dict(u.factors)
    for state in states[::7]:
        _, info = env.reset(options=u.task_options(state, states[-1], factors))
        assert np.allclose(info["state"], state, atol=1e-3)


def test_mid_episode_interventions_change_only_what_they_name(env):
    """intervene(factors=...) leaves the state where it was (the change shows in the dynamics
    from the next step on); intervene(state=...) moves the world there; compiled factors refuse."""
    u = env.unwrapped
    env.reset(seed=3)
    for a in np.random.default_rng(3).uniform(-1, 1, (5, *env.action_space.shape)):
        env.step(a.astype(np.float32))
    before = u.state.copy()
    physical = {f.name: f.sample(np.random.default_rng(0), "ood") for f in u.FACTORS
                if f.kind == "physical" and f.name not in u.COMPILED_FACTORS}  # fmt: skip
    a = np.full(env.action_space.shape, 0.5, np.float32)
    reference = _rollout_from_here(env, u, before, a)
    u.intervene(state=before)  # back to the same state, same factors: the same future
    assert np.allclose(_rollout_from_here(env, u, before, a), reference, atol=1e-5)
    pixels = u.intervene(state=before)["pixels"]  # rendered after mj_forward, like intervene's
    obs = u.intervene(factors=physical)
    assert np.allclose(u.state, before, atol=1e-6) and np.array_equal(obs["pixels"], pixels)
    assert all(np.allclose(u.factors[k], v) for k, v in physical.items())
    # The model now is what a reset with those factors builds (the dynamics then differ: the
    # physical-factor test above shows that for every env).
    fresh = make_env(env.spec.id, image_size=32)
    fresh.reset(seed=3, options={"factors": dict(u.factors)})
    for name in dir(u.model):
        value = getattr(u.model, name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.allclose(value, getattr(fresh.unwrapped.model, name)), name
    fresh.close()
    target = u.teleport_state(np.random.default_rng(1))
    obs = u.intervene(state=target)
    assert np.allclose(u.state, target, atol=1e-5) and not np.array_equal(obs["pixels"], pixels)
    if u.COMPILED_FACTORS:
        name = u.COMPILED_FACTORS[0]
        with pytest.raises(EnvError, match="compiled"):
            u.intervene(factors={name: u.FACTORS[name].sample(np.random.default_rng(0), "ood")})


def _rollout_from_here(env, u, state, action, n: int = 6) -> np.ndarray:
    """n steps of ``action`` from ``state`` (the current factors) -> the final state."""
    u.intervene(state=state)
    for _ in range(n):
        env.step(action)
    return u.state.copy()


def test_invalid_options_raise_named_errors(env):
    with pytest.raises(EnvError, match="unknown reset option"):
        env.reset(options={"colour": 1})
    with pytest.raises(EnvError, match="unknown factor"):
        env.reset(options={"factors": {"nope": 1.0}})
    with pytest.raises(EnvError, match="state"):
        env.reset(options={"state": [0.0]})
    with pytest.raises(EnvError, match=r"factors must be a \{name: value\} dict, a split name"):
        env.reset(options={"factors": [0.5, 1.0]})
    with pytest.raises(EnvError, match="reset options must be a dict"):
        env.reset(options=["factors"])
    with pytest.raises(EnvError, match="image_size"):
        make_env(env.spec.id, image_size=3)


def test_invalid_actions_raise_named_errors(env):
    env.reset(seed=0)
    a = env.action_space.shape[0]
    for bad in ([np.nan] * a, [np.inf] * a, [0.0] * (a + 1), "left"):
        with pytest.raises(EnvError, match=rf"action must be a finite array of shape \({a},\)"):
            env.step(bad)
    env.step(np.zeros((1, a)))  # any shape holding A numbers


def test_expert_reaches_goals_far_more_often_than_random(env):
    train, steps = {"factors": "train"}, env.spec.max_episode_steps
    expert = success_rate(env, "expert", range(8), steps, train)
    random = success_rate(env, "random", range(8), steps, train)
    assert expert >= 0.6 and expert >= random + 0.5, (expert, random)
