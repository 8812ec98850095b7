"""Planning while training (``eval_every``): a small MPC evaluation on fixed held-out offset
tasks, logged as ``val_success``, so a run's planning curve sits beside its loss curve.

The tasks, envs and planner settings are ``worldjepa eval``'s defaults (``EvalConfig``), on
``eval_tasks`` held-out episodes; the tasks are built once, so every point of the curve plans
the same starts and goals.
"""

from __future__ import annotations

import functools
import logging

from worldjepa.evaluation.evaluate import EvalConfig

log = logging.getLogger(__name__)


class PlanMonitor:
    def __init__(self, preprocess: dict, ds, num_tasks: int, device, seed: int = 0):
        from worldjepa.envs import make_env
        from worldjepa.evaluation.tasks import build_offset_tasks
        from worldjepa.planners.config import MPCConfig

        self.cfg = EvalConfig(episodes=num_tasks, seed=seed)
        self.pre, self.device = preprocess, device
        make = functools.partial(make_env, preprocess["env_id"], image_size=preprocess["image_size"][0])
        probe = make()
        try:
            self.tasks, _ = build_offset_tasks(ds, probe, preprocess["val_episodes"], self.cfg.goal_offset,
                                               num_tasks, seed)  # fmt: skip
        finally:
            probe.close()
        self.envs = [make() for _ in self.tasks]
        self.mpc = MPCConfig.of(self.cfg)
        if not self.tasks:
            log.warning("eval_every: no held-out start/goal pairs; val_success is not logged")

    def __call__(self, model) -> dict[str, float]:
        """-> {"val_success": fraction of the tasks solved within eval's budget}."""
        from worldjepa.evaluation.policies import EVAL_POLICIES
        from worldjepa.evaluation.runner import run_episodes

        if not self.tasks:
            return {}
        was_training = model.training
        model.eval()
        try:
            low, high = self.pre["action_low"], self.pre["action_high"]
            policy = EVAL_POLICIES.get("mpc")(low=low, high=high, seed=self.cfg.seed, model=model, preprocess=self.pre,
                                              mpc=self.mpc, device=self.device, envs=self.envs)  # fmt: skip
            results, _ = run_episodes(self.envs, self.tasks, policy, self.cfg.budget)
        finally:
            model.train(was_training)
        return {"val_success": sum(r.success for r in results) / len(results)}

    def close(self) -> None:
        for env in self.envs:
            env.close()
