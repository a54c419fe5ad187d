"""Entry point ``cupy`` in the ``brickwork`` group: describes the backend.

Imports neither CuPy nor the kernels, so ``import brickwork`` works where
CuPy or a CUDA device is missing; :func:`unavailable_reason` says which.
"""
from __future__ import annotations

import importlib.util
import pkgutil

from brickwork.plugin import BackendInfo, hookimpl

# Listed by file name, not imported: every kernel module imports cupy.
_KERNELS_PACKAGE = "brickwork_cupy.kernels"
_KERNELS_PATH = [str(__import__("pathlib").Path(__file__).with_name("kernels"))]
KERNEL_MODULES = tuple(f"{_KERNELS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(_KERNELS_PATH)
                       if not m.name.startswith("_"))


def unavailable_reason() -> str | None:
    """None when CuPy can compute on a CUDA device here, else a short reason."""
    if importlib.util.find_spec("cupy") is None:
        return "cupy not installed"
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
        kernel_modules=KERNEL_MODULES,
        unavailable_reason=unavailable_reason,
        device_name=device_name,
    )
