"""CEM planning speed: worldjepa's CEM against stable-worldmodel 0.1.1's ``CEMSolver`` driving the
same trained predictor with the same cost (through a small adapter), in one process.

    /work/swm-venv/bin/pip install -e .        # once: worldjepa beside stable-worldmodel
    /work/swm-venv/bin/python benchmarks/planner_speed.py CHECKPOINT [--envs 1 8] [--episodes 20] [--device cuda]

CEM 300 samples x 30 iterations, horizon 5 blocks, held actions, planning from the current frame,
LeWM's terminal latent goal cost (swm's own ``LeWM.criterion``), float32 (swm's solver runs in the
model's dtype). swm's side is its own ``CEMSolver`` + ``LeWM.rollout``/``get_cost`` code with our
trained encoder, action encoder and predictor plugged in (``swm_world_model``); a printed "cost
gap" checks both sides score the same candidates alike. Reported per planning call (one MPC replan for all
envs), median of ``--repeats``, from the MPC state 2 blocks into held-out tasks:

- worldjepa CEM (all envs in one batched call; float32, and bf16 autocast as ``worldjepa eval``
  plans by default) vs swm's CEMSolver at its default ``batch_size=1`` (one env after another; its
  LeWM cost supports no other);
- for a rope predictor (windowed attention), swm's rollout re-runs the whole history each step
  (what it computes without a cache; the same function as our KV-cached rollout), and, on a
  second line, swm re-running only the last num_hist latents (its default for LeWM, cheaper but
  a different function of such a model: the cost gap shows how different);
- the overhead of our whole planning call over its 30 bare rollouts (the predictor calls alone),
  and over the predictor FLOP floor: one teacher-forced predictor pass per candidate over the
  whole context + plan (what a perfect KV cache would compute);
- success of MPC with each planner on ``--episodes`` held-out tasks of the checkpoint's dataset
  (goal +25 steps, budget 50), to show the speed is not bought with worse plans.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from types import SimpleNamespace

import numpy as np
import torch

CEM_KW = dict(num_samples=300, num_iters=30, num_elites=30)
HORIZON = 5


class _Encoder(torch.nn.Module):
    """Our encoder + projector behind the HuggingFace-style call swm's LeWM.encode makes."""

    def __init__(self, model, window: int | None = None):
        super().__init__()
        self.model = model

    def forward(self, pixels, interpolate_pos_encoding=True):
        z = self.model.encode(pixels[:, None])[:, 0]  # pixels: (N, 3, H, W) in [0, 255]
        return SimpleNamespace(last_hidden_state=z[:, None])


class _Predictor(torch.nn.Module):
    """Our predictor as swm's: forward(emb (B, T, D), act_emb (B, T, E)) -> (B, T, D)."""

    def __init__(self, model, window: int | None = None):
        super().__init__()
        # swm's rollout re-runs its last ``num_frames`` latents every step. A learned-position
        # predictor is defined on num_hist-token windows; a rope predictor's attention window
        # lives inside the predictor, so swm re-runs the whole history (what it does without a
        # cache) and computes exactly what our KV-cached rollout computes.
        self.model = model
        self.num_frames = model.predictor.max_len if model.predictor.cacheable else model.cfg.num_hist
        if window is not None:  # swm's default: re-run only the last num_hist latents
            self.num_frames = window

    def forward(self, emb, act_emb):
        return self.model.predictor(emb, act_emb)


def swm_world_model(model, frameskip: int, window: int | None = None):
    """stable-worldmodel's own LeWM (its rollout, its terminal cost) around our trained modules.

    Its rollout re-runs the whole history window through every predictor block at each step
    and encodes the current frame and the goal once per solve; candidates are held actions
    (P = A), expanded to frameskip blocks before the action encoder, as in our MPC."""
    from einops import repeat
    from stable_worldmodel.wm.lewm.lewm import LeWM

    def embed(actions):
        return model.embed_actions(repeat(actions, "... a -> ... (f a)", f=frameskip))

    return LeWM(_Encoder(model), _Predictor(model, window), embed).eval()


class SwmPlanner:
    """Our Planner interface on swm's CEMSolver + LeWM (for MPC with swm's planner and rollout).

    ``plan`` needs the current and goal frames: ``set_frames`` gives them before each call."""

    def __init__(self, swm_model, batch_size: int, seed: int = 0):
        self.swm_model, self.batch_size, self.seed = swm_model, batch_size, seed
        self.pixels = self.goal = None

    def set_frames(self, pixels: np.ndarray, goal: np.ndarray) -> None:
        """pixels, goal: (B, H, W, 3) uint8."""
        device = torch.get_default_device()
        self.pixels, self.goal = (
            torch.as_tensor(x).permute(0, 3, 1, 2)[:, None].float().to(device) for x in (pixels, goal)
        )

    def plan(self, cost_fn, init: torch.Tensor, bounds) -> torch.Tensor:
        from gymnasium.spaces import Box
        from stable_worldmodel.solver.cem import CEMSolver

        B, H, P = init.shape
        solver = CEMSolver(self.swm_model, batch_size=self.batch_size, num_samples=CEM_KW["num_samples"],
                           n_steps=CEM_KW["num_iters"], topk=CEM_KW["num_elites"], seed=self.seed)  # fmt: skip
        low, high = (b.cpu().numpy() for b in bounds)
        solver.configure(action_space=Box(np.tile(low, (B, 1)), np.tile(high, (B, 1))), n_envs=B,
                         config=SimpleNamespace(horizon=H, action_block=1))  # fmt: skip
        info = {"pixels": self.pixels, "goal": self.goal, "action": torch.zeros(B, 1, P)}
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its solve time every call
            out = solver.solve(info, init_action=init.clone())
        return out["actions"].to(init.device).clamp(bounds[0], bounds[1])


