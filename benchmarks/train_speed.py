"""Training-step speed: worldjepa's step against stable-worldmodel 0.1.1's LeWM step, at equal
architecture, in one run; and worldjepa on 1 process against 2 gloo ranks.

    /work/swm-venv/bin/pip install -e . --no-deps transformers   # once: worldjepa beside swm
    python benchmarks/train_speed.py [--swm-python /work/swm-venv/bin/python] [--batch 32]

A step is what each library does per batch when it trains: encode the window's frames, predict
the next latents from the first ``num_hist``, prediction MSE + 0.09 x SIGReg (1024 directions),
backward, clip, AdamW. Both sides get the same in-memory batch (``--batch`` windows of 4 frames
at ``--image`` px, frameskip-5 action blocks), float32, 2 threads; data loading is not timed
(benchmarks/loader_speed.py measures it).

- worldjepa: ``WorldModel`` + ``TrainStep`` (the trainer's objective module), as ``worldjepa train``
  runs it (its own ``amp=bf16`` default is a separate line for the CNN).
- stable-worldmodel: its ``LeWM`` module (``stable_worldmodel.wm.lewm``: ``Predictor``,
  ``Embedder``, ``MLP`` projector with BatchNorm) and its ``SIGReg`` (``wm.loss``), in its own venv,
  with the loss LeWM's training computes (pred MSE on ``emb[:, num_hist:]`` + lambda x SIGReg of
  ``emb.transpose(0, 1)``).

Architectures (the same widths and depths on both sides; the parameter counts are printed):

- ``vit``: LeWM's ViT-tiny encoder (192 wide, 12 blocks, 3 heads; HF ``ViTModel`` on swm's side,
  as LeWM builds it, patch 8 at 64 px), BatchNorm projector 192 -> 2048 -> 192, predictor 192 x 6
  with 16 heads of 12 and MLP 768 (LeWM's predictor has MLP 2048 and heads of 64, and a second
  projector after it: here both sides use ours, so that they compute the same function sizes);
- ``cnn``: worldjepa's default CNN encoder (swm's side runs the same module through the
  HF-style call its ``LeWM.encode`` makes), projector 256 -> 512 -> 128, predictor 128 x 4.

Both sides also run under bf16 autocast (``worldjepa train``'s default ``amp=bf16``; swm's
Lightning ``bf16-mixed``). "vs swm" compares each line with swm at the same precision, "vs swm
fp32" with swm's float32 step. The ``bf16 compile`` line is ``worldjepa train compile=true``: the
whole step under ``torch.compile`` (its warm-up is not timed; its peak memory includes inductor's).

Each measurement is a fresh process (its peak memory is its own); the sides alternate for
``--rounds`` rounds and the table reports medians. Peak memory is the growth of the process's
peak RSS from just before the model is built (every import done) to the end of the timed steps.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARCHS = {
    "vit": dict(feature_dim=192, latent_dim=192, projector_hidden=2048, predictor_dim=192, predictor_depth=6,
                predictor_heads=16, encoder="vit_tiny"),
    "cnn": dict(feature_dim=256, latent_dim=128, projector_hidden=512, predictor_dim=128, predictor_depth=4,
                predictor_heads=4, encoder="cnn"),
}  # fmt: skip
T, NUM_HIST, FRAMESKIP, ACTION_DIM, LAMBDA, NUM_PROJ = 4, 3, 5, 2, 0.09, 1024


def batch(args):
    import torch

    g = torch.Generator().manual_seed(0)
    s = args.image
    pixels = torch.randint(0, 256, (args.batch, T, 3, s, s), dtype=torch.uint8, generator=g)
    action = torch.randn(args.batch, T, FRAMESKIP * ACTION_DIM, generator=g)
    return pixels, action


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(step, args) -> dict:
    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    return {"steps_per_s": args.steps / (time.perf_counter() - t0)}


# ------------------------------------------------------------------------------------ worldjepa
def ours_model(arch: str, image: int):
    import torch

    from worldjepa.models import WorldModelConfig, build_world_model

    a = dict(ARCHS[arch])
    torch.manual_seed(0)
    return build_world_model(WorldModelConfig(image_size=image, action_dim=ACTION_DIM, frameskip=FRAMESKIP,
                                              num_hist=NUM_HIST, **a))  # fmt: skip


def run_ours(args) -> dict:
    import torch

    import worldjepa.models  # noqa: F401  (imported before `base`: import memory is not the step's)
    from worldjepa.losses import LossConfig, TrainStep
    from worldjepa.training import distributed

    world = distributed.init(torch.device("cpu"))
    pixels, action = batch(args)
    if world.size > 1:  # this rank's half of the global batch
        per = args.batch // world.size
        pixels, action = (x[world.rank * per : (world.rank + 1) * per] for x in (pixels, action))
    base = peak_rss_mb()
    model = ours_model(args.arch, args.image)
    if world.size > 1:
        distributed.convert_batchnorm(model)
    step_module = TrainStep(model, LossConfig(num_proj=NUM_PROJ, sigreg_weight=LAMBDA))
    if args.compile:  # as `worldjepa train compile=true`: the whole step, in place
        step_module.compile()
    trainer = torch.nn.parallel.DistributedDataParallel(step_module) if world.size > 1 else step_module
    optim = torch.optim.AdamW(model.parameters(), lr=5e-5)
    gen = torch.Generator()
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp == "bf16")
    data, counter = {"pixels": pixels, "action": action}, [0]

    def step():
        gen.manual_seed(counter[0])
        counter[0] += 1
        with amp:
            terms = trainer(data, gen)
        optim.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()

    out = timed(step, args)
    distributed.barrier(world)
    out.update(
        params=sum(p.numel() for p in model.parameters()), peak_mb=peak_rss_mb() - base, world=world.size
    )
    distributed.shutdown(world)
    return out if world.rank == 0 else {}


# ---------------------------------------------------------------------------- stable-worldmodel
def swm_model(arch: str, image: int):
    import torch
    from stable_worldmodel.wm.lewm import LeWM
    from stable_worldmodel.wm.lewm.module import MLP, Embedder, Predictor
    from torch import nn

    a = ARCHS[arch]
    torch.manual_seed(0)
    if a["encoder"] == "vit_tiny":
        from transformers import ViTConfig, ViTModel

        encoder = ViTModel(ViTConfig(image_size=image, patch_size=8, hidden_size=192, num_hidden_layers=12,
                                     num_attention_heads=3, intermediate_size=768, hidden_dropout_prob=0.0,
                                     attention_probs_dropout_prob=0.0), add_pooling_layer=False)  # fmt: skip
    else:
        from types import SimpleNamespace

        from worldjepa.models.encoders import ENCODERS

        class HFStyle(
            nn.Module
        ):  # the call LeWM.encode makes: encoder(pixels, interpolate_pos_encoding=True)
            def __init__(self):
                super().__init__()
                self.net = ENCODERS.get("cnn")(image_size=image, out_dim=a["feature_dim"])

            def forward(self, pixels, interpolate_pos_encoding=True):
                return SimpleNamespace(last_hidden_state=self.net(pixels)[:, None])

        encoder = HFStyle()
    d, h = a["latent_dim"], a["predictor_dim"]
    heads = a["predictor_heads"]
    predictor = Predictor(num_frames=NUM_HIST, depth=a["predictor_depth"], heads=heads, mlp_dim=4 * h, input_dim=d,
                          hidden_dim=h, output_dim=d, dim_head=h // heads, dropout=0.0, emb_dropout=0.0)  # fmt: skip
    action_encoder = Embedder(
        input_dim=FRAMESKIP * ACTION_DIM, smoothed_dim=FRAMESKIP * ACTION_DIM, emb_dim=d
    )
    projector = MLP(a["feature_dim"], a["projector_hidden"], d, norm_fn=nn.BatchNorm1d)
    return LeWM(encoder, predictor, action_encoder, projector=projector)


def run_swm(args) -> dict:
    import stable_worldmodel.wm.lewm.module  # noqa: F401  (imported before `base`, as on our side)
    import torch
    from stable_worldmodel.wm.loss import SIGReg

    if args.arch == "vit":
        import transformers  # noqa: F401
    else:
        import worldjepa.models.encoders  # noqa: F401

    pixels, action = batch(args)
    pixels = pixels.float() / 127.5 - 1.0  # what swm's data pipeline hands the model
    base = peak_rss_mb()
    model = swm_model(args.arch, args.image)
    sigreg = SIGReg(knots=17, num_proj=NUM_PROJ)
    optim = torch.optim.AdamW(model.parameters(), lr=5e-5)
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp == "bf16")  # Lightning's bf16-mixed

    def step():  # LeWM's training forward
        with amp:
            info = model.encode({"pixels": pixels, "action": action})
            emb, act_emb = info["emb"], info["act_emb"]
            pred = model.predict(emb[:, :NUM_HIST], act_emb[:, :NUM_HIST])
            pred_loss = (pred - emb[:, 1:]).float().pow(2).mean()
            loss = pred_loss + LAMBDA * sigreg(emb.float().transpose(0, 1))
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()

    out = timed(step, args)
    out.update(params=sum(p.numel() for p in model.parameters()), peak_mb=peak_rss_mb() - base, world=1)
    return out


SIDES = {"ours": run_ours, "swm": run_swm}


# ------------------------------------------------------------------------------------- the run
def measure(
    python: str, side: str, arch: str, args, ranks: int = 1, amp: str = "none", compiled: bool = False
) -> dict:
    common = ["--side", side, "--arch", arch, "--batch", str(args.batch), "--image", str(args.image),
              "--steps", str(args.steps), "--warmup", str(args.warmup + 2 * compiled), "--amp", amp]  # fmt: skip
    common += ["--compile"] * compiled
    if ranks > 1:
        cmd = [
            python,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={ranks}",
            __file__,
            *common,
        ]
        env = {**os.environ, "OMP_NUM_THREADS": str(max(1, args.threads // ranks))}
    else:
        cmd, env = [python, __file__, *common], {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{side} {arch} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", choices=sorted(SIDES))
    p.add_argument("--arch", choices=sorted(ARCHS), default="cnn")
    p.add_argument("--archs", nargs="+", default=["vit", "cnn"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--image", type=int, default=64)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--amp", default="none", choices=("none", "bf16"))
    p.add_argument("--compile", action="store_true", help="(one measurement) torch.compile our training step")
    p.add_argument("--swm-python", default="/work/swm-venv/bin/python")
    p.add_argument("--out", default="benchmarks/results/train_speed.json")
    args = p.parse_args()
    if args.side:  # one measurement, in this process
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", args.threads)))
        result = SIDES[args.side](args)
        if result:
            print(json.dumps(result))
        return

    rows = []
    for arch in args.archs:
        cells: dict[str, list[dict]] = {}
        plan = [
            ("worldjepa", sys.executable, "ours", 1, "none", False),
            ("stable-worldmodel", args.swm_python, "swm", 1, "none", False),
            ("worldjepa bf16", sys.executable, "ours", 1, "bf16", False),
            ("stable-worldmodel bf16", args.swm_python, "swm", 1, "bf16", False),
            ("worldjepa bf16 compile", sys.executable, "ours", 1, "bf16", True),
        ]
        if arch == "cnn":
            plan += [("worldjepa 2 gloo ranks", sys.executable, "ours", 2, "none", False)]
        for r in range(args.rounds):
            for name, python, side, ranks, amp, compiled in plan:
                res = measure(python, side, arch, args, ranks, amp, compiled)
                cells.setdefault(name, []).append(res)
                print(f"[{arch} round {r + 1}/{args.rounds}] {name}: {res['steps_per_s']:.3f} steps/s, "
                      f"{res['peak_mb']:.0f} MB", flush=True)  # fmt: skip

        def median(name: str, cells: dict = cells) -> float:
            return statistics.median(c["steps_per_s"] for c in cells[name])

        # Each worldjepa line against swm at the same precision; "vs swm fp32" against its default.
        for name, results in cells.items():
            sps = median(name)
            same = "stable-worldmodel bf16" if "bf16" in name else "stable-worldmodel"
            rows.append({"arch": arch, "side": name, "params_M": results[0]["params"] / 1e6, "steps_per_s": sps,
                         "peak_mb": statistics.median(c["peak_mb"] for c in results), "vs_swm": sps / median(same),
                         "vs_swm_fp32": sps / median("stable-worldmodel"),
                         "vs_1_process": sps / median("worldjepa")})  # fmt: skip
    header = (f"{'arch':5} {'side':24} {'params':>8} {'steps/s':>8} {'peak MB':>8} {'vs swm':>7} {'vs swm fp32':>11} "
              f"{'vs 1 proc':>9}")  # fmt: skip
    print(f"\nbatch {args.batch} windows x {T} frames at {args.image} px, float32 unless noted, "
          f"{args.threads} threads, median of {args.rounds}\n{header}\n{'-' * len(header)}")  # fmt: skip
    for r in rows:
        print(f"{r['arch']:5} {r['side']:24} {r['params_M']:7.2f}M {r['steps_per_s']:8.3f} {r['peak_mb']:8.0f} "
              f"{r['vs_swm']:6.2f}x {r['vs_swm_fp32']:10.2f}x {r['vs_1_process']:8.2f}x")  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
