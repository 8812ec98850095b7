"""Every registered planner on problems with known answers: quadratics, linear dynamics,
bounds, batching, seeding; the gradient planners leave the model's weights alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from worldjepa.planners.base import make_planner
from worldjepa.planners.config import PLANNER_CONFIGS as PLANNERS
from worldjepa.planners.sampling import colored_noise

B, H, A = 4, 5, 2
BOUNDS = (torch.full((A,), -1.0), torch.ones(A))
# name -> settings that solve the tests' problems; the contract is the same for all
SETTINGS = {
    "cem": dict(num_samples=300, num_iters=30, num_elites=30),
    # the quadratics' per-step targets are independent (white), so less colour than iCEM's
    # default 2, which favours the smooth sequences control tasks need
    "icem": dict(num_samples=300, num_iters=30, num_elites=30, noise_beta=1.0),
    "mppi": dict(num_samples=300, num_iters=30, noise_std=0.5, temperature=0.2, std_decay=0.85),
    "grad": dict(num_iters=150, lr=0.05, num_restarts=2),
    "cem_grad": dict(num_samples=64, num_iters=8, num_elites=8, grad_iters=100, lr=0.05),
}


def quadratic(target: torch.Tensor):
    """target: (B, H, A) -> cost_fn(actions (B, S, H, A)) -> (B, S)."""
    return lambda actions: (actions - target[:, None]).pow(2).sum((-1, -2))


def targets(seed: int, scale: float = 0.8) -> torch.Tensor:
    return (torch.rand(B, H, A, generator=torch.Generator().manual_seed(seed)) * 2 - 1) * scale


def test_every_planner_is_registered():
    make_planner("cem")  # loads the built-ins
    assert set(SETTINGS) <= set(PLANNERS.names())


@pytest.mark.parametrize("name", SETTINGS)
def test_solves_a_batch_of_quadratics(name):
    target = targets(0)
    plan = make_planner(name, **SETTINGS[name]).plan(quadratic(target), torch.zeros(B, H, A), BOUNDS)
    assert plan.shape == (B, H, A) and not plan.requires_grad
    assert ((plan - target).pow(2).sum((-1, -2)) < 5e-3).all(), name


@pytest.mark.parametrize("name", SETTINGS)
def test_steers_linear_dynamics_to_a_goal(name):
    """x_{h+1} = x_h + 0.3 a_h from x_0 = 0; cost = |x_H - goal|^2 + 1e-3 |a|^2. The goal is
    reachable only with nearly full actions every step, so a lazy plan pays a lot."""
    goal = torch.tensor([[1.2, -1.0], [-0.9, 1.3], [1.4, 0.2], [0.0, -1.4]])

    def cost(actions):
        x_end = 0.3 * actions.sum(-2)  # (B, S, A)
        return (x_end - goal[:, None]).pow(2).sum(-1) + 1e-3 * actions.pow(2).sum((-1, -2))

    plan = make_planner(name, **SETTINGS[name]).plan(cost, torch.zeros(B, H, A), BOUNDS)
    assert (cost(plan[:, None])[:, 0] < 0.02).all(), name
    assert plan.abs().max() <= 1.0


@pytest.mark.parametrize("name", SETTINGS)
def test_every_candidate_respects_the_bounds(name):
    target = targets(1, scale=3.0)  # mostly outside [-1, 1]
    seen = []
    cost_fn = quadratic(target)
    plan = make_planner(name, **SETTINGS[name]).plan(
        lambda a: seen.append(a.detach().clone()) or cost_fn(a), torch.zeros(B, H, A), BOUNDS
    )
    samples = torch.cat([s.flatten() for s in seen])
    assert samples.min() >= -1.0 and samples.max() <= 1.0 and plan.abs().max() <= 1.0
    assert torch.allclose(plan, target.clamp(-1, 1), atol=0.15), name


@pytest.mark.parametrize("name", SETTINGS)
def test_batched_equals_one_problem_at_a_time(name):
    target = targets(2)
    planner = make_planner(name, **SETTINGS[name])
    gens = lambda seeds: [torch.Generator().manual_seed(s) for s in seeds]  # noqa: E731
    batched = planner.plan(quadratic(target), torch.zeros(B, H, A), BOUNDS, generator=gens(range(B)))
    for b in range(B):
        single = planner.plan(quadratic(target[b : b + 1]), torch.zeros(1, H, A), BOUNDS, generator=gens([b]))
        assert torch.allclose(batched[b], single[0], atol=1e-5), name


@pytest.mark.parametrize("name", SETTINGS)
def test_same_seed_same_plan(name):
    target = targets(3)

    def run(seed):
        planner = make_planner(name, **SETTINGS[name], seed=seed)
        return planner.plan(quadratic(target), torch.zeros(B, H, A), BOUNDS), planner.last_costs

    (plan_a, costs_a), (plan_b, costs_b) = run(7), run(7)
    assert torch.equal(plan_a, plan_b) and torch.equal(costs_a, costs_b)
    if name != "grad":  # gradient descent on a convex cost lands on the same optimum from any start
        assert not torch.equal(costs_a, run(8)[1])


@pytest.mark.parametrize("name", ["grad", "cem_grad"])
def test_gradient_planners_differentiate_actions_only(name):
    net = torch.nn.Linear(A, A)
    target = targets(4)

    def cost(actions):  # a differentiable "model" in the loop
        return (net(actions) - net(target[:, None])).pow(2).sum((-1, -2))

    with torch.no_grad():  # MPC plans under no_grad: the planner must enable grads itself
        plan = make_planner(name, **SETTINGS[name]).plan(cost, torch.zeros(B, H, A), BOUNDS)
    assert net.weight.grad is None and net.bias.grad is None
    assert cost(plan[:, None]).max() < 1e-2


def test_colored_noise_is_unit_variance_and_smoother_with_beta():
    white = torch.randn(20000, 16, 1, generator=torch.Generator().manual_seed(0))
    for beta in (0.0, 1.0, 2.0, 3.0):
        x = colored_noise(white, beta)
        assert abs(x.var().item() - 1) < 0.05
    lag1 = [np.corrcoef(colored_noise(white, b)[:, :-1].flatten(), colored_noise(white, b)[:, 1:].flatten())[0, 1]
            for b in (0.0, 1.0, 2.0)]  # fmt: skip
    assert lag1[0] < 0.05 < lag1[1] < lag1[2]


def test_icem_population_shrinks_and_mppi_checks_its_settings():
    icem = make_planner("icem", num_samples=300, num_elites=30, population_decay=1.25)
    assert [icem.population(i) for i in (0, 1, 5, 30)] == [300, 240, 98, 60]
    with pytest.raises(ValueError, match="temperature=0: must be > 0"):
        make_planner("mppi", temperature=0)
