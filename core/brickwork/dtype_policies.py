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


class DTypePolicyMap(DTypePolicy):
    """Policies by layer path, with a default (``keras.dtype_policies.DTypePolicyMap``).

    A mapping from paths (``"decoder/dense"``) or regular expressions
    matching whole paths (``"encoder/.*"``) to policies; a path no key
    matches gets ``default_policy``. As a policy it computes and stores in
    its default policy's dtypes.

    Args:
        default_policy: A policy or its name; None: the global policy.
        policy_map: A dict of paths or patterns to policies (or names).
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"If specified, `policy_map` must be a dict. Received: "
                            f"policy_map={policy_map} of type {type(policy_map)}")
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = {}
        for key, policy in (policy_map or {}).items():
            self[key] = policy

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @name.setter
    def name(self, value):  # DTypePolicy.__init__ is not run; nothing to store
        pass

    @property
    def default_policy(self):
        return get(self._default_policy)

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    def __getitem__(self, key):
        import re
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: "
                             f"{matching}. Please make sure each path only matches at most one "
                             f"dtype policy specification key in the DTypePolicyMap.")
        return self._policy_map[matching[0]] if matching else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value "
                             f"{self._policy_map[key]}. Please make sure to not use duplicated "
                             f"keys.")
        try:
            policy = get(policy)
        except Exception:
            raise ValueError(f"Cannot interpret the assigned value by "
                             f"`brickwork.dtype_policies.get`. Received: {policy} of type "
                             f"{type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def keys(self):
        return self._policy_map.keys()

    def items(self):
        return self._policy_map.items()

    def __eq__(self, other):
        return (isinstance(other, DTypePolicyMap) and other.default_policy == self.default_policy
                and other._policy_map == self._policy_map)

    def get_config(self):
        return {"default_policy": self._default_policy_arg,
                "policy_map": {key: serialize(policy) for key, policy in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["policy_map"] = {key: deserialize(value, custom_objects)
                                for key, value in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __repr__(self):
        mapping = [(key, policy.name) for key, policy in self._policy_map.items()]
        return (f"<DTypePolicyMap at {hex(id(self))} "
                f"default_policy={self._default_policy.name}, mapping={mapping}>")


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
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    return DTypePolicy(standardize_dtype(identifier))


def deserialize(config, custom_objects=None):
    """A policy from its serialized form (``serialize``'s dict, or a name)."""
    if isinstance(config, dict):
        class_name = config.get("class_name", "DTypePolicy")
        if class_name == "DTypePolicyMap":
            return DTypePolicyMap.from_config(config.get("config", {}), custom_objects)
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
    class_name = "DTypePolicyMap" if isinstance(dtype_policy, DTypePolicyMap) else "DTypePolicy"
    return {"module": "keras", "class_name": class_name, "config": dtype_policy.get_config(),
            "registered_name": None}
