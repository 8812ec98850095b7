"""Planner and MPC settings: typed, with the defaults ``worldjepa eval`` plans with.

One place holds these presets: the planner classes (``CEM()``), ``MPCPolicy``, ``worldjepa eval``
and ``wj.load(...).policy()`` all read them from here. Each planner's defaults cost about the
same per replanning step as the default CEM (64 samples x 6 iterations), so switching
``planner=`` compares methods, not budgets. No torch here: composing a config stays cheap.

Adding a planner: a config dataclass below (registered under its ``name``, with the planner
class as ``target``) and the class itself in its own module (see ``cem.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from worldjepa.config.fields import opt, require
from worldjepa.registry import Registry

PLANNER_CONFIGS: Registry[type] = Registry("planner")


def register_planner(name: str):
    """Class decorator: register a planner's config dataclass under ``name``."""

    def deco(cls):
        if cls.name != name:
            raise ValueError(f"{cls.__name__}.name must default to its registered name '{name}'")
        return PLANNER_CONFIGS.register(name)(cls)

    return deco


@dataclass
class PlannerConfig:
    """Base of every planner's config (a Hydra config group: ``planner=<name>``)."""

    __group__: ClassVar[str] = "planner"
    __registry__: ClassVar[str] = "worldjepa.planners.config:PLANNER_CONFIGS"
    target: ClassVar[str]  # "module:Class" of the planner these settings build

    name: str = opt("", "the planner (choose it with planner=<name>)")
    num_iters: int = opt(6, "optimisation iterations per replanning step", ge=1)


@register_planner("cem")
@dataclass
class CEMConfig(PlannerConfig):
    """Cross-entropy method. LeWM plans with 300 x 30 (30 elites) on per-step actions; with held
    actions 64 x 6 plans as well as 128 x 10 at a quarter of the cost (README, planner settings)."""

    target: ClassVar[str] = "worldjepa.planners.cem:CEM"
    name: str = opt("cem", "the planner (choose it with planner=<name>)")
    num_samples: int = opt(64, "candidate plans per env per iteration", ge=2)
    num_elites: int = opt(8, "cheapest candidates the sampling distribution is refit to", ge=1)
    init_std: float = opt(1.0, "initial sampling std, in action half-ranges", gt=0)
    min_std: float = opt(0.02, "floor of the sampling std, in action half-ranges", ge=0)

    def check(self) -> None:
        require(
            self.num_elites <= self.num_samples, "num_elites", f"must be <= num_samples ({self.num_samples})"
        )


@register_planner("icem")
@dataclass
class ICEMConfig(CEMConfig):
    """iCEM: coloured noise, kept elites, a shrinking population and momentum."""

    target: ClassVar[str] = "worldjepa.planners.icem:ICEM"
    name: str = opt("icem", "the planner (choose it with planner=<name>)")
    noise_beta: float = opt(2.0, "colour of the sampling noise along the horizon (0 white, 2 red)", ge=0)
    keep_elites: float = opt(0.3, "share of the elites carried into the next iteration", ge=0, le=1)
    population_decay: float = opt(1.1, "the population shrinks by this factor per iteration", ge=1)
    momentum: float = opt(0.1, "share of the old mean and std kept at each refit", ge=0, lt=1)


@register_planner("mppi")
@dataclass
class MPPIConfig(PlannerConfig):
    """Model-predictive path integral: the plan is the cost-weighted mean of the samples."""

    target: ClassVar[str] = "worldjepa.planners.mppi:MPPI"
    name: str = opt("mppi", "the planner (choose it with planner=<name>)")
    num_samples: int = opt(64, "candidate plans per env per iteration", ge=2)
    noise_std: float = opt(0.5, "sampling std, in action half-ranges", gt=0)
    temperature: float = opt(0.3, "softmax temperature, in units of the samples' cost spread", gt=0)
    noise_beta: float = opt(0.0, "colour of the sampling noise along the horizon (0 white)", ge=0)
    std_decay: float = opt(0.8, "the sampling std shrinks by this factor per iteration", gt=0, le=1)


@register_planner("grad")
@dataclass
class GradientConfig(PlannerConfig):
    """Adam on the actions through the model's rollout, from several starts."""

    target: ClassVar[str] = "worldjepa.planners.gradient:GradientPlanner"
    name: str = opt("grad", "the planner (choose it with planner=<name>)")
    num_iters: int = opt(12, "Adam steps per replanning step", ge=1)
    lr: float = opt(0.1, "Adam learning rate, in action units", gt=0)
    num_restarts: int = opt(16, "starts: the warm start, plus noisy copies of it", ge=1)
    init_std: float = opt(0.5, "noise of the extra starts, in action half-ranges", ge=0)


@register_planner("cem_grad")
@dataclass
class CEMGradConfig(CEMConfig):
    """CEM, then Adam refinement of its mean and best elites."""

    target: ClassVar[str] = "worldjepa.planners.gradient:CEMGrad"
    name: str = opt("cem_grad", "the planner (choose it with planner=<name>)")
    num_samples: int = opt(48, "candidate plans per env per iteration", ge=2)
    num_iters: int = opt(5, "CEM iterations per replanning step", ge=1)
    grad_iters: int = opt(4, "Adam steps on each refined plan", ge=1)
    num_refine: int = opt(8, "plans refined: the CEM mean and the best num_refine - 1 elites", ge=1)
    lr: float = opt(0.05, "Adam learning rate, in action units", gt=0)

    def check(self) -> None:
        super().check()
        require(
            self.num_refine <= self.num_elites + 1,
            "num_refine",
            f"must be <= num_elites + 1 ({self.num_elites + 1})",
        )


@dataclass
class MPCConfig:
    """Receding-horizon planning in latent space: what ``worldjepa eval`` runs by default."""

    planner: PlannerConfig = opt(CEMConfig, "the planner")
    horizon: int = opt(8, "planning horizon, in action blocks (frameskip env steps each)", ge=1, le=256)
    replan_every: int = opt(1, "blocks executed before replanning", ge=1)
    hold_actions: bool = opt(True, "plan one action per block, held for its frameskip env steps")
    cost: str = opt("sum", "sum: mean goal distance over the horizon | terminal: at its end (LeWM)",
                    choices="worldjepa.planners.costs:COST_MODES")  # fmt: skip
    action_weight: float = opt(0.0, "+ this x mean squared action (in half-ranges): gentler plans", ge=0)
    amp: str = opt("bf16", "bf16: autocast the planning rollouts | none: float32", choices=("bf16", "none"))

    def check(self) -> None:
        require(self.replan_every <= self.horizon, "replan_every", f"must be <= horizon ({self.horizon})")

    @classmethod
    def of(cls, cfg: MPCConfig) -> MPCConfig:
        """Just the MPC settings of a config that extends them (e.g. ``EvalConfig``)."""
        from dataclasses import fields

        return cls(**{f.name: getattr(cfg, f.name) for f in fields(cls)})


def planner_config(name: str, **overrides) -> PlannerConfig:
    """The registered planner ``name``'s config with ``overrides``: ``planner_config("mppi", num_samples=128)``."""
    from dataclasses import replace

    from worldjepa.config.fields import validate

    cfg = replace(PLANNER_CONFIGS.get(name)(), **overrides) if overrides else PLANNER_CONFIGS.get(name)()
    validate(cfg, "planner.")
    return cfg
