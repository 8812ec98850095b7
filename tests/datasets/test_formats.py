"""Import/export: exact round trips through every format, imports of files other tools made,
and a named error for each kind of malformed input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasets_synth import HW, A, writer_kwargs

from worldjepa.cli import main
from worldjepa.datasets import DatasetWriter, open_dataset
from worldjepa.datasets.formats import convert, detect_format, open_source
from worldjepa.datasets.formats.videofile import read_mp4, write_mp4
from worldjepa.errors import ConfigError, DatasetError

FORMATS = {"mp4": "vids", "hdf5": "data.h5", "swm-lance": "swm", "lerobot": "lerobot", "worldjepa": "copy"}


@pytest.fixture
def textured_root(tmp_path):
    """3 episodes of random-noise frames (no codec compresses these exactly by accident)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "textured"
    with DatasetWriter(root, **writer_kwargs()) as w:
        for e, n in enumerate((9, 4, 13)):
            w.add_episode(
                rng.integers(0, 256, (n, HW, HW, 3), dtype=np.uint8), rng.normal(size=(n, A)),
                rng.normal(size=(n, 3)), rng.normal(size=(n, 2)), rng.random(n) < 0.3,
                seed=100 + e, factors={"mass": 0.5 * e, "colour": [e, 1, 2]},
            )  # fmt: skip
    return root


def episodes_of(path, fmt="auto"):
    return list(open_source(path, fmt).episodes())


@pytest.mark.parametrize("fmt", FORMATS)
def test_lossless_round_trip_is_exact(textured_root, tmp_path, fmt):
    exported = convert(textured_root, tmp_path / FORMATS[fmt], dst_format=fmt, progress=False)
    assert detect_format(exported if fmt != "swm-lance" else exported.parent) == fmt
    back = convert(exported, tmp_path / "back", progress=False)
    want, got = episodes_of(textured_root), episodes_of(back)
    assert len(got) == len(want) == 3
    for a, b in zip(want, got, strict=True):
        assert np.array_equal(a.pixels, b.pixels)
        for k in ("action", "proprio", "state"):
            np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=0, atol=1e-6)
        assert np.array_equal(a.is_success, b.is_success)
        assert (a.seed, a.factors) == (b.seed, b.factors)
    src, dst = open_dataset(textured_root).meta, open_dataset(back).meta
    for key in ("env_id", "image_size", "action_low", "action_high", "state_names", "fps", "proprio_dim"):
        assert src[key] == dst[key], key
    assert not dst["extra"].get("decoded_from_lossy")


@pytest.mark.parametrize("fmt", ["mp4", "lerobot", "swm-lance"])
def test_lossy_export_is_explicit_close_and_flagged(toy_root, tmp_path, fmt):
    exported = convert(toy_root, tmp_path / "out", dst_format=fmt, lossy=True, progress=False)
    back = convert(exported, tmp_path / "back", progress=False)
    for a, b in zip(episodes_of(toy_root), episodes_of(back), strict=True):
        assert a.pixels.shape == b.pixels.shape
        assert np.abs(a.pixels.astype(int) - b.pixels).mean() < 4  # close, not necessarily exact
    assert open_dataset(back).meta["extra"]["decoded_from_lossy"] is True


@pytest.mark.parametrize("fmt", ["mp4", "lerobot"])
def test_lossy_video_export_of_odd_sized_frames_pads_and_crops_back(tmp_path, fmt):
    rng = np.random.default_rng(3)
    root = tmp_path / "odd"
    with DatasetWriter(root, **writer_kwargs(image_size=(15, 9))) as w:
        for n in (5, 3):
            w.add_episode(np.full((n, 15, 9, 3), 120, np.uint8), rng.normal(size=(n, A)),
                          rng.normal(size=(n, 3)), rng.normal(size=(n, 2)), np.zeros(n, bool), seed=n, factors={})  # fmt: skip
    exported = convert(root, tmp_path / "out", dst_format=fmt, lossy=True, progress=False)
    video = next(exported.rglob("*.mp4"))
    assert read_mp4(video).shape[1:3] == (16, 10)  # yuv420p holds even sizes only
    back = open_dataset(convert(exported, tmp_path / "back", progress=False))
    assert back.image_size == (15, 9) and back.meta["env_id"] == "Toy-v0"
    assert np.abs(back.read_episode(1)["pixels"].astype(int) - 120).max() <= 3


