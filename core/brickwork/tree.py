"""Nested structures of values: ``brickwork.tree``, Keras 3's ``keras.tree``.

A structure is made of *nodes* (``list``, ``tuple``, namedtuples, ``dict``,
``collections.OrderedDict``, ``collections.defaultdict``,
``collections.deque``) and *leaves* (everything else, strings and arrays
included). As in Keras:

- the leaves of a ``dict`` (and ``defaultdict``) come in sorted key order
  (insertion order when the keys do not sort); an ``OrderedDict`` keeps
  its own order;
- ``None`` is a leaf, except in ``map_structure(..., none_is_leaf=False)``,
  where it is an empty node and stays ``None``;
- functions that rebuild a structure from scratch (``pack_sequence_as``,
  ``traverse``, ``lists_to_tuples``, ``map_shape_structure``) return plain
  dicts with sorted keys; ``map_structure`` keeps the first structure's key
  order.

Besides Keras's names, ``pack_like`` (rebuild keeping insertion order) is
used inside brickwork.
"""
from __future__ import annotations

import collections
import warnings

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to put ``None`` in place of a
    subtree (returning ``None`` itself means "keep going")."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_node(x):
    return isinstance(x, (list, tuple, dict, collections.deque))


def is_nested(structure):
    """Whether ``structure`` is a node (a list, tuple, dict, ...), not a leaf."""
    return _is_node(structure)


def _keys(mapping):
    """A mapping's keys in flattening order."""
    if type(mapping) is collections.OrderedDict:
        return list(mapping)
    try:
        return sorted(mapping)
    except TypeError:
        return list(mapping)


def _children(node):
    """``[(path key, child), ...]`` of a node, in flattening order."""
    if isinstance(node, dict):
        return [(key, node[key]) for key in _keys(node)]
    return list(enumerate(node))


def _rebuild(node, values, keep_order=False):
    """A node of ``node``'s type holding ``values`` (in ``_children`` order).
    Plain dicts come out with sorted keys unless ``keep_order``."""
    if isinstance(node, dict):
        keys = _keys(node)
        if keep_order:
            by_key = dict(zip(keys, values))
            items = [(key, by_key[key]) for key in node]
        else:
            items = list(zip(keys, values))
        if isinstance(node, collections.defaultdict):
            return collections.defaultdict(node.default_factory, items)
        return type(node)(items) if type(node) is not dict else dict(items)
    if _is_namedtuple(node):
        return type(node)(*values)
    if isinstance(node, collections.deque):
        return collections.deque(values, maxlen=node.maxlen)
    if isinstance(node, tuple):
        return tuple(values) if type(node) is tuple else type(node)(values)
    return list(values) if type(node) is list else type(node)(values)


def flatten(structure):
    """The leaves of ``structure``, depth first (dicts by sorted key).

    >>> flatten([1, {"b": 2, "a": 3}, (None,)])
    [1, 3, 2, None]
    """
    if not _is_node(structure):
        return [structure]
    leaves = []
    for _, child in _children(structure):
        if _is_node(child):
            leaves.extend(flatten(child))
        else:
            leaves.append(child)
    return leaves


def flatten_with_path(structure):
    """``[(path, leaf), ...]``: each path a tuple of list indices and dict
    keys leading to the leaf (a namedtuple field is its index)."""
    out = []

    def walk(item, path):
        if not _is_node(item):
            out.append((path, item))
            return
        for key, child in _children(item):
            walk(child, path + (key,))
    walk(structure, ())
    return out


def _mismatch(detail=""):
    return ValueError("Structures don't have the same nested structure." +
                      (f" {detail}" if detail else ""))


def _check_same_node(first, other):
    """Raise unless ``other`` is a node of ``first``'s type and size/keys."""
    if not _is_node(other) or type(other) is not type(first):
        raise _mismatch(f"Expected an instance of {type(first).__name__}, got "
                        f"{type(other).__name__}: {other!r}.")
    if isinstance(first, dict):
        if set(first) != set(other):
            raise _mismatch(f"Dictionary keys differ: {sorted(map(str, first))} and "
                            f"{sorted(map(str, other))}.")
    elif len(first) != len(other):
        raise _mismatch(f"Lengths differ: {len(first)} and {len(other)}.")


