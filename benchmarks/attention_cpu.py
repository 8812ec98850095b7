"""Attention on the CPU: PyTorch's fused SDPA kernels against the plain matmuls ``attend`` uses
in bf16, forward + backward, at the shapes worldjepa trains (ViT-tiny frames, predictor windows),
and the raw matmul throughput behind them (bf16 runs on AMX where the CPU has it).

    python benchmarks/attention_cpu.py [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from worldjepa.models.layers import attend

SHAPES = {"ViT-tiny (128 frames, 3 heads, 65 tokens)": ((128, 3, 65, 64), False),
          "predictor (32 windows, 16 heads, 3 tokens)": ((32, 16, 3, 12), True)}  # fmt: skip


def ms_per_call(fn, shape, dtype, causal, n=10) -> float:
    q, k, v = (torch.randn(*shape, dtype=dtype, requires_grad=True) for _ in range(3))
    for _ in range(2):
        fn(q, k, v, causal).sum().backward()
    t0 = time.perf_counter()
    for _ in range(n):
        fn(q, k, v, causal).sum().backward()
    return (time.perf_counter() - t0) / n * 1000


def fused(q, k, v, causal):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def ours(q, k, v, causal):
    return attend(q, k, v, causal=causal)


def gflops(dtype) -> float:
    a, w = torch.randn(8320, 192, dtype=dtype), torch.randn(768, 192, dtype=dtype)
    for _ in range(3):
        F.linear(a, w)
    t0 = time.perf_counter()
    for _ in range(20):
        F.linear(a, w)
    return 2 * 8320 * 192 * 768 * 20 / (time.perf_counter() - t0) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    torch.set_num_threads(p.parse_args().threads)
    print(f"linear 8320x192 @ 192x768: float32 {gflops(torch.float32):.0f} GFLOP/s, "
          f"bf16 {gflops(torch.bfloat16):.0f} GFLOP/s")  # fmt: skip
    print(
        f"\n{'shape':44} {'dtype':9} {'fused SDPA':>11} {'attend':>8} {'speed-up':>9}   (ms, forward + backward)"
    )
    for name, (shape, causal) in SHAPES.items():
        for dtype in (torch.float32, torch.bfloat16):
            a, b = ms_per_call(fused, shape, dtype, causal), ms_per_call(ours, shape, dtype, causal)
            print(f"{name:44} {str(dtype)[6:]:9} {a:11.2f} {b:8.2f} {a / b:8.1f}x")


if __name__ == "__main__":
    main()