def test_lossy_on_a_lossless_only_format_is_refused(toy_root, tmp_path):
    with pytest.raises(ConfigError, match="hdf5 is always lossless"):
        convert(toy_root, tmp_path / "x.h5", dst_format="hdf5", lossy=True, progress=False)


# ---------------------------------------------------------------- files other tools made
def test_import_mp4_folder_with_npy_actions(tmp_path):
    rng = np.random.default_rng(1)
    folder = tmp_path / "demos"
    frames = [rng.integers(0, 256, (n, 8, 12, 3), dtype=np.uint8) for n in (5, 7)]
    actions = [rng.uniform(-2, 3, (len(f), 2)).astype(np.float32) for f in frames]
    for i, (f, a) in enumerate(zip(frames, actions, strict=True)):
        write_mp4(folder / f"run_{i}.mp4", f, fps=15)
        np.save(folder / f"run_{i}.npy", a)
    ds = open_dataset(convert(folder, tmp_path / "imported", progress=False))
    assert ds.num_episodes == 2 and ds.image_size == (8, 12) and ds.meta["fps"] == 15
    assert ds.proprio_dim == 0 and ds.state_names == []
    np.testing.assert_allclose(ds.meta["action_low"], np.concatenate(actions).min(0), rtol=1e-6)
    for e, (f, a) in enumerate(zip(frames, actions, strict=True)):
        ep = ds.read_episode(e)
        assert np.array_equal(ep["pixels"], f) and np.array_equal(ep["action"], a)
        assert ep["proprio"].shape == (len(f), 0)


def test_import_swm_style_hdf5(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(2)
    lengths = [6, 3, 8]
    n = sum(lengths)
    pixels = rng.integers(0, 256, (n, HW, HW, 3), dtype=np.uint8)
    with h5py.File(tmp_path / "swm.h5", "w") as f:
        f["pixels"], f["action"] = pixels, rng.normal(size=(n, 2))
        f["proprio"], f["reward"] = rng.normal(size=(n, 4)), np.zeros(n)  # reward: not ours, ignored
        f["ep_len"], f["ep_offset"] = np.array(lengths, np.int32), np.array([0, 6, 9], np.int64)
    ds = open_dataset(convert(tmp_path / "swm.h5", tmp_path / "imported", progress=False))
    assert ds.episode_lengths.tolist() == lengths and ds.proprio_dim == 4
    assert np.array_equal(ds.read_episode(2)["pixels"], pixels[9:])


def _swm_table(path, frames_per_episode, blob=None, episode_order=None, extra=None, metadata=None):
    """A table shaped like stable-worldmodel's World.collect output (JPEG q95 pixels);
    ``extra``: {name: (N, D) float array} more columns; ``metadata``: schema metadata."""
    import imageio.v3 as iio
    import lance
    import pyarrow as pa

    rows = {"episode_idx": [], "step_idx": [], "pixels": [], "action": []}
    for e, frames in zip(episode_order or range(len(frames_per_episode)), frames_per_episode, strict=True):
        for t, f in enumerate(frames):
            rows["episode_idx"].append(e)
            rows["step_idx"].append(t)
            rows["pixels"].append(
                blob if blob is not None else iio.imwrite("<bytes>", f, extension=".jpg", quality=95)
            )
            rows["action"].append([float(e), float(t)])
    table = pa.table({
        "episode_idx": pa.array(rows["episode_idx"], pa.int32()), "step_idx": pa.array(rows["step_idx"], pa.int32()),
        "pixels": pa.array(rows["pixels"], pa.binary()), "action": pa.array(rows["action"], pa.list_(pa.float32(), 2)),
    })  # fmt: skip
    for name, x in (extra or {}).items():
        x = np.asarray(x, np.float32)
        column = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), x.shape[1])
        table = table.append_column(name, column)
    if metadata:
        table = table.replace_schema_metadata(metadata)
    lance.write_dataset(table, str(path))
    return path


