"""A plain gymnasium MuJoCo env through the adapter: observations, state, restores, success,
errors; and the registry (``register``, ``module:id``) that decides what ``make_env`` builds."""

import pickle

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import worldjepa.envs.registry as registry
from worldjepa.datasets.schema import check_state_names
from worldjepa.envs import AdapterOptions, env_factor_space, make_env, register
from worldjepa.envs.gym_adapter import GymAdapter, joint_state_names
from worldjepa.envs.policies import make_policy
from worldjepa.errors import EnvError
from worldjepa.evaluation.tasks import build_env_tasks

REACHER_NAMES = ("joint0", "joint1", "target_x", "target_y") + tuple(
    f"{n}_vel" for n in ("joint0", "joint1", "target_x", "target_y")
)


@pytest.fixture(scope="module")
def env():
    env = make_env("Reacher-v5", image_size=32)
    yield env
    env.close()


@pytest.fixture
def private_registry(monkeypatch):
    """Registrations made in a test vanish after it."""
    monkeypatch.setattr(registry, "_ENVS", dict(registry._ENVS))


def _rollout(env, seed: int, n: int):
    """-> (float32 states (n+1, S), exact float64 qpos+qvel (n+1, S), pixels (n+1, H, W, 3),
    proprio (n+1, P), actions (n, A))."""
    u = env.unwrapped
    obs, info = env.reset(seed=seed)
    actions = np.random.default_rng(seed).uniform(-1, 1, (n, *env.action_space.shape)).astype(np.float32)
    rows = [
        (info["state"], np.concatenate([u.inner.data.qpos, u.inner.data.qvel]), obs["pixels"], obs["proprio"])
    ]
    for a in actions:
        obs, _, _, _, info = env.step(a)
        rows.append(
            (
                info["state"],
                np.concatenate([u.inner.data.qpos, u.inner.data.qvel]),
                obs["pixels"],
                obs["proprio"],
            )
        )
    return (*(np.stack(col) for col in zip(*rows, strict=True)), actions)


def test_observation_state_and_names(env):
    u = env.unwrapped
    assert isinstance(u, GymAdapter) and u.inner is not None and env.spec.id == "Reacher-v5"
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert obs["pixels"].shape == (32, 32, 3) and obs["pixels"].dtype == np.uint8 and obs["pixels"].std() > 5
    assert obs["proprio"].dtype == np.float32 and np.allclose(obs["proprio"], u.inner._get_obs())
    assert u.state_names == REACHER_NAMES and check_state_names(u.state_names)
    qpos, qvel = u.inner.data.qpos, u.inner.data.qvel
    assert info["state"].dtype == np.float32 and np.array_equal(
        info["state"], np.concatenate([qpos, qvel]).astype(np.float32)
    )
    assert info["factors"] == {} and not info["is_success"]
    assert "goal" not in info and "distance" not in info  # no goal state held
    _, info = env.reset(options={"state": info["state"], "goal": info["state"]})
    assert info["goal"].shape == (8,) and info["distance"] == 0.0 and info["is_success"]
    assert u.dt == pytest.approx(0.02) and env.spec.max_episode_steps == 50
    assert len(env_factor_space("Reacher-v5")) == 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gymnasium_env_checker():
    env = make_env("Reacher-v5", image_size=16)
    check_env(env.unwrapped)
    env.close()  # a closed adapter says so, rather than render from a freed GL context
    with pytest.raises(EnvError, match="Reacher-v5 is closed"):
        env.reset()


def test_joint_names_for_multi_dof_unnamed_and_dotted_joints():
    import mujoco  # after worldjepa.envs, which sets MUJOCO_GL before mujoco's first import

    model = mujoco.MjModel.from_xml_string("""
    <mujoco><worldbody>
      <body name="a"><freejoint name="root"/><geom size="0.1"/>
        <body name="b"><joint type="ball" name="arm.shoulder"/><geom size="0.1"/>
          <body name="c"><joint type="hinge"/><geom size="0.1"/></body>
        </body>
      </body>
    </worldbody></mujoco>""")
    stems, qpos, qvel = joint_state_names(model)
    assert stems == ["root", "arm_shoulder", "joint2"]
    assert qpos == [*(f"root_{k}" for k in range(7)), *(f"arm_shoulder_{k}" for k in range(4)), "joint2"]
    assert qvel == [
        *(f"root_vel_{k}" for k in range(6)),
        *(f"arm_shoulder_vel_{k}" for k in range(3)),
        "joint2_vel",
    ]
    check_state_names(qpos + qvel)  # dataset columns: no dots, unique


