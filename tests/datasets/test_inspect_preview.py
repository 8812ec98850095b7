"""`worldjepa data inspect | preview`: a summary that matches the data, a grid video of episodes."""

import json

import imageio.v2 as imageio
import numpy as np
from datasets_synth import HW, writer_kwargs

from worldjepa.cli import main
from worldjepa.datasets import open_dataset
from worldjepa.datasets.inspect import format_summary, summarise
from worldjepa.datasets.preview import grid_frames


def test_summary_matches_the_dataset(toy_root):
    s = summarise(open_dataset(toy_root))
    assert s["episodes"] == 4 and s["steps"] == 12 + 7 + 20 + 3
    assert s["length"] == {"min": 3, "mean": 10.5, "max": 20}
    assert s["factors"]["mass"] == "0 .. 3" and s["factors"]["i"] == "0 .. 3"
    assert {"pixels", "action", "episode_idx"} <= set(s["columns"])
    assert s["disk_bytes"]["steps.lance"] > 0
    text = format_summary(s)
    assert "episodes     4" in text and "on disk" in text


def test_inspect_command_prints_json_and_names_bad_input(toy_root, tmp_path, capsys):
    assert main(["data", "inspect", str(toy_root), "json=true"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 42
    assert main(["data", "inspect", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["data", "explode", str(toy_root)]) == 2
    assert (
        "subcommand=explode: must be one of: inspect, preview, merge, split, compact, import, export, convert"
        in capsys.readouterr().err
    )


def test_grid_holds_finished_episodes_on_their_last_frame():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    b = np.full((5, 4, 4, 3), 200, np.uint8)
    b[4] = 100
    frames = grid_frames([a, b, a], cols=2, scale=1, gap=2)
    assert len(frames) == 5 and frames[0].shape == (10, 10, 3)
    assert (frames[4][:4, 6:] == 100).all() and (frames[4][:4, :4] == 0).all()
    assert (frames[4][6:, 6:] == 255).all()  # the empty fourth cell stays blank


def test_preview_command_writes_a_video(toy_root, tmp_path):
    out = tmp_path / "grid.gif"
    assert main(["data", "preview", str(toy_root), f"out={out}", "episodes=4", "scale=1"]) == 0
    frames = imageio.mimread(out)
    assert len(frames) == 20  # as long as the longest episode
    assert frames[0].shape[:2] == (2 * HW + 2, 2 * HW + 2)  # a 2 x 2 grid with a 2 px gap


def test_preview_mp4_of_odd_sized_frames(tmp_path):
    from worldjepa.datasets import DatasetWriter

    root = tmp_path / "odd"
    with DatasetWriter(root, **writer_kwargs(image_size=(15, 9))) as w:
        w.add_episode(np.zeros((4, 15, 9, 3), np.uint8), np.zeros((4, 2)), np.zeros((4, 3)), np.zeros((4, 2)),
                      np.zeros(4, bool), seed=0, factors={})  # fmt: skip
    out = tmp_path / "grid.mp4"
    assert main(["data", "preview", str(root), f"out={out}", "episodes=1", "scale=1"]) == 0
    assert imageio.mimread(out)[0].shape[:2] == (16, 10)  # padded to even for H.264 yuv420p