def test_import_swm_lance_jpeg(tmp_path):
    frames = [np.full((n, 16, 16, 3), 40 * (e + 1), np.uint8) for e, n in enumerate((4, 6))]
    _swm_table(tmp_path / "swm" / "data.lance", frames)
    src = open_source(tmp_path / "swm")
    assert src.lossy and src.num_episodes == 2 and src.info.image_size == (16, 16)
    ds = open_dataset(convert(tmp_path / "swm", tmp_path / "imported", progress=False))
    assert ds.episode_lengths.tolist() == [4, 6]
    ep = ds.read_episode(1)
    assert np.abs(ep["pixels"].astype(int) - 80).max() <= 2  # JPEG of a flat colour: near exact
    assert ep["action"][:, 1].tolist() == list(range(6))


SWM_FRAMES = [np.full((n, 16, 16, 3), 40 * (e + 1), np.uint8) for e, n in enumerate((4, 6))]
ENV = "worldjepa/TwoRoom-v0"  # 2-dim actions in [-1, 1], 20 steps a second


def test_import_swm_observation_becomes_proprio_and_dropped_columns_warn_once(tmp_path, caplog):
    obs = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    extra = {"observation": obs, "reward": np.zeros((10, 1)), "terminated": np.zeros((10, 1))}
    _swm_table(tmp_path / "swm" / "data.lance", SWM_FRAMES, extra=extra)
    with caplog.at_level("WARNING", logger="worldjepa.datasets.formats"):
        ds = open_dataset(convert(tmp_path / "swm", tmp_path / "imported", progress=False))
    assert ds.proprio_dim == 3
    np.testing.assert_array_equal(ds.read_episode(1)["proprio"], obs[4:])
    messages = [r.getMessage() for r in caplog.records]
    for col in ("reward", "terminated"):
        assert sum(f"dropping column '{col}'" in m for m in messages) == 1, messages
    assert not any("'observation'" in m for m in messages)
    assert any("no action bounds" in m and "env=<id>" in m for m in messages)  # the fallbacks say
    assert any("no frame rate" in m and "fps=<hz>" in m for m in messages)  # which option sets them
    assert ds.meta["fps"] == 10 and ds.meta["extra"]["action_bounds"] == "min/max of the imported actions"
    # with a proprio column, observation is one more dropped column
    extra = {"proprio": obs[:, :2], "observation": obs}
    _swm_table(tmp_path / "swm2" / "data.lance", SWM_FRAMES, extra=extra)
    caplog.clear()
    with caplog.at_level("WARNING", logger="worldjepa.datasets.formats"):
        assert open_source(tmp_path / "swm2").info.proprio_dim == 2
    assert sum("dropping column 'observation'" in r.getMessage() for r in caplog.records) == 1


def test_import_swm_takes_fps_and_action_bounds_from_metadata_then_the_env(tmp_path, caplog):
    meta = {"fps": "15", "action_low": "[-2, -3]", "action_high": "[2, 3]"}
    _swm_table(tmp_path / "a" / "data.lance", SWM_FRAMES, metadata=meta)
    with caplog.at_level("WARNING", logger="worldjepa.datasets.formats"):
        info = open_source(tmp_path / "a").info
    assert info.fps == 15 and info.action_low == [-2, -3] and info.action_high == [2, 3]
    assert not caplog.records
    _swm_table(tmp_path / "b" / "data.lance", SWM_FRAMES)
    with caplog.at_level("WARNING", logger="worldjepa.datasets.formats"):
        ds = open_dataset(convert(tmp_path / "b", tmp_path / "imported", env=ENV, progress=False))
    assert not caplog.records
    m = ds.meta
    assert (m["env_id"], m["fps"], m["action_low"], m["action_high"]) == (ENV, 20, [-1, -1], [1, 1])
    assert m["extra"]["action_bounds"] == f"the action space of {ENV}"
    assert open_source(tmp_path / "b", fps=12, env=ENV).info.fps == 12  # fps= wins over the env
    with pytest.raises(DatasetError, match="Cube-v0 takes 4-dim actions but the data's are 2-dim"):
        open_source(tmp_path / "b", env="worldjepa/Cube-v0")
    one_dim = {"action_low": "[-1]", "action_high": "[1]"}
    _swm_table(tmp_path / "c" / "data.lance", SWM_FRAMES, metadata=one_dim)
    with pytest.raises(DatasetError, match="does not match the 2-dim actions"):
        open_source(tmp_path / "c")


