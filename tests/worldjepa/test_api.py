"""The Python API: `wj.load` gives a checkpoint that encodes, finds its data and plans with
exactly `worldjepa eval`'s default settings."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import worldjepa as wj
from worldjepa.config import compose
from worldjepa.errors import ConfigError
from worldjepa.planners import CEM, MPCConfig, MPCPolicy, MPPIConfig
from worldjepa.run_dir import last_checkpoint


@pytest.fixture(scope="module")
def ck(run):
    return wj.load(run[2])


def test_load_gives_the_model_and_its_preprocessing(ck, run):
    assert isinstance(ck, wj.Checkpoint) and not ck.model.training
    assert ck.preprocess["frameskip"] == 5 and ck.preprocess["image_size"] == [32, 32]
    assert ck.path == last_checkpoint(run[2])
    assert ck.dataset().num_episodes == 8


def test_encode_takes_numpy_or_torch_frames_of_any_leading_shape(ck):
    frames = ck.dataset().take_frames(np.arange(6))  # (6, 32, 32, 3) uint8
    z = ck.encode(frames.reshape(2, 3, 32, 32, 3))
    assert z.shape == (2, 3, ck.model.cfg.latent_dim)
    assert torch.allclose(z.reshape(6, -1), ck.encode(torch.from_numpy(frames)))
    with torch.no_grad():
        direct = ck.model.encode(torch.from_numpy(frames).permute(0, 3, 1, 2)[:, None])[:, 0]
    assert torch.allclose(z.reshape(6, -1), direct, atol=1e-6)
    with pytest.raises(ConfigError, match=r"frames \(\.\.\., 32, 32, 3\)"):
        ck.encode(frames[:, :16])
    with pytest.raises(ConfigError, match="uint8"):
        ck.encode(frames.astype(np.float32))


def test_policy_has_exactly_evals_defaults(ck):
    evaluated = compose("eval")
    policy = ck.policy()
    assert isinstance(policy, MPCPolicy) and isinstance(policy.planner, CEM)
    assert policy.cfg == MPCConfig.of(evaluated)
    assert policy.planner.cfg == evaluated.planner
    tuned = ck.policy("mppi", num_samples=16, horizon=4)
    assert tuned.planner.cfg == MPPIConfig(num_samples=16) and tuned.horizon == 4
    with pytest.raises(ConfigError, match="unknown setting 'num_elites'"):
        ck.policy("mppi", num_elites=3)


def test_library_defaults_are_evals_defaults():
    """A notebook user who builds CEM() and MPCPolicy(...) by hand gets what eval plans with."""
    evaluated = compose("eval")
    assert CEM().cfg == evaluated.planner
    policy = MPCPolicy(
        object(), frameskip=5, action_dim=2, action_low=[-1, -1], action_high=[1, 1], num_hist=3
    )
    assert policy.cfg == MPCConfig.of(evaluated) and policy.planner.cfg == evaluated.planner


def test_a_policy_from_python_acts_as_evals_mpc(ck):
    """Same frames, same seed: ck.policy() picks the action eval's MPC policy picks."""
    from worldjepa.evaluation.policies import EVAL_POLICIES

    frames = ck.dataset().take_frames(np.array([0, 25, 100, 125]))  # starts and goals of 2 tasks
    evaluated = compose("eval")
    ours = ck.policy(seed=3)
    theirs = EVAL_POLICIES.get("mpc")(model=ck.model, preprocess=ck.preprocess, mpc=MPCConfig.of(evaluated),
                                      seed=3, device="cpu")  # fmt: skip
    for policy in (ours, theirs):
        policy.reset(frames[[1, 3]])
    a, b = ours.act(frames[[0, 2]]), theirs.act(frames[[0, 2]])
    assert a.shape == (2, 2) and np.array_equal(a, b)


def test_import_is_lazy():
    code = "import worldjepa as wj, sys; wj.TrainConfig; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
