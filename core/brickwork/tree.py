"""Flatten and rebuild nested lists, tuples and dicts of values."""
from __future__ import annotations


def flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_like(structure, flat: list):
    """Rebuild ``structure`` with the leaves of ``flat`` (in ``flatten`` order)."""
    leaves = iter(flat)

    def rebuild(item):
        if isinstance(item, (list, tuple)):
            rebuilt = [rebuild(i) for i in item]
            return rebuilt if isinstance(item, list) else tuple(rebuilt)
        if isinstance(item, dict):
            values = {key: rebuild(item[key]) for key in sorted(item)}
            return {key: values[key] for key in item}
        return next(leaves)
    return rebuild(structure)