@pytest.mark.parametrize("fmt", FORMATS)
def test_env_option_attaches_an_env_id_on_import_from_every_format(textured_root, tmp_path, fmt):
    exported = convert(textured_root, tmp_path / FORMATS[fmt], dst_format=fmt, progress=False)
    ds = open_dataset(convert(exported, tmp_path / "back", env=ENV, progress=False))
    assert ds.meta["env_id"] == ENV
    src = open_dataset(textured_root).meta  # what the export recorded is kept
    assert (ds.meta["action_low"], ds.meta["fps"]) == (src["action_low"], src["fps"])


def test_cli_import_with_env(tmp_path):
    _swm_table(tmp_path / "swm" / "data.lance", SWM_FRAMES)
    assert main(["data", "import", str(tmp_path / "swm"), str(tmp_path / "d"), f"env={ENV}"]) == 0
    assert open_dataset(tmp_path / "d").meta["env_id"] == ENV


def test_import_lerobot_without_worldjepa_metadata(textured_root, tmp_path):
    out = convert(textured_root, tmp_path / "lr", dst_format="lerobot", progress=False)
    (out / "worldjepa_meta.json").unlink()  # as if LeRobot's own tools had written it
    info = json.loads((out / "meta" / "info.json").read_text())
    assert (
        info["codebase_version"] == "v3.0" and info["features"]["observation.images.main"]["dtype"] == "video"
    )
    ds = open_dataset(convert(out, tmp_path / "back", progress=False))
    assert ds.num_episodes == 3 and ds.meta["env_id"] == "imported" and ds.proprio_dim == 3
    assert np.array_equal(ds.read_episode(2)["pixels"], open_dataset(textured_root).read_episode(2)["pixels"])
    assert [e["seed"] for e in ds.episodes] == [-1, -1, -1]


# ---------------------------------------------------------------- malformed inputs, named errors
def test_mp4_folder_errors(tmp_path):
    folder = tmp_path / "v"
    folder.mkdir()
    with pytest.raises(DatasetError, match="holds no .mp4 files"):
        open_source(folder, "mp4")
    write_mp4(folder / "a.mp4", np.zeros((5, 8, 8, 3), np.uint8), fps=10)
    with pytest.raises(DatasetError, match=r"a.mp4 has no actions: put them in a.npz"):
        open_source(folder, "mp4")
    np.savez(folder / "a.npz", actions=np.zeros((5, 2)))
    with pytest.raises(DatasetError, match="has no 'action' array \\(found: actions\\)"):
        open_source(folder, "mp4")
    np.save(folder / "a.npy", np.zeros((4, 2)))
    (folder / "a.npz").unlink()
    with pytest.raises(DatasetError, match="a.mp4 has 5 frames but its actions have 4 rows"):
        list(open_source(folder, "mp4").episodes())
    (folder / "a.mp4").write_bytes(b"not a video at all")
    with pytest.raises(DatasetError, match="not a readable video"):
        open_source(folder, "mp4")


def test_hdf5_errors(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f["pixels"], f["action"] = np.zeros((4, 8, 8, 3), np.uint8), np.zeros((4, 2))
    with pytest.raises(DatasetError, match="lacks ep_len, ep_offset"):
        open_source(path)
    with h5py.File(path, "a") as f:
        f["ep_len"], f["ep_offset"] = np.array([3, 3]), np.array([0, 3])
    with pytest.raises(DatasetError, match="points past the 4 rows"):
        open_source(path)
    with h5py.File(path, "w") as f:
        f["pixels"], f["action"] = np.zeros((4, 8, 8, 3), np.float32), np.zeros((4, 2))
        f["ep_len"], f["ep_offset"] = np.array([4]), np.array([0])
    with pytest.raises(DatasetError, match="must be uint8 RGB frames"):
        list(open_source(path).episodes())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatasetError, match="not a readable HDF5 file"):
        open_source(path)