class SwmMPC:
    """MPC with swm's planner: hands the frames to SwmPlanner, then runs our MPCPolicy loop."""

    def __init__(self, policy, planner: SwmPlanner):
        self.policy, self.planner = policy, planner

    def reset(self, goal_pixels) -> None:
        self.goal = np.asarray(goal_pixels)
        self.policy.reset(goal_pixels)

    def act(self, pixels):
        self.planner.set_frames(np.asarray(pixels), self.goal)
        return self.policy.act(pixels)


def make_policy(model, pre, planner):
    from worldjepa.planners import MPCPolicy

    return MPCPolicy(model, planner, horizon=HORIZON, frameskip=pre["frameskip"], action_dim=pre["action_dim"],
                     action_low=pre["action_low"], action_high=pre["action_high"], num_hist=1,
                     cost="terminal", hold_actions=True, amp="none", device=torch.get_default_device())  # fmt: skip


def median_time(fn, repeats: int) -> float:
    times = []
    sync = torch.cuda.synchronize if torch.get_default_device().type == "cuda" else (lambda: None)
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def start_frame(pre, task) -> np.ndarray:
    from worldjepa.envs import make_env

    env = make_env(pre["env_id"], image_size=pre["image_size"][0])
    try:
        return env.reset(options=task.reset_options(env))[0]["pixels"]
    finally:
        env.close()


def timings(model, pre, tasks, n_envs: int, repeats: int) -> dict:
    """Seconds per planning call for n_envs envs (median of ``repeats``), and the cost check."""
    from worldjepa.planners import CEM

    tasks = (tasks * n_envs)[:n_envs]
    goals = np.stack([t.goal_pixels for t in tasks])
    starts = np.stack([start_frame(pre, t) for t in tasks])
    ours = make_policy(model, pre, CEM(**CEM_KW, seed=0, device=torch.get_default_device()))
    ours.reset(goals)
    ours.act(starts)  # encodes the frame, plans once
    warm = torch.zeros(n_envs, HORIZON, ours.bounds[0].numel())
    res = {"worldjepa": median_time(ours._replan, repeats)}
    ours.autocast_dtype = torch.bfloat16  # our eval default (amp=bf16)
    res["worldjepa bf16"] = median_time(ours._replan, repeats)
    ours.autocast_dtype = None
    swm_model = swm_world_model(model, pre["frameskip"])
    # batch_size=1 is swm's default and the only one its LeWM.criterion supports (the goal
    # embedding of a batch of envs does not broadcast against the candidates' predictions).
    swm = SwmPlanner(swm_model, batch_size=1)
    swm.set_frames(starts, goals)
    res["swm"] = median_time(lambda: swm.plan(None, warm, ours.bounds), repeats)
    truncated = None
    if model.predictor.cacheable:  # swm as configured by default: only the last num_hist latents
        truncated = swm_world_model(model, pre["frameskip"], window=model.cfg.num_hist)
        trunc = SwmPlanner(truncated, batch_size=1)
        trunc.set_frames(starts, goals)
        res["swm num_hist"] = median_time(lambda: trunc.plan(None, warm, ours.bounds), repeats)
    # Same predictor, same cost: both sides must score env 0's candidates alike.
    cand = torch.rand(n_envs, CEM_KW["num_samples"], HORIZON, ours.bounds[0].numel()) * 2 - 1
    with torch.inference_mode():
        one = {"pixels": swm.pixels[:1], "goal": swm.goal[:1], "action": torch.zeros(1, 1, cand.shape[-1])}
        info = {k: v.unsqueeze(1).expand(1, CEM_KW["num_samples"], *v.shape[1:]) for k, v in one.items()}
        theirs = swm_model.get_cost(info, cand[:1])
        res["cost gap"] = ((ours._cost(cand)[:1] - theirs).abs().max() / theirs.abs().max()).item()
        if truncated is not None:
            other = truncated.get_cost(dict(info), cand[:1])
            res["cost gap num_hist"] = ((ours._cost(cand)[:1] - other).abs().max() / other.abs().max()).item()
        blocks = ours._to_blocks(cand)
        iters = CEM_KW["num_iters"]
        res["bare rollouts"] = median_time(
            lambda: [model.rollout(ours._z_hist, blocks, ours._a_hist) for _ in range(iters)], repeats
        )
        res["predictor floor"] = median_time(
            lambda: [floor_pass(model, ours, blocks) for _ in range(iters)], repeats
        )
    return res


