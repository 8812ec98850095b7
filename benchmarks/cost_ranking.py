"""Does the planning cost pick plans that work? A checkpoint's latent cost against the simulator.

    python benchmarks/cost_ranking.py <checkpoint> [<checkpoint> ...] [--tasks 50] [--pool 128]
        [--cost sum] [--out runs/cost_ranking]

MPC can fail because its search never proposes a plan that works, or because its cost (the
imagined latent distance to the goal) does not rank the plans that work above the others.
This separates the two, on the offset protocol's own tasks (held-out episodes, goal = the
recorded frame ``goal_offset`` steps later, seed 0). For each task it scores one pool of
candidate plans of the planner's horizon (``horizon`` blocks of ``frameskip`` steps):

- the episode's recorded actions from the start (they reach the goal; zeros after it);
- those actions plus Gaussian noise (std 0.3 and 1.0 of the action range's half-width);
- CEM's first draw: one action per block from N(0, 1), clipped to the bounds.

Each plan runs in the simulator from the start state (truth: success at any step, and the
closest pose distance reached). Its cost is taken twice: on the latents the model imagines
from the start frame (``model``, what MPC's first plan sees), and on the encoded true frames
at the block boundaries (``frames``, what a perfect predictor would imagine). Per checkpoint:

- ``exists``: tasks where some plan in the pool succeeds (what a perfect cost could pick);
- ``chance``: the pool's mean success rate (a random pick);
- ``picked``: tasks where the plan of lowest cost succeeds (what the cost does pick);
- ``spearman``: the rank correlation of cost and true closest distance, mean over tasks;
- ``CEM's draw``: ``exists``, ``chance`` and ``picked`` over the N(0, 1) draw alone (the
  search's starting point, which holds no recorded plan).

A cost whose ``picked`` is near ``exists`` leaves the search to blame; one near ``chance``
cannot tell a working plan from a failing one, and more samples will not help. ``frames``
against ``model`` splits the blame between the encoder's goal distance and the predictor.
Results go to ``<out>/<checkpoint name>-<settings>.json`` (a checkpoint already scored is read,
not rerun) and the table of every checkpoint named to ``<out>/cost_ranking.md``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

NOISE = (0.3, 1.0)


def candidate_pool(recorded: np.ndarray, low: np.ndarray, high: np.ndarray, pool: int, fs: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, int]:  # fmt: skip
    """recorded: (L, A) env actions (padded to L = horizon*fs) -> (plans (pool, L, A), n): the
    recorded plan, noisy copies of it, then held N(0, 1) blocks from plans[n:], all within
    the bounds."""
    L, A = recorded.shape
    half, center = (high - low) / 2, (high + low) / 2
    n_noisy = pool // 2 - 1
    per = [n_noisy // len(NOISE)] * len(NOISE)
    per[-1] += n_noisy - sum(per)
    plans = [recorded[None]]
    for std, n in zip(NOISE, per, strict=True):
        plans.append(recorded[None] + rng.normal(0, std, (n, L, A)) * half)
    blocks = rng.normal(0, 1, (pool - 1 - n_noisy, L // fs, A))
    plans.append(center + np.repeat(blocks, fs, axis=1) * half)
    return np.clip(np.concatenate(plans), low, high).astype(np.float32), 1 + n_noisy


def simulate(env, task, plans: np.ndarray, fs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """plans: (K, L, A) -> success at any step (K,) bool, closest distance reached (K,), and
    the frames at the block boundaries (K, L // fs, H, W, 3) uint8."""
    success, closest, frames = np.zeros(len(plans), bool), np.full(len(plans), np.inf), []
    for k, plan in enumerate(plans):
        env.reset(options=task.reset_options(env))
        seen = []
        for t, a in enumerate(plan):
            obs, _, _, _, info = env.step(a)
            success[k] |= bool(info["is_success"])
            closest[k] = min(closest[k], float(info["distance"]))
            if (t + 1) % fs == 0:
                seen.append(obs["pixels"])
        frames.append(np.stack(seen))
    return success, closest, np.stack(frames)


@torch.no_grad()
def costs(ck, start_pixels: np.ndarray, goal_pixels: np.ndarray, plans: np.ndarray, frames: np.ndarray,
          cost: str) -> dict[str, np.ndarray]:  # fmt: skip
    """start/goal: (H, W, 3) uint8, plans: (K, L, A), frames: (K, L // fs, H, W, 3) ->
    {"model": the imagined latents' cost (K,), from the start frame alone as MPC's first plan
    is made; "frames": the same cost on the encoded true frames}."""
    from worldjepa.planners.costs import goal_cost

    fs = ck.preprocess["frameskip"]
    z = ck.encode(np.stack([start_pixels, goal_pixels]))
    K, L, A = plans.shape
    blocks = torch.as_tensor(plans.reshape(1, K, L // fs, fs * A), device=ck.device)
    imagined = ck.model.rollout(z[None, :1], blocks).float()  # (1, K, H, D)
    seen = ck.encode(frames)[None]  # (1, K, H, D)
    return {
        name: goal_cost(zs, z[1:2], cost)[0].cpu().numpy()
        for name, zs in (("model", imagined), ("frames", seen))
    }


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def ranking(c: np.ndarray, success: np.ndarray, closest: np.ndarray, n: int) -> dict:
    """How cost c (K,) ranks a pool whose plans from n on are CEM's first draw. recorded_rank:
    the share of the other plans that cost as little as the recorded one or less (ties count)."""
    return {"picked": bool(success[np.argmin(c)]), "random_picked": bool(success[n + np.argmin(c[n:])]),
            "spearman": spearman(c, closest), "recorded_rank": float((c[1:] <= c[0]).mean())}  # fmt: skip


SOURCES = ("model", "frames")
RANKED = ("picked", "random_picked", "spearman", "recorded_rank")
POOLED = ("exists", "chance", "random_exists", "random_chance", "recorded_success")


def score(checkpoint: str, tasks: int, pool: int, cost: str, horizon: int, offset: int) -> dict:
    import worldjepa
    from worldjepa.evaluation.tasks import build_offset_tasks

    ck = worldjepa.load(checkpoint)
    ds, env = ck.dataset(), ck.env()
    fs, L = ck.preprocess["frameskip"], horizon * ck.preprocess["frameskip"]
    low, high = env.action_space.low.astype(np.float64), env.action_space.high.astype(np.float64)
    chosen, _ = build_offset_tasks(ds, env, ck.preprocess["val_episodes"], offset, tasks, seed=0)
    rng = np.random.default_rng(0)
    rows = []
    for i, task in enumerate(chosen):
        ep = ds.read_episode(task.episode_idx, ["pixels", "action"])
        t0, recorded = task.start_step, np.zeros((L, len(low)))
        recorded[: min(offset, L)] = ep["action"][t0 : t0 + min(offset, L)]
        plans, n = candidate_pool(recorded, low, high, pool, fs, rng)
        success, closest, frames = simulate(env, task, plans, fs)
        row = {"episode": task.episode_idx, "exists": bool(success.any()), "chance": float(success.mean()),
               "random_exists": bool(success[n:].any()), "random_chance": float(success[n:].mean()),
               "recorded_success": bool(success[0])}  # fmt: skip
        for source, c in costs(ck, ep["pixels"][t0], task.goal_pixels, plans, frames, cost).items():
            row[source] = ranking(c, success, closest, n)
        rows.append(row)
        print(f"  task {i + 1}/{len(chosen)}: exists {row['exists']:d} picked {row['model']['picked']:d} "
              f"(true frames {row['frames']['picked']:d})", flush=True)  # fmt: skip
    env.close()
    result = {"checkpoint": str(checkpoint), "env": ck.preprocess["env_id"], "tasks": len(rows), "pool": pool,
              "cost": cost, "horizon": horizon, "rows": rows}  # fmt: skip
    result.update({k: float(np.mean([r[k] for r in rows])) for k in POOLED})
    for source in SOURCES:
        result[source] = {k: float(np.mean([r[source][k] for r in rows])) for k in RANKED}
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--tasks", type=int, default=50)
    p.add_argument("--pool", type=int, default=128)
    p.add_argument("--cost", default="sum", help="the MPC cost mode (worldjepa eval's default: sum)")
    p.add_argument("--horizon", type=int, default=8, help="blocks per plan (worldjepa eval's default: 8)")
    p.add_argument("--offset", type=int, default=25, help="goal_offset, as worldjepa eval's")
    p.add_argument("--out", type=Path, default=Path("runs/cost_ranking"))
    args = p.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for checkpoint in args.checkpoints:
        name = "_".join(Path(checkpoint).resolve().parts[-3:])
        file = args.out / f"{name}-{args.cost}-h{args.horizon}-{args.tasks}x{args.pool}.json"
        if not file.exists():
            print(f"{checkpoint}:", flush=True)
            r = score(checkpoint, args.tasks, args.pool, args.cost, args.horizon, args.offset)
            file.write_text(json.dumps(r, indent=1))
        results.append(json.loads(file.read_text()))
    table = markdown(results)
    (args.out / "cost_ranking.md").write_text(table)
    print(table, flush=True)


def markdown(results: list[dict]) -> str:
    """One row per checkpoint: the pool, then each cost's picks (imagined | true frames)."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    lines = [
        "| checkpoint | env | exists | chance | picked: imagined | picked: true frames | spearman: imagined"
        " | spearman: true frames | CEM's draw: exists | chance | picked: imagined | picked: true frames |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        m, f = r["model"], r["frames"]
        lines.append(f"| {r['checkpoint']} | {r['env'].split('/')[-1]} | {pct(r['exists'])} | {pct(r['chance'])} | "
                     f"{pct(m['picked'])} | {pct(f['picked'])} | {m['spearman']:+.2f} | {f['spearman']:+.2f} | "
                     f"{pct(r['random_exists'])} | {pct(r['random_chance'])} | {pct(m['random_picked'])} | "
                     f"{pct(f['random_picked'])} |")  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