def test_reset_with_a_recorded_state_restores_it_exactly(env):
    states, exact, pixels, proprio, actions = _rollout(env, seed=5, n=12)
    # A fresh env, as eval builds one, first rendered in another state: frames depend on the
    # state only (gymnasium aims its camera where the first render finds the geoms).
    other = make_env("Reacher-v5", image_size=32)
    try:
        for t in (0, 7):
            # The float32 state a dataset holds: same state, same frame, same observation.
            obs, info = other.reset(seed=99, options={"state": states[t], "goal": states[12]})
            assert np.array_equal(info["state"], states[t]) and np.array_equal(info["goal"], states[12])
            assert np.array_equal(obs["pixels"], pixels[t])
            assert np.allclose(obs["proprio"], proprio[t], atol=1e-5)
        # The exact state: the rest of the trajectory replays bit for bit.
        other.reset(options=other.unwrapped.task_options(exact[7], exact[12], factors={}))
        for t in range(7, 12):
            obs, _, _, _, info = other.step(actions[t])
            assert np.array_equal(info["state"], states[t + 1]) and np.array_equal(
                obs["pixels"], pixels[t + 1]
            )
        assert info["distance"] == 0.0 and info["is_success"]
    finally:
        other.close()


def test_same_seed_same_trajectory_and_pickle_round_trip(env):
    a = _rollout(env, seed=2, n=6)
    clone = pickle.loads(pickle.dumps(env))
    try:
        b = _rollout(clone, seed=2, n=6)
        assert clone.spec.id == "Reacher-v5" and isinstance(clone.unwrapped, GymAdapter)
    finally:
        clone.close()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.allclose(a[0], _rollout(env, seed=3, n=6)[0])


def test_qpos_success_rule_tolerance_joints_and_wrapped_hinges(env, private_registry):
    _, info = env.reset(seed=1)
    start = info["state"].astype(np.float64)
    goal = start.copy()
    goal[0] += 2 * np.pi + 0.06  # joint0 is an unlimited hinge: one full turn is no distance
    _, info = env.reset(options={"state": start, "goal": goal})
    assert info["distance"] == pytest.approx(0.06, abs=1e-5) and info["is_success"]  # default tolerance 0.1
    goal[1] += 0.08  # joint1 is limited: not wrapped
    _, info = env.reset(options={"state": start, "goal": goal})
    assert info["distance"] == pytest.approx(0.1, abs=1e-5)
    goal[4:] += 5.0  # velocities never count
    goal[2] += 0.5  # nor, with joints=(joint0,), the target's position
    register("Reacher-v5", adapter=AdapterOptions(tolerance=0.07, joints=("joint0",)))
    strict = make_env("Reacher-v5", image_size=32)
    try:
        _, info = strict.reset(options={"state": start, "goal": goal})
        assert info["distance"] == pytest.approx(0.06, abs=1e-5) and info["is_success"]
        assert strict.unwrapped.options.tolerance == 0.07
    finally:
        strict.close()
    register("Reacher-v5", adapter=AdapterOptions(joints=("elbow",)))
    with pytest.raises(EnvError, match=r"unknown joint\(s\) \['elbow'\].*joint0, joint1"):
        make_env("Reacher-v5", image_size=32)


def test_an_env_that_reports_success_is_judged_by_it(user_env_module):
    env = make_env(f"{user_env_module}:Puck-v0", image_size=16)
    strict = make_env(f"{user_env_module}:PuckStrict-v0", image_size=16)  # success="qpos"
    try:
        assert env.spec.max_episode_steps == 40 and strict.spec.max_episode_steps == 30
        assert env.unwrapped.state_names == ("puck_x", "puck_y", "puck_x_vel", "puck_y_vel")
        near = np.array([0.01, -0.01, 0.0, 0.0])
        far_goal = np.array([0.3, 0.3, 0.0, 0.0])
        for e in (env, strict):
            # Right after a restore the env has not judged the state: the qpos rule does.
            _, info = e.reset(options={"state": near, "goal": near})
            assert info["is_success"] and info["distance"] == 0.0
            _, info = e.reset(options={"state": near, "goal": far_goal})
            assert not info["is_success"]
        # One step with no force: the puck stays near the origin, far from the held goal.
        assert env.step(np.zeros(2))[-1]["is_success"]  # the env's own verdict
        assert not strict.step(np.zeros(2))[-1]["is_success"]  # the qpos rule's
    finally:
        env.close()
        strict.close()