def floor_pass(model, policy, blocks: torch.Tensor) -> torch.Tensor:
    """One causal predictor pass over every token of context + plan, per candidate: the FLOPs a
    KV-cached rollout needs (each token processed once), without its sequential dependence."""
    from einops import rearrange, repeat

    z = policy._z_hist  # (B, H0, D)
    B, S = blocks.shape[:2]
    H0 = z.shape[1]
    seq = torch.cat([repeat(z, "b t d -> (b s) t d", s=S), torch.zeros(B * S, HORIZON - 1, z.shape[-1])], 1)
    acts = rearrange(blocks, "b s h a -> (b s) h a")
    if policy._a_hist is not None:
        acts = torch.cat([repeat(policy._a_hist, "b t a -> (b s) t a", s=S), acts], 1)
    n = min(seq.shape[1], acts.shape[1], model.predictor.max_len)
    mods = model.predictor.modulations(model.embed_actions(acts[:, :n]))
    return model.predictor.forward_modulated(seq[:, :n], mods)[:, H0 - 1 :]


def success(model, pre, tasks, planner_name: str, budget: int) -> dict:
    from worldjepa.envs import make_env
    from worldjepa.evaluation.report import summarise
    from worldjepa.evaluation.runner import run_episodes
    from worldjepa.planners import CEM

    if planner_name == "worldjepa":
        policy = make_policy(model, pre, CEM(**CEM_KW, seed=0, device=torch.get_default_device()))
    else:
        swm = SwmPlanner(swm_world_model(model, pre["frameskip"]), batch_size=1)
        policy = SwmMPC(make_policy(model, pre, swm), swm)
    envs = [make_env(pre["env_id"], image_size=pre["image_size"][0]) for _ in tasks]
    try:
        results, act_time = run_episodes(envs, tasks, policy, budget)
    finally:
        for e in envs:
            e.close()
    return summarise(planner_name, results, act_time, budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--envs", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--episodes", type=int, default=20, help="held-out tasks for the success check (0: skip)"
    )
    parser.add_argument("--device", default="cpu", help="cpu | cuda: where both planners run")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_default_device(args.device)  # every tensor both sides make, ours and swm's
    # swm first: its torchvision -> triton import segfaults once an EGL context exists
    import stable_worldmodel.solver.cem  # noqa: F401

    from worldjepa.checkpoint import load_checkpoint
    from worldjepa.datasets import open_dataset
    from worldjepa.envs import make_env
    from worldjepa.evaluation.tasks import build_offset_tasks

    model, pre, _ = load_checkpoint(args.checkpoint, device=args.device)
    ds = open_dataset(pre["dataset"])
    probe = make_env(pre["env_id"], image_size=pre["image_size"][0])
    n_tasks = max(max(args.envs), args.episodes)
    tasks, _ = build_offset_tasks(ds, probe, pre["val_episodes"], 25, n_tasks, seed=0)
    probe.close()
    print(f"{pre['env_id']} checkpoint {args.checkpoint}; CEM {CEM_KW['num_samples']} x {CEM_KW['num_iters']}, "
          f"horizon {HORIZON}, float32, torch {torch.__version__}, on {args.device} "
          f"({torch.get_num_threads()} threads)")  # fmt: skip
    print(f"\n{'envs':>4} {'swm s':>8} {'worldjepa s':>12} {'speed-up':>9} {'bf16 s':>8} {'bf16 speed-up':>14} "
          f"{'/ bare rollouts':>16} {'/ predictor floor':>18} {'cost gap':>9}")  # fmt: skip
    for n in args.envs:
        r = timings(model, pre, tasks, n, args.repeats)
        wj, sw, bf = r["worldjepa"], r["swm"], r["worldjepa bf16"]
        print(f"{n:>4} {sw:>8.3f} {wj:>12.3f} {sw / wj:>8.1f}x {bf:>8.3f} {sw / bf:>13.1f}x "
              f"{wj / r['bare rollouts']:>15.2f}x {wj / r['predictor floor']:>17.2f}x {r['cost gap']:>9.1e}")  # fmt: skip
        if "swm num_hist" in r:
            print(f"     swm re-running only the last {model.cfg.num_hist} latents (its default; a different function "
                  f"of a windowed-attention model): {r['swm num_hist']:.3f} s, {r['swm num_hist'] / wj:.1f}x ours, "
                  f"cost gap {r['cost gap num_hist']:.1e}")  # fmt: skip
    if args.episodes:
        tasks = tasks[: args.episodes]
        print(f"\nMPC success on {len(tasks)} held-out tasks (goal +25 steps, budget 50):")
        for name in ("worldjepa", "swm"):
            s = success(model, pre, tasks, name, 50)
            lo, hi = s["ci95"]
            print(f"  {name:<10} {100 * s['success_rate']:5.1f}%  [{100 * lo:.1f}, {100 * hi:.1f}]  "
                  f"plan time/step {1000 * s['time_per_step_s']:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