def _map(func, structures, none_is_leaf, keep_order=True):
    first = structures[0]
    if first is None and not none_is_leaf:
        if any(s is not None for s in structures[1:]):
            raise _mismatch(f"Some arguments are None, others are not: {structures}.")
        return None
    if not _is_node(first):
        for other in structures[1:]:
            if _is_node(other) or (other is None and not none_is_leaf):
                raise _mismatch(f"A leaf ({first!r}) faces a structure ({other!r}).")
        return func(*structures)
    for other in structures[1:]:
        _check_same_node(first, other)
    keys = [key for key, _ in _children(first)]
    values = [_map(func, [first[k] if isinstance(first, dict) else first[k]] +
                   [s[k] for s in structures[1:]], none_is_leaf, keep_order)
              for k in keys]
    return _rebuild(first, values, keep_order=keep_order)


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leaf-wise to one or several structures of the same
    shape, in a structure like the first one.

    Args:
        func: A callable taking as many arguments as there are structures.
        *structures: Structures of identical nesting (same node types,
            lengths and dict keys).
        none_is_leaf: If False, ``None`` is an empty node: it stays ``None``
            and ``func`` never sees it.

    Raises:
        ValueError: No structure given, or the structures differ.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map(func, list(structures), none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """Like ``map_structure``, but only down to the leaves of
    ``shallow_structure``: what lies below them in ``structures`` is passed
    to ``func`` whole. ``func`` receives one argument per structure (not
    the shallow one)."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(shallow, items):
        if not _is_node(shallow):
            return func(*items)
        for item in items:
            _check_same_node(shallow, item)
        values = [walk(child, [item[key] for item in items])
                  for key, child in _children(shallow)]
        return _rebuild(shallow, values, keep_order=True)
    return walk(shallow_structure, list(structures))


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest identically (same
    node types, lengths, dict keys, and leaves in the same places).
    ``check_types`` is deprecated in Keras and has no effect (a warning)."""
    if check_types is not None:
        warnings.warn("The `check_types` argument is deprecated and no longer has any effect, "
                      "please remove." if check_types else
                      "The `check_types` argument is deprecated and no longer has any effect. "
                      "For a looser check, use `brickwork.tree.assert_same_paths()`, which "
                      "considers `list`, `tuple`, `namedtuple` and `deque` as matching",
                      DeprecationWarning, stacklevel=2)

    def check(x, y):
        if _is_node(x) != _is_node(y):
            raise _mismatch(f"{x!r} and {y!r}.")
        if _is_node(x):
            _check_same_node(x, y)
            for key, child in _children(x):
                check(child, y[key])
    check(a, b)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths
    (lists, tuples and namedtuples of one length match each other)."""
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        msg = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            msg += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            msg += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """``structure`` rebuilt with the values of ``flat_sequence`` as its
    leaves (in ``flatten`` order).

    Raises:
        ValueError: ``flat_sequence`` has more or fewer values than
            ``structure`` has leaves.
    """
    flat = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat) != expected:
        raise ValueError(f"The structure has {expected} leaves but `flat_sequence` has "
                         f"{len(flat)} values. Structure: {structure!r}")
    leaves = iter(flat)

    def build(item):
        if not _is_node(item):
            return next(leaves)
        return _rebuild(item, [build(child) for _, child in _children(item)])
    return build(structure)


def traverse(func, structure, top_down=True):
    """Visit every node and leaf. Top-down: ``func(x)`` returning ``None``
    means "descend into ``x``", any other value replaces ``x`` (the
    :class:`MAP_TO_NONE` class replaces it by ``None``). Bottom-up:
    ``func`` sees each node already rebuilt from its traversed children."""
    def children_traversed(item):
        if not _is_node(item):
            return item
        return _rebuild(item, [traverse(func, child, top_down) for _, child in _children(item)])

    if top_down:
        result = func(structure)
        if result is None:
            return children_traversed(structure)
    else:
        rebuilt = children_traversed(structure)
        result = func(rebuilt)
        if result is None:
            return rebuilt
    if result is MAP_TO_NONE:
        return None
    return result


def lists_to_tuples(structure):
    """Every list in ``structure`` (nested ones too) turned into a tuple."""
    return traverse(lambda item: tuple(item) if isinstance(item, list) else None,
                    structure, top_down=False)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def map_shape_structure(func, structure):
    """``func`` applied to every shape in ``structure``: a shape is a list or
    tuple of ints and ``None`` (the empty tuple included)."""
    if _is_shape(structure) or not _is_node(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, child)
                                for _, child in _children(structure)])


def pack_like(structure, flat: list):
    """Rebuild ``structure`` with the leaves of ``flat`` (in ``flatten``
    order), keeping each dict's own key order (used inside brickwork)."""
    leaves = iter(flat)

    def rebuild(item):
        if not _is_node(item):
            return next(leaves)
        return _rebuild(item, [rebuild(child) for _, child in _children(item)], keep_order=True)
    return rebuild(structure)