def test_bad_reset_options_and_actions_are_named(env):
    with pytest.raises(EnvError, match="reset options must be a dict"):
        env.reset(options=[1, 2])
    with pytest.raises(
        EnvError, match=r"unknown reset option\(s\) \['start'\] for Reacher-v5; available: state"
    ):
        env.reset(options={"start": np.zeros(8)})
    with pytest.raises(EnvError, match=r"reset option 'state' must be a finite array of shape \(8,\)"):
        env.reset(options={"state": np.zeros(3)})
    with pytest.raises(EnvError, match="reset option 'goal' must be a finite"):
        env.reset(options={"goal": np.full(8, np.nan)})
    with pytest.raises(EnvError, match="has no factors"):
        env.reset(options={"factors": {"mass": 1.0}})
    with pytest.raises(EnvError, match="unknown factor split 'test'"):
        env.reset(options={"factors": "test"})
    env.reset(options={"factors": {}})
    with pytest.raises(EnvError, match=r"action must be a finite array of shape \(2,\)"):
        env.step(np.array([np.nan, 0.0]))
    with pytest.raises(EnvError, match="action must be"):
        env.step(np.array([np.inf, 0.0]))
    with pytest.raises(EnvError, match="image_size"):
        make_env("Reacher-v5", image_size=4)
    with pytest.raises(EnvError, match="set by the adapter"):
        make_env("Reacher-v5", image_size=16, width=64)


def test_no_expert_and_no_task_protocol_are_one_line_errors(env):
    with pytest.raises(EnvError, match="Reacher-v5 has no scripted expert .register one"):
        make_policy("expert", env, seed=0)
    with pytest.raises(EnvError, match="samples no tasks of its own.*use protocol=offset"):
        build_env_tasks(env, num_tasks=2, seed=0)
    assert not hasattr(env.unwrapped, "intervene")  # surprise refuses it by name


def test_a_gymnasium_env_that_is_not_mujoco_is_refused():
    with pytest.raises(EnvError, match="CartPole-v1 is not a MuJoCo env the adapter can run"):
        make_env("CartPole-v1", image_size=16)


def test_register_a_worldjepa_env_and_module_ids(private_registry, user_env_module):
    spec = register(
        "lab/TwoRoomCopy-v0",
        "worldjepa.envs.tworoom:TwoRoomEnv",
        factors="worldjepa.envs.tworoom_layout:TWOROOM_FACTORS",
        max_episode_steps=7,
        expert="tworoom_expert",
    )
    assert spec.adapter is None and "lab/TwoRoomCopy-v0" in registry.registered_env_ids()
    env = make_env("lab/TwoRoomCopy-v0", image_size=16)
    try:
        assert env.spec.max_episode_steps == 7 and len(env_factor_space("lab/TwoRoomCopy-v0")) == 8
        make_policy("expert", env, seed=0)
    finally:
        env.close()
    # No factors and no expert are fine: an empty factor space, and policy=expert is refused.
    register("lab/Plain-v0", "worldjepa.envs.tworoom:TwoRoomEnv", max_episode_steps=5)
    assert len(env_factor_space("lab/Plain-v0")) == 0
    env = make_env("lab/Plain-v0", image_size=16)
    with pytest.raises(EnvError, match="lab/Plain-v0 has no scripted expert"):
        make_policy("expert", env, seed=0)
    env.close()
    # module:id imports the module; what it registers with worldjepa is what make_env builds.
    assert len(env_factor_space(f"{user_env_module}:PuckStrict-v0")) == 0
    assert registry.env_spec(f"{user_env_module}:PuckStrict-v0").adapter.tolerance == 0.02


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: register("a:b-v0", adapter=AdapterOptions()), "without ':'"),
        (lambda: register("Nope-v9", adapter=AdapterOptions()), "gymnasium knows no such id"),
        (lambda: register("lab/X-v0"), "give an entry_point"),
        (lambda: register("lab/X-v0", "m:C"), "needs max_episode_steps"),
        (lambda: register("lab/X-v0", "m:C", max_episode_steps=0), "positive int"),
        (lambda: AdapterOptions(tolerance=0), "tolerance must be positive"),
        (lambda: AdapterOptions(success="env"), "success must be one of auto, qpos"),
        (lambda: AdapterOptions(joints="joint0"), "sequence of joint names"),
        (lambda: make_env("Nope-v9"), r"unknown env 'Nope-v9'; available: worldjepa/TwoRoom-v0, .*module:id"),
        (lambda: make_env("Reacher-v9"), "did you mean Reacher-v"),
        (lambda: make_env("no_such_module_xyz:Env-v0"), "cannot import module 'no_such_module_xyz'"),
        (lambda: make_env("a:b:c"), "'id' or 'module:id'"),
    ],
)
def test_registry_errors_are_named(private_registry, call, match):
    with pytest.raises(EnvError, match=match):
        call()
