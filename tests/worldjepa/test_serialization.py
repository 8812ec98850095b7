"""Trees of data with tensor leaves round-trip through safetensors + JSON exactly, and run no code."""

import json
import random

import numpy as np
import pytest
import torch

from worldjepa.errors import CheckpointError
from worldjepa.serialization import load_tree, save_tree, tree_files


def round_trip(tree, tmp_path):
    save_tree(tree, tmp_path, "state")
    return load_tree(tmp_path, "state")


def assert_same(a, b):
    """Equal values *and* types: tuples stay tuples, int keys stay ints, dtypes and shapes kept."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b  # nan
    else:
        assert a == b


def test_every_kind_of_leaf_and_key_round_trips(tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    tree = {
        "scalars": [None, True, False, 0, -7, 2**200, 1.5, float("inf"), float("-inf"), float("nan"), "s"],
        "tuple": (1, (2.0, "three"), []),
        "int_keys": {0: "a", 17: {"b": 1}},
        "odd_keys": {None: 1, 2.5: 2, True: 3, "$tensor": 4, "plain": 5},
        "tensors": {
            "f32": x,
            "view": x[1],  # shares x's storage
            "again": x,  # the same tensor twice
            "scalar": torch.tensor(3.0),
            "empty": torch.zeros(0, 4),
            "bf16": torch.randn(3, dtype=torch.bfloat16),
            "bool": torch.tensor([True, False]),
            "int64": torch.tensor([2**40]),
            "grad": torch.ones(2, requires_grad=True),
        },
        "arrays": [np.arange(5, dtype=np.uint32), np.zeros((2, 2), dtype=np.float16)],
        "numpy_scalars": [np.int64(3), np.float32(0.5)],
        "a/b": torch.ones(1),
        "a": {"b": torch.zeros(1)},  # its path spells the same key as "a/b"
        "": {"": 0},
    }
    back = round_trip(tree, tmp_path)
    expected = {**tree, "numpy_scalars": [3, 0.5]}
    expected["tensors"] = {**tree["tensors"], "grad": tree["tensors"]["grad"].detach()}
    assert_same(expected, back)
    assert not back["tensors"]["grad"].requires_grad
    back["tensors"]["view"] += 1  # loaded tensors own their memory
    assert torch.equal(back["tensors"]["f32"], x)


def test_the_files_are_safetensors_and_plain_json(tmp_path):
    save_tree({"optimizer": {"state": {0: {"exp_avg": torch.zeros(2)}}}, "step": 3}, tmp_path, "state")
    tensors_file, json_file = tree_files(tmp_path, "state")
    doc = json.loads(json_file.read_text())
    assert doc["tensors"] == tensors_file.name and doc["tree"]["step"] == 3
    assert doc["tree"]["optimizer"]["state"] == {
        "$items": [[0, {"exp_avg": {"$tensor": "optimizer/state/0/exp_avg"}}]]
    }
    from safetensors.torch import load_file

    assert list(load_file(str(tensors_file))) == ["optimizer/state/0/exp_avg"]


def test_what_is_not_data_is_refused_with_its_path(tmp_path):
    with pytest.raises(TypeError, match="/config/fn: function is not data"):
        save_tree({"config": {"fn": lambda: 0}}, tmp_path, "state")
    with pytest.raises(TypeError, match="dtype object"):
        save_tree({"a": np.array([object()])}, tmp_path, "state")
    with pytest.raises(TypeError, match="/s: set is not data"):
        save_tree({"s": {1}}, tmp_path, "state")
    with pytest.raises(TypeError, match=r"key \(1, 2\) is a tuple"):
        save_tree({(1, 2): 0}, tmp_path, "state")


def test_rng_states_round_trip_and_replay_the_same_draws(tmp_path):
    torch_gen = torch.Generator().manual_seed(3)
    pcg, mt = np.random.default_rng(4), np.random.Generator(np.random.MT19937(5))
    py = random.Random(6)
    for g in (pcg, mt):
        g.random(3)  # PCG64: 128-bit ints; MT19937: a uint32 key array
    torch.rand(3, generator=torch_gen)
    state = {
        "torch": torch_gen.get_state(),
        "pcg64": pcg.bit_generator.state,
        "mt19937": mt.bit_generator.state,
        "python": py.getstate(),
        "sampler": {"epoch": 2, "position": 41},
    }
    back = round_trip(state, tmp_path)
    assert_same(state, back)
    expected = (torch.rand(4, generator=torch_gen), pcg.random(4), mt.random(4), py.random())
    torch_gen2 = torch.Generator()
    torch_gen2.set_state(back["torch"])
    pcg2, mt2 = np.random.default_rng(), np.random.Generator(np.random.MT19937())
    pcg2.bit_generator.state, mt2.bit_generator.state = back["pcg64"], back["mt19937"]
    py2 = random.Random()
    py2.setstate(back["python"])
    got = (torch.rand(4, generator=torch_gen2), pcg2.random(4), mt2.random(4), py2.random())
    assert torch.equal(expected[0], got[0]) and np.array_equal(expected[1], got[1])
    assert np.array_equal(expected[2], got[2]) and expected[3] == got[3]


def _net_and_optim(seed: int):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    return net, torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.1)


def _train(net, optim, data, steps):
    for i in steps:
        for group in optim.param_groups:
            group["lr"] = 1e-2 * (1 - i / 20)  # a schedule, as the trainer sets it
        x, y = data[i]
        optim.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(net(x), y).backward()
        optim.step()


def test_a_resumed_adamw_continues_exactly_like_an_uninterrupted_run(tmp_path):
    gen = torch.Generator().manual_seed(0)
    data = [(torch.randn(16, 4, generator=gen), torch.randn(16, 2, generator=gen)) for _ in range(10)]
    ref, ref_optim = _net_and_optim(0)
    _train(ref, ref_optim, data, range(10))

    net, optim = _net_and_optim(0)
    _train(net, optim, data, range(5))
    save_tree({"model": net.state_dict(), "optimizer": optim.state_dict(), "step": 5}, tmp_path, "state")
    state = load_tree(tmp_path, "state")
    assert_same(optim.state_dict(), state["optimizer"])  # int param ids, tuple betas, 0-d step tensors
    resumed, resumed_optim = _net_and_optim(1)  # other initial weights: everything comes from the file
    resumed.load_state_dict(state["model"])
    resumed_optim.load_state_dict(state["optimizer"])
    _train(resumed, resumed_optim, data, range(state["step"], 10))
    for p, q in zip(ref.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda doc: doc.update(tree={"x": {"$tensor": "nope"}}), "references tensor 'nope'"),
        (lambda doc: doc.update(tree={"x": {"$pickle": "os.system"}}), "a tagged node is one of"),
        (lambda doc: doc.update(tree={"x": {"$tuple": 3}}), "expected a list"),
        (lambda doc: doc.update(format="other"), "not a worldjepa tree"),
        (lambda doc: doc.update(tree={}), "does not reference"),
    ],
)
def test_a_tampered_structure_is_refused_naming_the_file(tmp_path, edit, match):
    save_tree({"x": torch.zeros(2)}, tmp_path, "state")
    _, json_file = tree_files(tmp_path, "state")
    doc = json.loads(json_file.read_text())
    edit(doc)
    json_file.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=match) as info:
        load_tree(tmp_path, "state")
    assert "state." in str(info.value) and "\n" not in str(info.value)


def test_missing_or_unparsable_files_are_named(tmp_path):
    save_tree({"x": torch.zeros(2)}, tmp_path, "state")
    tensors_file, json_file = tree_files(tmp_path, "state")
    json_file.write_text("{not json")
    with pytest.raises(CheckpointError, match="state.json is not valid JSON"):
        load_tree(tmp_path, "state")
    tensors_file.unlink()
    with pytest.raises(CheckpointError, match="state.safetensors is missing"):
        load_tree(tmp_path, "state")
