"""Reading a dataset while another process appends to it: every visible episode is whole."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from datasets_synth import episode_arrays, write_synthetic

from worldjepa.datasets import open_dataset

APPENDS = 12


def test_reading_while_another_process_appends(tmp_path):
    root = tmp_path / "live"
    write_synthetic(root, [5, 6])
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from datasets_synth import write_synthetic\n"
        f"for i in range({APPENDS}):\n"
        f"    write_synthetic({str(root)!r}, [4 + i % 5], mode='append')\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code])
    seen = []
    try:
        while writer.poll() is None or not seen:
            ds = open_dataset(root)
            for e, length in zip(ds.episode_ids, ds.episode_lengths, strict=True):
                got = ds.read_episode(int(e), columns=["pixels", "action"])
                want = episode_arrays(int(e), int(length))
                assert np.array_equal(got["pixels"], want["pixels"]) and np.array_equal(
                    got["action"], want["action"]
                )
            seen.append(ds.num_episodes)
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert len(set(seen)) >= 3  # the reads really overlapped the appends
    assert seen == sorted(seen)  # episodes only ever appear, whole
    assert open_dataset(root).num_episodes == 2 + APPENDS
