"""PushTEnv specifics: the T's outline, pushes that obey mass and friction, the expert's data."""

import numpy as np
import pytest

from worldjepa.envs import make_env
from worldjepa.envs import pusht_layout as PL


@pytest.fixture(scope="module")
def env():
    env = make_env("worldjepa/PushT-v0", image_size=32)
    yield env
    env.close()


@pytest.mark.parametrize("scale", [0.9, 1.0, 1.4])
def test_outline_normals_point_out_of_the_t(scale):
    points, normals = PL.boundary(scale)
    assert len(points) > 40
    assert not PL.inside(points + 2e-3 * normals, scale).any()
    assert PL.inside(points - 2e-3 * normals, scale).all()
    com = PL.centre_of_mass(scale)
    assert PL.inside(com[None], scale)[0] and com[0] == 0 and com[1] < 0  # on the stem side


def _push(env, steps: int = 12, **factors) -> float:
    """Block x displacement after pushing it along +x from the left, the pusher level with
    the T's centroid (a push that translates without turning)."""
    scale = factors.get("block_scale", 1.0)
    start = np.zeros(13)
    start[0:2] = [-0.15 * scale - 0.05, PL.centre_of_mass(scale)[1]]
    start[10:13] = [0.3, 0.3, 0.0]
    env.reset(seed=0, options={"factors": factors, "state": start})
    for _ in range(steps):
        _, _, _, _, info = env.step(np.array([1.0, 0.0], np.float32))
    return float(info["state"][2])


def test_heavier_or_rougher_blocks_move_less_under_the_same_push(env):
    base = _push(env)
    assert base > 0.05
    assert _push(env, block_mass=1.3) < base - 0.01
    assert _push(env, friction=2.2) < base - 0.01


def test_expert_data_contains_real_pushes(env):
    """Over an expert episode the block travels and turns: the data teaches pushing."""
    from worldjepa.envs.policies import make_policy

    moved = []
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        policy = make_policy("expert", env, seed=seed)
        policy.reset(obs, info)
        start = info["state"][2:5].copy()
        for _ in range(100):
            obs, _, _, _, info = env.step(policy(obs, info))
        moved.append((np.linalg.norm(info["state"][2:4] - start[:2]), abs(info["state"][4] - start[2])))
    assert np.mean([m[0] for m in moved]) > 0.08 and np.mean([m[1] for m in moved]) > 0.1
