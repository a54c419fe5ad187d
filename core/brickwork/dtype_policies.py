"""Dtype policies: the dtype a layer computes in and the one it stores weights in."""
from __future__ import annotations

from brickwork.dtypes import standardize_dtype


class DTypePolicy:
    """``"float32"`` (default), ``"float64"``, or ``"mixed_float16"``-style names."""

    def __init__(self, name=None):
        name = name or "float32"
        if isinstance(name, DTypePolicy):
            name = name.name
        if name.startswith("mixed_"):
            self.compute_dtype = standardize_dtype(name[len("mixed_"):])
            self.variable_dtype = "float32"
        else:
            self.compute_dtype = self.variable_dtype = standardize_dtype(name)
        self.name = name

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


def get(identifier) -> DTypePolicy:
    if identifier is None:
        return DTypePolicy("float32")
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(identifier.get("config", {}).get("name"))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    return DTypePolicy(standardize_dtype(identifier))


def serialize(policy: DTypePolicy) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}