def test_swm_lance_errors(tmp_path):
    import lance
    import pyarrow as pa

    frames = [np.zeros((3, 8, 8, 3), np.uint8)] * 2
    with pytest.raises(DatasetError, match="not episode-contiguous"):
        open_source(
            _swm_table(tmp_path / "a" / "data.lance", frames, episode_order=[1, 0]).parent, "swm-lance"
        )
    with pytest.raises(DatasetError, match="pixels hold bytes that are not an image"):
        list(
            open_source(
                _swm_table(tmp_path / "b" / "t.lance", frames, blob=b"junk").parent, "swm-lance"
            ).episodes()
        )
    lance.write_dataset(
        pa.table({"episode_idx": [0], "step_idx": [0], "pixels": [b"x"]}), str(tmp_path / "c" / "t.lance")
    )
    with pytest.raises(DatasetError, match=r"lacks column\(s\) action"):
        open_source(tmp_path / "c", "swm-lance")
    lance.write_dataset(pa.table({"x": [0]}), str(tmp_path / "c" / "u.lance"))
    with pytest.raises(DatasetError, match="exactly one \\(found 2: t.lance, u.lance\\)"):
        open_source(tmp_path / "c", "swm-lance")


def test_lerobot_errors(toy_root, tmp_path):
    out = convert(toy_root, tmp_path / "lr", dst_format="lerobot", progress=False)
    info_path = out / "meta" / "info.json"
    info = json.loads(info_path.read_text())
    info_path.write_text(json.dumps({**info, "codebase_version": "v2.1"}))
    with pytest.raises(DatasetError, match="LeRobot v2.1 dataset; only v3.0 is read"):
        open_source(out)
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match="no camera 'cam9'"):
        open_source(out, camera="cam9")
    data = next((out / "data").rglob("*.parquet"))
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(DatasetError, match="cannot be read .* is one truncated"):
        open_source(out)


def test_format_level_errors(toy_root, tmp_path):
    with pytest.raises(ConfigError, match="unknown dataset format 'parquet'"):
        convert(toy_root, tmp_path / "x", dst_format="parquet")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DatasetError, match="cannot tell the format of .*notes.txt"):
        open_source(tmp_path / "notes.txt")
    with pytest.raises(ConfigError, match="takes no option\\(s\\) \\['camera'\\]"):
        open_source(toy_root, camera="top")


def test_cli_export_then_import(toy_root, tmp_path, capsys):
    h5 = tmp_path / "toy.h5"
    assert main(["data", "export", str(toy_root), str(h5), "to=hdf5"]) == 0
    assert main(["data", "import", str(h5), str(tmp_path / "back")]) == 0
    assert open_dataset(tmp_path / "back").num_steps == 42
    assert main(["data", "export", str(toy_root), str(tmp_path / "y.h5"), "to=hdf5", "lossy=true"]) == 2
    assert "always lossless" in capsys.readouterr().err
    assert main(["data", "import", str(h5)]) == 2
    assert "takes <src> <dst>" in capsys.readouterr().err


def test_swm_lance_pixels_must_be_encoded_images(tmp_path):
    import lance
    import pyarrow as pa

    table = pa.table({"episode_idx": pa.array([0], pa.int32()), "step_idx": pa.array([0], pa.int32()),
                      "pixels": pa.array([1.0]), "action": pa.array([[0.0, 0.0]], pa.list_(pa.float32(), 2))})  # fmt: skip
    lance.write_dataset(table, str(tmp_path / "t.lance"))
    with pytest.raises(DatasetError, match="pixels must be encoded images \\(binary\\); got double"):
        open_source(tmp_path, "swm-lance")


def test_lerobot_ragged_action_rows_are_named(toy_root, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = convert(toy_root, tmp_path / "lr", dst_format="lerobot", progress=False)
    data = next((out / "data").rglob("*.parquet"))
    table = pq.read_table(data)
    ragged = [[1.0, 2.0]] * (table.num_rows - 1) + [[1.0]]
    pq.write_table(table.set_column(table.schema.get_field_index("action"), "action", pa.array(ragged)), data)
    with pytest.raises(DatasetError, match="action rows have different lengths \\[1, 2\\]"):
        open_source(out)
