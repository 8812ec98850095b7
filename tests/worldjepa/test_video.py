"""worldjepa.video: mp4s at any frame size (H.264 yuv420p needs even sizes: odd ones are padded)."""

import av
import imageio.v3 as iio
import numpy as np
import pytest

from worldjepa.video import pad_to_even, write_video


@pytest.mark.parametrize("hw", [(257, 933), (17, 31), (16, 31), (64, 64)])
def test_mp4_at_any_frame_size_reads_back_padded_to_even(tmp_path, hw):
    h, w = hw
    rng = np.random.default_rng(0)
    frames = [np.full((h, w, 3), 10 * t, np.uint8) for t in range(7)]
    frames[3] = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    path = write_video(tmp_path / "v.mp4", iter(frames), fps=5)
    back = iio.imread(path, plugin="pyav")
    assert back.shape == (7, h + h % 2, w + w % 2, 3)
    assert np.abs(back[5, :h, :w].astype(int) - 50).max() <= 3  # a flat frame stays flat, padding too
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_gif_keeps_odd_sizes_exactly(tmp_path):
    frames = [np.full((17, 31, 3), 40 * t, np.uint8) for t in range(3)]
    back = iio.imread(write_video(tmp_path / "v.gif", frames, fps=5), index=None)
    assert back.shape[:3] == (3, 17, 31)


def test_pad_to_even_repeats_the_last_row_and_column():
    f = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)
    p = pad_to_even(f)
    assert p.shape == (4, 6, 3) and np.array_equal(p[:3, :5], f)
    assert np.array_equal(p[3, :5], f[2]) and np.array_equal(p[:3, 5], f[:, 4])
    even = np.zeros((4, 6, 3), np.uint8)
    assert pad_to_even(even) is even
