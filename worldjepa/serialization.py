"""Nested Python data with tensor leaves, saved as safetensors + JSON: loading it never runs code.

A *tree* is ``None``, bool, int (any size), float, str, list, tuple and dict (keys: str, int,
bool, float or None) nested freely, with ``torch.Tensor`` and ``numpy.ndarray`` leaves: an
optimizer's ``state_dict()``, ``torch.Generator.get_state()``, numpy bit-generator states,
``random.getstate()``, step counters, configs. ``save_tree(tree, dir, name)`` writes

    <dir>/<name>.safetensors   every tensor / array, under a key that is its path in the tree
    <dir>/<name>.json          the tree, each tensor replaced by {"$tensor": key}

and ``load_tree(dir, name)`` gives back an equal tree: the same dtypes and shapes, tuples as
tuples, int dict keys as ints (an optimizer's ``state``), arrays as numpy arrays. JSON nodes
that JSON cannot spell plainly are tagged objects with one ``$``-key: ``$tensor``, ``$ndarray``,
``$tuple``, ``$items`` (a dict with non-str keys, as [key, value] pairs) and ``$float``
(nan / inf). numpy scalars are saved as the Python number they hold. Tensors are saved
detached, on the CPU; ``load_tree(..., device=)`` places them.

The two files are written in place: callers that need atomicity (checkpoints) write them into a
temp dir and swap it in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from worldjepa.errors import CheckpointError

FORMAT = "worldjepa-tree-v1"
TAGS = ("$tensor", "$ndarray", "$tuple", "$items", "$float")


def tree_files(directory: str | Path, name: str) -> tuple[Path, Path]:
    """-> (``<dir>/<name>.safetensors``, ``<dir>/<name>.json``)."""
    directory = Path(directory)
    return directory / f"{name}.safetensors", directory / f"{name}.json"


def save_tree(tree: Any, directory: str | Path, name: str) -> tuple[Path, Path]:
    """Write ``tree`` as ``<name>.safetensors`` + ``<name>.json`` in ``directory``; -> both paths.
    Raises TypeError naming the path of a leaf that is not data (a module, a function...)."""
    from safetensors.torch import save_file

    tensors_file, json_file = tree_files(directory, name)
    structure, tensors = flatten_tree(tree)
    save_file(tensors, str(tensors_file), metadata={"format": FORMAT})
    doc = {"format": FORMAT, "tensors": tensors_file.name, "tree": structure}
    json_file.write_text(json.dumps(doc, indent=1, allow_nan=False))
    return tensors_file, json_file


def load_tree(directory: str | Path, name: str, device: str = "cpu") -> Any:
    """Read back what ``save_tree(tree, directory, name)`` wrote. A malformed or mismatched pair
    of files raises CheckpointError naming the file."""
    from safetensors.torch import load_file

    tensors_file, json_file = tree_files(directory, name)
    for f in (json_file, tensors_file):
        if not f.is_file():
            raise CheckpointError(f"{f} is missing; {json_file.name} and {tensors_file.name} go together")
    try:
        doc = json.loads(json_file.read_text())
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise CheckpointError(f"{json_file} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "tree" not in doc:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CheckpointError(
            f"{json_file} is not a worldjepa tree (format {found!r}, expected {FORMAT!r}); "
            "it was written by another tool or version"
        )
    try:
        tensors = load_file(str(tensors_file), device=device)
    except Exception as exc:  # safetensors raises its own error types for truncated/corrupt files
        raise CheckpointError(f"{tensors_file} is unreadable ({exc}); it may be truncated") from None
    try:
        tree, used = unflatten_tree(doc["tree"], tensors)
    except ValueError as exc:
        raise CheckpointError(f"{json_file} is malformed: {exc}") from None
    unused = sorted(set(tensors) - used)
    if unused:
        raise CheckpointError(
            f"{tensors_file} holds {len(unused)} tensors that {json_file.name} does not reference "
            f"(e.g. {unused[0]!r}); the two files come from different saves"
        )
    return tree


def flatten_tree(tree: Any) -> tuple[Any, dict[str, Any]]:
    """-> (a JSON-able structure, {key: CPU tensor}); the structure references tensors by key."""
    import numpy as np
    import torch

    tensors: dict[str, torch.Tensor] = {}
    storages: set[int] = set()

    def tensor_key(path: str) -> str:
        base = path[1:] or "root"  # "optimizer/state/0/exp_avg"
        key, n = base, 1
        while key in tensors:  # a str key holding "/" can spell another leaf's path
            key, n = f"{base}#{n}", n + 1
        return key

    def add(t: torch.Tensor, path: str) -> str:
        t = t.detach().cpu().contiguous()
        storage = t.untyped_storage()
        # safetensors refuses tensors that share memory (views, the same tensor twice): copy them.
        if storage.data_ptr() in storages or storage.nbytes() != t.numel() * t.element_size():
            t = t.clone()
        storages.add(t.untyped_storage().data_ptr())
        key = tensor_key(path)
        tensors[key] = t
        return key

    def scalar(node: Any, path: str) -> Any:
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, float):
            return node if math.isfinite(node) else {"$float": repr(node)}
        if isinstance(node, np.generic) and node.dtype.kind in "biuf":
            return scalar(node.item(), path)
        raise TypeError(
            f"cannot save {path or 'the tree'}: {type(node).__name__} is not data "
            "(save dicts, lists, tuples, str, int, float, bool, None, tensors and arrays)"
        )

    def key(k: Any, path: str) -> Any:
        if k is None or isinstance(k, (bool, int, float, str, np.generic)):
            return scalar(k, path)
        raise TypeError(
            f"cannot save {path or 'the tree'}: its key {k!r} is a {type(k).__name__}; "
            "dict keys must be str, int, float, bool or None"
        )

    def encode(node: Any, path: str) -> Any:
        if isinstance(node, torch.Tensor):
            return {"$tensor": add(node, path)}
        if isinstance(node, np.ndarray):
            if node.dtype.kind not in "biuf":
                raise TypeError(f"cannot save {path}: a numpy array of dtype {node.dtype} is not data")
            return {"$ndarray": add(torch.from_numpy(np.array(node)), path)}  # a writable copy
        if isinstance(node, list):
            return [encode(v, f"{path}/{i}") for i, v in enumerate(node)]
        if isinstance(node, tuple):
            return {"$tuple": [encode(v, f"{path}/{i}") for i, v in enumerate(node)]}
        if isinstance(node, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in node):
                return {k: encode(v, f"{path}/{k}") for k, v in node.items()}
            return {"$items": [[key(k, path), encode(v, f"{path}/{k}")] for k, v in node.items()]}
        return scalar(node, path)

    return encode(tree, ""), tensors


def unflatten_tree(structure: Any, tensors: dict[str, Any]) -> tuple[Any, set[str]]:
    """Inverse of ``flatten_tree`` -> (tree, the tensor keys it used). A node that
    ``flatten_tree`` cannot have written raises ValueError naming its path."""
    used: set[str] = set()

    def tensor(key: Any, path: str):
        if not isinstance(key, str) or key not in tensors:
            raise ValueError(f"{path or 'the root'} references tensor {key!r}, which is not in the file")
        used.add(key)
        return tensors[key]

    def key_of(k: Any, path: str) -> Any:
        if isinstance(k, dict) and set(k) == {"$float"}:
            return decode(k, path)
        if k is None or isinstance(k, (bool, int, float, str)):
            return k
        raise ValueError(f"{path or 'the root'} has a dict key that is not a scalar: {k!r}")

    def decode(node: Any, path: str) -> Any:
        if isinstance(node, list):
            return [decode(v, f"{path}/{i}") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node  # None, bool, int, float, str
        tags = [k for k in node if k.startswith("$")]
        if not tags:
            return {k: decode(v, f"{path}/{k}") for k, v in node.items()}
        if len(node) != 1 or tags[0] not in TAGS:
            raise ValueError(f"{path or 'the root'} is {sorted(node)}; a tagged node is one of {TAGS}")
        tag, value = tags[0], node[tags[0]]
        if tag == "$tensor":
            return tensor(value, path)
        if tag == "$ndarray":
            return tensor(value, path).cpu().numpy()
        if tag == "$float":
            if value not in ("nan", "inf", "-inf"):
                raise ValueError(f"{path} is $float {value!r}; expected 'nan', 'inf' or '-inf'")
            return float(value)
        if not isinstance(value, list):
            raise ValueError(f"{path or 'the root'}: {tag} holds {type(value).__name__}, expected a list")
        if tag == "$tuple":
            return tuple(decode(v, f"{path}/{i}") for i, v in enumerate(value))
        out = {}  # $items
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ValueError(f"{path or 'the root'}: $items holds {pair!r}, expected [key, value]")
            k = key_of(pair[0], path)
            out[k] = decode(pair[1], f"{path}/{k}")
        return out

    return decode(structure, ""), used
