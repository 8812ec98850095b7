"""MPCPolicy: closed-loop control of a toy linear latent system, and a smoke test with a real model."""

import numpy as np
import pytest
import torch
from einops import rearrange

from worldjepa.models import WorldModelConfig, build_world_model
from worldjepa.planners.cem import CEM
from worldjepa.planners.mpc import MPCPolicy

FS, A, DT, SIZE = 2, 2, 0.1, 8


def render(state: np.ndarray) -> np.ndarray:
    """state: (B, 2) in [-1, 1] -> frames (B, SIZE, SIZE, 3) uint8 whose channels 0/1 hold it."""
    frames = np.zeros((len(state), SIZE, SIZE, 3), np.uint8)
    frames[..., :2] = np.round((state + 1) * 127.5).astype(np.uint8)[:, None, None, :]
    return frames


class LinearToyModel(torch.nn.Module):
    """A 'world model' with exact linear dynamics z' = z + DT * Σ_f a_f, encode = read the state."""

    def __init__(self):
        super().__init__()
        self.rollout_calls = []

    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels: (B, T, 3, H, W) uint8 -> z: (B, T, 2)."""
        return pixels[:, :, :2].float().mean((-1, -2)) / 127.5 - 1

    def rollout(self, z_ctx, actions, actions_ctx=None):
        """z_ctx: (B, H0, 2), actions: (B, S, H, FS*A) -> (B, S, H, 2)."""
        self.rollout_calls.append((z_ctx.clone(), None if actions_ctx is None else actions_ctx.clone()))
        steps = rearrange(actions, "b s h (f a) -> b s h f a", f=FS).sum(-2)  # (B, S, H, A)
        return z_ctx[:, None, None, -1] + DT * steps.cumsum(2)


def make_policy(model, **kw):
    planner = CEM(num_samples=128, num_iters=15, num_elites=16, seed=0)
    kw = {"cost": "terminal", "hold_actions": False, "amp": "none", **kw}
    return MPCPolicy(model, planner, horizon=3, frameskip=FS, action_dim=A, action_low=[-1, -1],
                     action_high=[1, 1], num_hist=3, **kw)  # fmt: skip


# Only block-end latents are costed, so a block's inner steps and (with the terminal cost)
# the first blocks of a plan are free: the state wanders around the goal by about one
# block's worth of CEM noise. "sum" also costs intermediate blocks and settles tightly.
@pytest.mark.parametrize(("cost_mode", "tol"), [("terminal", 0.15), ("sum", 0.03)])
def test_mpc_drives_a_linear_system_to_the_goal(cost_mode, tol):
    start = np.array([[-0.6, 0.5], [0.3, 0.3], [0.7, -0.7]], np.float32)
    goal = np.array([[0.5, -0.4], [-0.5, 0.6], [0.7, 0.2]], np.float32)
    model = LinearToyModel()
    policy = make_policy(model, cost=cost_mode)
    policy.reset(render(goal))
    state, executed = start.copy(), []
    for _ in range(20 * FS):  # 20 blocks; the start is 1.1 away, a block moves at most 0.2
        action = policy.act(render(state))
        assert action.shape == (3, A) and action.dtype == np.float32
        assert np.all(np.abs(action) <= 1.0)
        executed.append(action)
        state = np.clip(state + DT * action, -1, 1)
    assert np.abs(state - goal).max() < tol
    assert policy.total_plan_time > 0 and policy.last_plan_time > 0

    # History bookkeeping: first plan sees one frame, later ones num_hist frames, and the
    # context actions are exactly the blocks executed between those frames.
    first_ctx, first_actions = model.rollout_calls[0]
    assert first_ctx.shape[1] == 1 and first_actions is None
    z_ctx, a_ctx = model.rollout_calls[-1]
    assert z_ctx.shape[1] == 3 and a_ctx.shape == (3, 2, FS * A)
    last_blocks = rearrange(np.stack(executed[-2 * FS - FS : -FS], 1), "b (k f) a -> b k (f a)", f=FS)
    assert np.allclose(a_ctx.numpy(), last_blocks)


def test_replan_every_and_real_world_model_smoke():
    torch.manual_seed(0)
    cfg = WorldModelConfig(image_size=16, encoder_kwargs={"channels": (8, 16), "bottleneck": 8}, feature_dim=32,
                           latent_dim=8, projector_hidden=32, action_dim=A, frameskip=FS, predictor_dim=32,
                           predictor_depth=1, predictor_heads=2)  # fmt: skip
    model = build_world_model(cfg)
    planner = CEM(num_samples=16, num_iters=2, num_elites=4)
    policy = MPCPolicy(model, planner, horizon=3, frameskip=FS, action_dim=A, action_low=[-2, -2],
                       action_high=[2, 2], num_hist=3, replan_every=2, hold_actions=False, amp="bf16")  # fmt: skip
    assert not model.training
    rng = np.random.default_rng(0)
    frames = lambda: rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)  # noqa: E731
    policy.reset(frames())
    actions = np.stack([policy.act(frames()) for _ in range(4 * FS)])  # 4 blocks
    assert actions.shape == (4 * FS, 2, A) and np.all(np.abs(actions) <= 2)
    assert planner.num_calls == 2  # blocks 0 and 2


def test_hold_actions_repeats_one_action_per_block_and_reaches_the_goal():
    start = np.array([[-0.6, 0.5], [0.3, 0.3]], np.float32)
    goal = np.array([[0.5, -0.4], [-0.5, 0.6]], np.float32)
    model = LinearToyModel()
    policy = make_policy(model, cost="sum", hold_actions=True)
    assert policy.bounds[0].shape == (A,)  # the planner searches A dims per block, not FS*A
    policy.reset(render(goal))
    state, executed = start.copy(), []
    for _ in range(20 * FS):
        action = policy.act(render(state))
        executed.append(action)
        state = np.clip(state + DT * action, -1, 1)
    blocks = rearrange(np.stack(executed, 1), "b (k f) a -> b k f a", f=FS)
    assert np.allclose(blocks, blocks[:, :, :1])  # every env step of a block repeats its action
    assert np.abs(state - goal).max() < 0.05
    # The model still receives full env-step blocks in its context.
    _, a_ctx = model.rollout_calls[-1]
    assert a_ctx.shape == (2, 2, FS * A)


PLANNER_SETTINGS = {
    "icem": dict(num_samples=128, num_iters=15, num_elites=16),
    "mppi": dict(num_samples=128, num_iters=15),
    "grad": dict(num_iters=40, lr=0.1, num_restarts=4),
    "cem_grad": dict(num_samples=32, num_iters=4, num_elites=8, grad_iters=20, lr=0.1),
}


@pytest.mark.parametrize("name", PLANNER_SETTINGS)
def test_every_planner_drives_mpc_to_the_goal(name):
    from worldjepa.planners import make_planner

    start = np.array([[-0.6, 0.5], [0.3, 0.3]], np.float32)
    goal = np.array([[0.5, -0.4], [-0.5, 0.6]], np.float32)
    planner = make_planner(name, seed=0, **PLANNER_SETTINGS[name])
    policy = MPCPolicy(LinearToyModel(), planner, horizon=3, frameskip=FS, action_dim=A, action_low=[-1, -1],
                       action_high=[1, 1], num_hist=3, cost="sum", hold_actions=True, action_weight=1e-3, amp="none")  # fmt: skip
    policy.reset(render(goal))
    state = start.copy()
    for _ in range(20 * FS):
        state = np.clip(state + DT * policy.act(render(state)), -1, 1)
    assert np.abs(state - goal).max() < 0.05, name


def test_mpc_records_actual_and_predicted_goal_distances():
    """With an exact model, what the executed plan predicted at each block boundary is what
    the encoder then sees there (up to the toy renderer's 8-bit quantisation)."""
    start = np.array([[-0.6, 0.5], [0.3, 0.3]], np.float32)
    goal = np.array([[0.5, -0.4], [-0.5, 0.6]], np.float32)
    policy = make_policy(LinearToyModel(), cost="sum", hold_actions=True)
    policy.reset(render(goal))
    state = start.copy()
    for _ in range(6 * FS):
        state = np.clip(state + DT * policy.act(render(state)), -1, 1)
    actual = dict(policy.distances["actual"])
    predicted = dict(policy.distances["predicted"])
    assert sorted(actual) == list(range(0, 6 * FS, FS)) and sorted(predicted) == list(range(FS, 7 * FS, FS))
    for step in range(FS, 6 * FS, FS):
        assert actual[step].shape == (2,) and np.allclose(actual[step], predicted[step], atol=0.02)
    assert (actual[5 * FS] < actual[0]).all()  # and it closes in on the goal
