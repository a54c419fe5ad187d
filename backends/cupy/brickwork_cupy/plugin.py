"""Entry point ``cupy`` in the ``brickwork`` group: describes the backend.

Imports neither CuPy nor the kernels, so ``import brickwork`` works where
CuPy or a CUDA device is missing; :func:`unavailable_reason` says which.

Listing backends has no side effects (DESIGN.md, rule 7): on Linux,
:func:`unavailable_reason` looks for CuPy's files and for an NVIDIA device
file without importing CuPy or loading a CUDA library. :func:`activate`, run
when the backend is first selected, imports CuPy and asks the CUDA runtime
for a device. Elsewhere (no ``/dev`` to look at) the full check runs in both.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import pkgutil
import platform
import re

from brickwork.plugin import BackendInfo, hookimpl

from brickwork_cupy import reference_switch

# Listed by file name, not imported: every kernel module imports cupy.
_KERNELS_PACKAGE = "brickwork_cupy.kernels"
_KERNELS_PATH = [str(pathlib.Path(__file__).with_name("kernels"))]
KERNEL_MODULES = tuple(f"{_KERNELS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(_KERNELS_PATH)
                       if not m.name.startswith("_"))


def unavailable_reason() -> str | None:
    """None when CuPy looks able to compute on a CUDA device here, else a
    short reason; imports nothing on Linux (see the module's docstring)."""
    if importlib.util.find_spec("cupy") is None:
        return "cupy not installed"
    if platform.system() != "Linux":
        return _runtime_reason()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and (not visible.strip() or visible.strip().startswith("-1")):
        return f"no CUDA device (CUDA_VISIBLE_DEVICES={visible!r} hides every device)"
    if not _device_files():
        return ("no CUDA device (no NVIDIA device file in /dev: no driver loaded, or no GPU "
                "given to this machine)")
    return None


def _device_files() -> list[str]:
    """``/dev/nvidia0``, ... (``/dev/dxg`` under WSL): the driver's GPUs here."""
    try:
        names = os.listdir("/dev")
    except OSError:
        return []
    return [n for n in names if re.fullmatch(r"nvidia\d+|dxg", n)]


def activate() -> None:
    """The backend's first selection: import CuPy and find a device, or
    raise RuntimeError with the reason."""
    reason = _runtime_reason()
    if reason is not None:
        raise RuntimeError(reason)


def _runtime_reason() -> str | None:
    """The full check: CuPy imports and the CUDA runtime finds a device."""
    try:
        import cupy
    except Exception as exc:  # a broken install (wrong CUDA wheel, missing libraries)
        return f"cupy failed to import ({type(exc).__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, insufficient driver, ...
        return f"no CUDA device ({_short(exc)})"
    if count < 1:
        return "no CUDA device (the CUDA runtime found 0 devices)"
    return None


def device_name() -> str:
    import cupy
    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    if isinstance(name, bytes):
        name = name.decode()
    return f"cuda:{device.id} ({name})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


@hookimpl
def brickwork_backend():
    return BackendInfo(
        name="cupy",
        array_module="cupy",
        array_adapters="brickwork_cupy.adapters",
        kernel_modules=KERNEL_MODULES,
        unavailable_reason=unavailable_reason,
        device_name=device_name,
        details=reference_switch.describe,
        activate=activate,
    )
