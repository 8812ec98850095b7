"""The factor gallery: one tile per factor, visual factors visibly change the scene."""

import numpy as np

from worldjepa.cli import main
from worldjepa.envs import env_factor_space
from worldjepa.envs.gallery import factor_strip, ood_middle


def test_strip_has_a_tile_per_factor_and_visual_ones_differ():
    env_id = "worldjepa/Reacher-v0"
    space = env_factor_space(env_id)
    tiles = factor_strip(env_id, image_size=32)
    assert [label.split("\n")[0] for label, _ in tiles] == ["default", *space.names]
    default = tiles[0][1].astype(int)
    for factor, (_, frame) in zip(space, tiles[1:], strict=True):
        assert factor.contains(ood_middle(factor), "ood")
        if factor.kind == "visual":
            assert (np.abs(frame.astype(int) - default).max(-1) > 20).sum() >= 5, factor.name


def test_gallery_command_writes_pngs_and_names_bad_envs(tmp_path, capsys):
    assert main(["gallery", "env=worldjepa/TwoRoom-v0", "image_size=32", f"out={tmp_path}"]) == 0
    png = tmp_path / "tworoom.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["gallery", "env=Nope-v0", f"out={tmp_path}"]) == 2
    assert "env=Nope-v0: the gallery renders the built-in envs" in capsys.readouterr().err
