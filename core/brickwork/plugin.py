"""What a plugin author imports: the pluggy markers and the backend descriptor.

A backend package imports nothing else of brickwork (DESIGN.md, rule 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pluggy

PROJECT_NAME = "brickwork"
ENTRY_POINT_GROUP = "brickwork"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@dataclass(frozen=True)
class BackendInfo:
    """Describes one backend to the plugin manager.

    name: the name users select (``"numpy"``, ``"cupy"``).
    array_module: import path of the array namespace the backend computes with:
        the functions of ``brickwork.array_namespace.ArrayNamespace``, NumPy's API.
    array_adapters: import path of a module with the functions of
        ``brickwork.array_namespace.ArrayAdapters`` for those arrays (host
        transfer, unbuffered scatter updates); NumPy's by default.
    kernel_modules: import paths of modules holding this backend's kernel
        hookimpls; they are imported and registered only when the backend is
        selected, so a backend whose library is missing still imports cleanly.
    unavailable_reason: returns None when the backend can run here, or a short
        reason such as "cupy not installed" or "no CUDA device".
    device_name: returns a human-readable name of the device it computes on.
    details: returns one line on how it computes there (accelerations on or
        off, and why), shown by ``python -m brickwork info``; may be empty.
    activate: runs once per process, when the backend is first selected
        (``set_backend``, ``use_backend`` or the default's first use), before
        its kernel modules are imported: the place to import a compiler or a
        GPU library, to check the device for real, and to change process-wide
        settings. Discovering and listing backends never calls it (DESIGN.md,
        rule 7), so ``unavailable_reason``, ``device_name`` and ``details``
        must do none of that. Raise (a ``RuntimeError`` whose message is the
        reason) when the backend turns out unusable.
    """

    name: str
    array_module: str
    kernel_modules: tuple[str, ...]
    array_adapters: str = "brickwork.numpy_adapters"
    unavailable_reason: Callable[[], str | None] = field(default=lambda: None)
    device_name: Callable[[], str] = field(default=lambda: "cpu")
    details: Callable[[], str] = field(default=lambda: "")
    activate: Callable[[], None] = field(default=lambda: None)
