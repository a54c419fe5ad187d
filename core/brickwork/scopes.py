"""``brickwork.name_scope`` and ``brickwork.device``: Keras 3's context
managers for name paths and device placement."""
from __future__ import annotations

import contextlib
import re

from brickwork import global_state


class name_scope:  # noqa: N801  (Keras's name)
    """Open a hierarchical name scope: inside ``with name_scope("block"):``,
    :func:`current_path` is ``"block"``, and nested scopes join with ``/``.

    As in Keras, the paths of variables created inside a scope start with
    it: a layer's weights are made inside its own scope (and a Sequential's
    or subclassed model's layers inside the model's), so their paths read
    ``scope/.../layer/variable``.

    Args:
        name: The scope's name (no ``/``).
        caller: The object opening the scope (a layer). With
            ``deduplicate``, re-entering a scope of the same caller and name
            adds no level.
        deduplicate: See ``caller``.
        override_parent: A path that replaces the enclosing scopes' path
            (by default the caller's ``_parent_path``, if it has one).
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name} (of type {type(name)})")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        if (override_parent is None and deduplicate
                and getattr(caller, "_parent_path", None) is not None):
            self.override_parent = caller._parent_path
        self._pop_on_exit = False

    def __enter__(self):
        stack = global_state.get_global_attribute("name_scope_stack", [], set_to_default=True)
        if self.deduplicate and stack:
            parent = stack[-1]
            if self.caller is not None and self.caller is parent.caller and self.name == parent.name:
                return self
        stack.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc_info):
        if self._pop_on_exit:
            global_state.get_global_attribute("name_scope_stack", []).pop()
            self._pop_on_exit = False


def current_path():
    """The path of the open name scopes (``"outer/inner"``; ``""`` outside)."""
    parts = []
    for entry in global_state.get_global_attribute("name_scope_stack", []) or []:
        if entry.override_parent is not None:
            parts = [p for p in entry.override_parent.split("/") if p]
        parts.append(entry.name)
    return "/".join(parts)


_DEVICE = re.compile(r"^(?:/?(?:job:[^/]+/)?(?:replica:\d+/)?(?:task:\d+/)?device:)?"
                     r"(cpu|gpu|cuda|tpu)(?::(\d+))?$", re.IGNORECASE)


@contextlib.contextmanager
def device(device_name):
    """Run the block on ``device_name`` (``"cpu"``, ``"gpu:0"``,
    ``"cuda:1"``, ...), as ``keras.device``.

    Which array library computes is brickwork's backend choice
    (``brickwork.backend.use_backend``), not this: on the NumPy backend every
    device name is accepted and selects nothing (everything runs on the
    CPU). On the CuPy backend, ``"gpu:N"`` / ``"cuda:N"`` makes GPU ``N``
    the current CUDA device for the block.

    Raises:
        ValueError: ``device_name`` is not a device name.
    """
    match = _DEVICE.match(str(device_name).strip())
    if not match:
        raise ValueError(f"Invalid device name: {device_name!r}. Expected a name such as "
                         f"'cpu', 'gpu:0' or 'cuda:1'.")
    kind, index = match.group(1).lower(), int(match.group(2) or 0)
    if kind in ("gpu", "cuda"):
        from brickwork.backend import get_backend
        with get_backend().adapters.device(index):  # a CPU backend's selects nothing
            yield
        return
    yield
