"""FactorSpace / Factor: validation, sampling per split, override resolution."""

import json

import numpy as np
import pytest

from worldjepa.envs.factors import Factor, FactorSpace
from worldjepa.envs.tworoom_layout import TWOROOM_FACTORS
from worldjepa.errors import EnvError


def _space() -> FactorSpace:
    return FactorSpace(
        [
            Factor("mass", "physical", 1.0, train=(0.5, 1.5), ood=(2.0, 3.0), limits=(0.01, 10.0)),
            Factor(
                "rgb",
                "visual",
                (1.0, 0.0, 0.0),
                train=((0.8, 0, 0), (1, 0.2, 0.2)),
                ood=((0, 0, 0.8), (0.2, 0.2, 1)),
            ),
        ]
    )


def test_rejects_overlapping_train_and_ood():
    with pytest.raises(EnvError, match="overlap"):
        Factor("m", "physical", 1.0, train=(0.5, 1.5), ood=(1.4, 3.0))
    # Vectors overlapping in every component overlap as boxes.
    with pytest.raises(EnvError, match="overlap"):
        Factor("c", "visual", (0.5, 0.5), train=((0, 0), (1, 1)), ood=((0.2, 0.9), (0.3, 1.0)))
    # ...but one separated component suffices.
    Factor("c", "visual", (0.5, 0.5), train=((0, 0), (0.6, 1)), ood=((0.7, 0.2), (0.9, 0.3)))


def test_rejects_default_outside_train_bad_kind_and_lengths():
    with pytest.raises(EnvError, match="outside train"):
        Factor("m", "physical", 2.0, train=(0.5, 1.5), ood=(3.0, 4.0))
    with pytest.raises(EnvError, match="kind"):
        Factor("m", "magic", 1.0, train=(0.5, 1.5), ood=(3.0, 4.0))
    with pytest.raises(EnvError, match="length 2"):
        Factor("c", "visual", (0.5, 0.5), train=((0, 0, 0), (1, 1, 1)), ood=((2, 2), (3, 3)))


@pytest.mark.parametrize("split", ["default", "train", "ood"])
def test_sample_stays_in_split_and_is_plain(split):
    space = _space()
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = space.sample(rng, split)
        assert set(values) == {"mass", "rgb"}
        assert type(values["mass"]) is float and type(values["rgb"]) is tuple
        assert all(type(v) is float for v in values["rgb"])
        for f in space:
            assert f.contains(values[f.name], split)
    json.dumps(values)


def test_resolve_overrides_and_errors():
    space = _space()
    rng = np.random.default_rng(0)
    assert space.resolve(None, rng) == {"mass": 1.0, "rgb": (1.0, 0.0, 0.0)}
    out = space.resolve({"mass": 5, "rgb": np.array([0.1, 0.2, 0.3])}, rng, split="ood")
    assert out == {"mass": 5.0, "rgb": (0.1, 0.2, 0.3)}
    assert space["mass"].contains(space.resolve("ood", rng)["mass"], "ood")
    with pytest.raises(EnvError, match=r"unknown factor 'colour'; available: mass, rgb"):
        space.resolve({"colour": 1.0}, rng)
    with pytest.raises(EnvError, match="'rgb' expects a sequence of 3"):
        space.resolve({"rgb": (1.0, 0.0)}, rng)
    with pytest.raises(EnvError, match="'mass' expects a float"):
        space.resolve({"mass": "heavy"}, rng)
    with pytest.raises(EnvError, match="outside its valid limits"):
        space.resolve({"mass": -1.0}, rng)
    with pytest.raises(EnvError, match="unknown factor split"):
        space.resolve("test", rng)
    with pytest.raises(EnvError, match=r"factors must be a .* got list \[1.0, 2.0\] \(factors: mass, rgb\)"):
        space.resolve([1.0, 2.0], rng)


def test_resolve_stream_does_not_depend_on_overrides():
    a = _space().resolve({"mass": 2.0}, np.random.default_rng(3), split="train")
    b = _space().resolve(None, np.random.default_rng(3), split="train")
    assert a["rgb"] == b["rgb"]


def test_tworoom_factor_table():
    rows = TWOROOM_FACTORS.describe()
    names = [r["name"] for r in rows]
    for name in (
        "agent_color",
        "floor_color",
        "wall_color",
        "door_position",
        "door_width",
        "agent_mass",
        "damping",
    ):
        assert name in names
    assert {r["kind"] for r in rows} == {"visual", "geometric", "physical"}
    assert set(rows[0]) == {"name", "kind", "default", "train", "ood", "description"}
    json.dumps(rows)


@pytest.mark.parametrize("base", ["", "train+"])
@pytest.mark.parametrize("kind", ["visual", "geometric", "physical"])
def test_group_shift_moves_only_that_kind_to_ood(base, kind):
    from worldjepa.envs import ENV_IDS, env_factor_space

    for env_id in ENV_IDS:
        space = env_factor_space(env_id)
        values = space.sample(np.random.default_rng(1), f"{base}ood-{kind}")
        for f in space:
            want = "ood" if f.kind == kind else (base.rstrip("+") or "default")
            assert f.contains(values[f.name], want), (env_id, f.name, want)
            if want == "default":
                assert values[f.name] == f.default


def test_unknown_group_shift_is_named():
    from worldjepa.envs import env_factor_space
    from worldjepa.errors import EnvError

    space = env_factor_space("worldjepa/TwoRoom-v0")
    with pytest.raises(EnvError, match="'weird' is not one of default, train, ood"):
        space.sample(np.random.default_rng(0), "weird+ood-visual")
    with pytest.raises(
        EnvError, match=r"or a group shift \[<split>\+\]ood-visual\|ood-geometric\|ood-physical"
    ):
        space.sample(np.random.default_rng(0), "ood-colour")
