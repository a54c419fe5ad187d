"""``brickwork.config``, ``brickwork.backend``'s Keras functions and
``brickwork.tree``, against Keras 3 (``fixtures/keras_utils_config_tree.json``,
made by ``fixtures/make_keras_utils_config_tree.py``) and against the
parameter listing of Keras's public API."""
from __future__ import annotations

import collections
import inspect
import json
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import brickwork
from brickwork import backend, config, layers, tree

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
KERAS = json.loads((FIXTURES / "keras_utils_config_tree.json").read_text())
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]


def parameters(function):
    """``[[name, kind, default repr], ...]`` as the listing records them."""
    target = function.__init__ if inspect.isclass(function) else function
    out = []
    for p in inspect.signature(target).parameters.values():
        if inspect.isclass(function) and p.name == "self":
            continue
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        out.append([p.name, p.kind.name, default])
    return out


def assert_signature(module_name, obj, name):
    expected = LISTING[module_name][name]["parameters"]
    assert parameters(getattr(obj, name)) == expected, f"{module_name}.{name}"


@pytest.mark.parametrize("name", [n for n, v in LISTING["config"].items()
                                  if n != "is_nnx_enabled"])
def test_config_names_and_signatures(name):
    assert_signature("config", config, name)


@pytest.mark.parametrize("name", list(LISTING["backend"]))
def test_backend_names_and_signatures(name):
    assert_signature("backend", backend, name)


@pytest.mark.parametrize("name", list(LISTING["tree"]))
def test_tree_names_and_signatures(name):
    assert_signature("tree", tree, name)


# --- tree ----------------------------------------------------------------

Point = collections.namedtuple("Point", ["y", "x"])
STRUCTURES = {
    "leaf": 1,
    "none": None,
    "list": [1, 2, 3],
    "single": [5],
    "single_nested": [[5]],
    "tuple_nested": (1, (2, 3), [4, (5,)]),
    "dict_unsorted": {"b": 1, "a": 2, "c": [3, 4]},
    "with_none": [1, None, {"z": None, "y": 2}],
    "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
    "namedtuple": Point(y=1, x=[2, 3]),
    "empty_list": [],
    "empty_dict": {},
    "nested_empty": [1, [], {}, ()],
    "string": "abc",
}
PAIRS = {
    "same": ([1, (2, 3)], [4, (5, 6)]),
    "list_vs_tuple": ([1, 2], (1, 2)),
    "dict_order": ({"a": 1, "b": 2}, {"b": 3, "a": 4}),
    "dict_keys": ({"a": 1}, {"b": 1}),
    "deeper": ([1, 2], [1, [2, 3]]),
    "lengths": ([1, 2], [1, 2, 3]),
    "none_vs_leaf": ([None, 1], [2, 1]),
}


def answer(function, *args):
    try:
        return repr(function(*args))
    except Exception as exc:  # noqa: BLE001
        return f"error:{type(exc).__name__}"


def times_ten(v):
    return v * 10 if isinstance(v, int) else None


ONE_STRUCTURE = {
    "flatten": tree.flatten,
    "flatten_with_path": tree.flatten_with_path,
    "is_nested": tree.is_nested,
    "map_plus_one": lambda s: tree.map_structure(lambda v: None if v is None else (v, "m"), s),
    "map_none_not_leaf": lambda s: tree.map_structure(lambda v: (v, "m"), s, none_is_leaf=False),
    "lists_to_tuples": tree.lists_to_tuples,
    "pack": lambda s: tree.pack_sequence_as(s, [f"v{i}" for i in range(len(tree.flatten(s)))]),
    "traverse_top": lambda s: tree.traverse(times_ten, s),
    "traverse_bottom": lambda s: tree.traverse(times_ten, s, top_down=False),
}


@pytest.mark.parametrize("function", list(ONE_STRUCTURE))
@pytest.mark.parametrize("structure", list(STRUCTURES))
def test_tree_function_matches_keras(function, structure):
    expected = KERAS["tree"][f"{function}:{structure}"]
    if (function, structure) == ("flatten_with_path", "namedtuple"):
        # Keras's torch-backend tree numbers namedtuple fields by sorted
        # field name; its optree tree (jax, tensorflow, numpy backends) and
        # brickwork use the field's position.
        expected = "[((0,), 1), ((1, 0), 2), ((1, 1), 3)]"
    assert answer(ONE_STRUCTURE[function], STRUCTURES[structure]) == expected


@pytest.mark.parametrize("pair", list(PAIRS))
def test_tree_pairs_match_keras(pair):
    a, b = PAIRS[pair]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert answer(tree.assert_same_structure, a, b) == KERAS["tree"][f"assert_same_structure:{pair}"]
    assert answer(tree.assert_same_paths, a, b) == KERAS["tree"][f"assert_same_paths:{pair}"]
    expected = KERAS["tree"][f"map2:{pair}"]
    if pair == "deeper":
        # Keras's torch tree maps a leaf of the first structure onto a subtree
        # of the second; its optree tree (the other backends) and brickwork
        # refuse structures that differ.
        expected = "error:ValueError"
    assert answer(lambda a, b: tree.map_structure(lambda x, y: (x, y), a, b), a, b) == expected


def test_tree_other_cases_match_keras():
    k = KERAS["tree"]
    assert answer(tree.pack_sequence_as, [1, 2], [1]) == k["pack_too_few"]
    assert answer(tree.pack_sequence_as, [1, 2], [1, 2, 3]) == k["pack_too_many"]
    assert answer(tree.map_structure_up_to, [None, (1, 2)], lambda a, b: (a, b),
                  [[1, 2], (3, 4)], [5, (6, 7)]) == k["map_up_to"]
    assert answer(tree.map_structure_up_to, {"a": 1, "b": 2}, lambda v: len(v),
                  {"b": [1, 2], "a": [1]}) == k["map_up_to_dict"]
    assert answer(tree.map_shape_structure, lambda s: ("shape", s),
                  [(None, 3), {"k": (2, 2), "j": [1]}, [[4, 5], (6,)]]) == k["map_shape"]
    assert answer(tree.map_shape_structure, lambda s: ("shape", s), [(), []]) == k["map_shape_empty"]
    assert answer(tree.traverse, lambda v: tree.MAP_TO_NONE if v == 2 else None,
                  [1, 2, (2, 3)]) == k["traverse_map_to_none"]
    assert answer(tree.map_structure, lambda v: v) == k["map_no_structure"]


def test_tree_check_types_is_deprecated():
    with pytest.warns(DeprecationWarning):
        tree.assert_same_structure([1], [2], check_types=True)


def test_tree_unsortable_keys_keep_insertion_order_and_deque():
    assert tree.flatten({1: "a", "x": "b"}) == ["a", "b"]
    d = collections.deque([1, [2]])
    assert tree.map_structure(lambda v: v + 1, d) == collections.deque([2, [3]])
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    out = tree.pack_sequence_as(dd, ["x", "y"])
    assert isinstance(out, collections.defaultdict) and out == {"a": "x", "b": "y"}
