"""How much bf16 planning changes what the planner chooses, on a trained checkpoint.

    python benchmarks/planning_numerics.py <checkpoint> [--episodes 8] [--samples 256]

From held-out episodes: the context of 3 frames and the goal 25 steps later are encoded, and
``--samples`` candidate plans are drawn around the recorded actions at the sampling stds CEM
passes through (0.5 early, 0.1, and its floor 0.02). Every candidate is rolled out in float32
and under bf16 autocast, with the predictor's float32 input/output/modulations (the default,
``Predictor.float32_io``) and without them (everything in bf16). Reported per std:

- ``err/spread``: mean |cost_bf16 - cost_fp32| over the spread (std) of the candidates' float32
  costs; above ~0.2 bf16 starts to reorder the candidates;
- ``elites``: the share of float32's 16 cheapest candidates that bf16 also ranks among its 16.

It also times the bf16 rollout of all candidates with and without the float32 layers, and in
float32, interleaved over ``--repeats`` rounds (best of each): the price of the fix, as a ratio.
Success rates in both precisions come from ``benchmarks/recipe_suite.py`` (``--amp none bf16``).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

SIGMAS = (0.5, 0.1, 0.02)
ELITES = 16


def contexts(ck, episodes: int, horizon: int, goal_offset: int = 25):
    """-> z_ctx (B, 3, D), a_ctx (B, 2, fs*A), z_goal (B, D), plan (B, horizon, fs*A) recorded."""
    ds, fs = ck.dataset(), ck.model.cfg.frameskip
    zc, ac, zg, plan = [], [], [], []
    for e in ck.preprocess["val_episodes"][:episodes]:
        ep = ds.read_episode(e, ["pixels", "action"])
        last = len(ep["pixels"]) - 1
        z = ck.encode(ep["pixels"][[0, fs, 2 * fs, min(last, 2 * fs + goal_offset)]])
        a = torch.as_tensor(np.array(ep["action"]))
        nxt = a[2 * fs : 2 * fs + horizon * fs]
        nxt = torch.cat([nxt, nxt[-1:].expand(horizon * fs - len(nxt), -1)])
        zc.append(z[:3])
        zg.append(z[3])
        ac.append(a[: 2 * fs].reshape(2, -1))
        plan.append(nxt.reshape(horizon, -1))
    return tuple(torch.stack(x) for x in (zc, ac, zg, plan))


def agreement(model, z_ctx, a_ctx, z_goal, plan, sigma: float, samples: int, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(plan.shape[0], samples, *plan.shape[1:], generator=g)
    acts = (plan[:, None] + sigma * noise).clamp(-1, 1)  # (B, S, H, fs*A)
    with torch.no_grad():
        f = model.rollout(z_ctx, acts, a_ctx)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            b = model.rollout(z_ctx, acts, a_ctx).float()
    cost_f = (f - z_goal[:, None, None]).pow(2).sum(-1).mean(-1)  # (B, S): the default cost=sum
    cost_b = (b - z_goal[:, None, None]).pow(2).sum(-1).mean(-1)
    top_f, top_b = (c.topk(ELITES, largest=False).indices for c in (cost_f, cost_b))
    kept = [len(set(x.tolist()) & set(y.tolist())) / ELITES for x, y in zip(top_f, top_b, strict=True)]
    return {"err_over_spread": float((cost_f - cost_b).abs().mean() / cost_f.std(1).mean()),
            "elites": float(np.mean(kept))}  # fmt: skip


def rollout_seconds(model, z_ctx, a_ctx, plan, samples: int, amp: bool) -> float:
    import time

    acts = plan[:, None].expand(-1, samples, -1, -1).contiguous()
    start = time.perf_counter()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
        model.rollout(z_ctx, acts, a_ctx)
    return time.perf_counter() - start


def timings(model, z_ctx, a_ctx, plan, samples: int, repeats: int) -> dict[str, float]:
    """-> best seconds per rollout of every candidate: bf16 with / without the float32 layers, float32."""
    from worldjepa.models.predictor import Predictor

    best = {"bf16, float32 layers": float("inf"), "all bf16": float("inf"), "float32": float("inf")}
    for _ in range(repeats):
        for name, io, amp in (
            ("bf16, float32 layers", True, True),
            ("all bf16", False, True),
            ("float32", True, False),
        ):
            Predictor.float32_io = io
            best[name] = min(best[name], rollout_seconds(model, z_ctx, a_ctx, plan, samples, amp))
    Predictor.float32_io = True
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--episodes", type=int, default=8)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--horizon", type=int, default=8)
    p.add_argument("--repeats", type=int, default=5, help="timing rounds (0: no timing)")
    args = p.parse_args()
    import worldjepa
    from worldjepa.models.predictor import Predictor

    torch.set_num_threads(1)
    ck = worldjepa.load(args.checkpoint)
    model = ck.model.eval()
    batch = contexts(ck, args.episodes, args.horizon)
    print(f"{args.checkpoint}: {batch[0].shape[0]} held-out contexts, {args.samples} candidates per std")
    print("| predictor under bf16 | " + " | ".join(f"std {s}: err/spread, elites" for s in SIGMAS) + " |")
    print("|---|" + "---|" * len(SIGMAS))
    for io in (False, True):
        Predictor.float32_io = io
        cells = [agreement(model, *batch, s, args.samples) for s in SIGMAS]
        name = "float32 input/output/modulations" if io else "all bf16"
        print(
            f"| {name} | "
            + " | ".join(f"{c['err_over_spread']:.3f}, {c['elites']:.2f}" for c in cells)
            + " |"
        )
    Predictor.float32_io = True
    if args.repeats:
        z_ctx, a_ctx, _, plan = batch
        t = timings(model, z_ctx, a_ctx, plan, args.samples, args.repeats)
        ref = t["bf16, float32 layers"]
        print(f"\nrollout of every candidate, 1 thread, best of {args.repeats} (ratio to the default):")
        for name, sec in t.items():
            print(f"  {name:<22} {sec:.3f} s  {sec / ref:.2f}x")


if __name__ == "__main__":
    main()
