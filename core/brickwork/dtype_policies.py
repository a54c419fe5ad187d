"""Dtype policies: the dtype a layer computes in and the one it stores weights in."""
from __future__ import annotations

from brickwork import global_state
from brickwork.dtypes import floatx, standardize_dtype


class DTypePolicy:
    """A float dtype name (``"float32"``, ``"float64"``, ``"float16"``), or
    ``"mixed_float16"``: compute in float16, keep variables in float32.
    ``None`` takes the global policy (:func:`set_dtype_policy`)."""

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name!r} (of type {type(name).__name__})")
        self.compute_dtype, self.variable_dtype = _parse_policy_name(name)
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


class FloatDTypePolicy(DTypePolicy):
    """An alias of :class:`DTypePolicy` (``keras.dtype_policies.FloatDTypePolicy``)."""


_MIXED = {"mixed_float16": ("float16", "float32")}


def _parse_policy_name(name):
    """``(compute_dtype, variable_dtype)`` of a policy name."""
    if name in _MIXED:
        return _MIXED[name]
    if name == "mixed_bfloat16" or name == "bfloat16":
        raise ValueError(f"Dtype policy {name!r} needs bfloat16, which NumPy and CuPy arrays "
                         f"lack; use 'mixed_float16' for mixed precision.")
    try:
        dtype = standardize_dtype(name)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None:
        raise ValueError(f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid "
                         f"policies include 'mixed_float16' and the name of any float dtype "
                         f"such as 'float32'.")
    return dtype, dtype


def set_dtype_policy(policy):
    """Sets the default dtype policy of layers created afterwards, as
    ``keras.config.set_dtype_policy`` (e.g. ``"mixed_float16"``).
    ``clear_session`` forgets it."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy "
                         f"(such as 'mixed_float16') or a `DTypePolicy` instance. Received: "
                         f"policy={policy!r} (of type {type(policy).__name__})")
    global_state.set_global_attribute("dtype_policy", policy)


def dtype_policy() -> DTypePolicy:
    """The global dtype policy: the one set, else ``floatx()`` (read once,
    then kept until ``set_dtype_policy`` or ``clear_session``, as in Keras)."""
    policy = global_state.get_global_attribute("dtype_policy")
    if policy is None:
        policy = DTypePolicy(floatx())
        global_state.set_global_attribute("dtype_policy", policy)
    return policy


def get(identifier) -> DTypePolicy:
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(identifier.get("config", {}).get("name"))
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    return DTypePolicy(standardize_dtype(identifier))


def deserialize(config, custom_objects=None):
    """A policy from its serialized form (``serialize``'s dict, or a name)."""
    if isinstance(config, dict):
        class_name = config.get("class_name", "DTypePolicy")
        if class_name not in ("DTypePolicy", "FloatDTypePolicy"):
            cls = (custom_objects or {}).get(class_name)
            if cls is None:
                raise ValueError(f"Unknown dtype policy class {class_name!r}; brickwork knows "
                                 f"'DTypePolicy' and 'FloatDTypePolicy'.")
            return cls.from_config(config.get("config", {}))
        return DTypePolicy(config.get("config", {}).get("name"))
    return get(config)


def serialize(dtype_policy: DTypePolicy) -> dict:
    """A policy's serialized form, as Keras writes it in configs."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": dtype_policy.get_config(),
            "registered_name": None}
