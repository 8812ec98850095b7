"""What a checkpoint's latent goal distance follows: the agent or the object it should move.

    python benchmarks/goal_distance.py <checkpoint> --agent pusher_x,pusher_y --object block_x,block_y
        [--episodes 30] [--offset 25] [--stride 5]

On held-out episodes, every ``stride`` steps, the start frame and the frame ``offset`` steps
later (the offset protocol's goal) are encoded. MPC minimises ||z - z_goal||²; this prints
that distance's correlation with the agent's and the object's true distances to their goal
positions, and the share of its spread a linear fit on both gives each (coefficient x the
distance's std). A cost that follows the agent alone moves the agent and leaves the object.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch


def pairs(ck, agent: list[str], obj: list[str], episodes: int, offset: int, stride: int) -> np.ndarray:
    """-> (N, 3): latent squared goal distance, agent distance, object distance."""
    ds = ck.dataset()
    names = list(ds.state_names)
    a_idx, o_idx = [names.index(n) for n in agent], [names.index(n) for n in obj]
    rows = []
    for e in ck.preprocess["val_episodes"][:episodes]:
        ep = ds.read_episode(e, ["pixels", "state"])
        z, s = ck.encode(ep["pixels"]).numpy(), ep["state"]
        for t in range(0, len(z) - offset, stride):
            g = t + offset
            rows.append((((z[t] - z[g]) ** 2).sum(), np.linalg.norm(s[t, a_idx] - s[g, a_idx]),
                         np.linalg.norm(s[t, o_idx] - s[g, o_idx])))  # fmt: skip
    return np.array(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--agent", required=True, help="state names of the agent's position, comma-separated")
    p.add_argument("--object", required=True, help="state names of the object's position")
    p.add_argument("--episodes", type=int, default=30)
    p.add_argument("--offset", type=int, default=25)
    p.add_argument("--stride", type=int, default=5)
    args = p.parse_args()
    import worldjepa

    torch.set_num_threads(1)
    ck = worldjepa.load(args.checkpoint)
    r = pairs(ck, args.agent.split(","), args.object.split(","), args.episodes, args.offset, args.stride)
    coef, *_ = np.linalg.lstsq(np.c_[r[:, 1], r[:, 2], np.ones(len(r))], r[:, 0], rcond=None)
    print(f"{args.checkpoint}: {len(r)} (start, goal) pairs from {args.episodes} held-out episodes")
    for name, col, c in (("agent", 1, coef[0]), ("object", 2, coef[1])):
        corr = np.corrcoef(r[:, 0], r[:, col])[0, 1]
        print(f"  {name:<7} correlation {corr:.2f}   fitted share {c * r[:, col].std():.2f}")


if __name__ == "__main__":
    main()
