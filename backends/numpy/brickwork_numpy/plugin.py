"""Entry point ``numpy`` in the ``brickwork`` group: describes the backend.

Describing it has no side effects (DESIGN.md, rule 7): this module imports
neither numba nor the kernels and tunes nothing. When the backend is first
selected, :func:`activate` loads numba for the compiled loops and tunes
glibc's allocator for the process.
"""
import pathlib
import pkgutil

from brickwork.plugin import BackendInfo, hookimpl

from brickwork_numpy import allocator, compiled

# Listed by file name, not imported: the kernels load when the backend does.
_KERNELS_PACKAGE = "brickwork_numpy.kernels"
_KERNELS_PATH = [str(pathlib.Path(__file__).with_name("kernels"))]
KERNEL_MODULES = tuple(f"{_KERNELS_PACKAGE}.{m.name}" for m in pkgutil.iter_modules(_KERNELS_PATH)
                       if not m.name.startswith("_"))


def activate():
    """The backend's first selection: load numba (the compiled loops
    compile from it, each on first use; ``compiled.activate``) and let glibc
    keep large freed arrays (``allocator.tune``)."""
    compiled.activate()
    allocator.tune()


def details() -> str:
    return f"{compiled.describe()}; {allocator.describe()}"


@hookimpl
def brickwork_backend():
    return BackendInfo(
        name="numpy",
        array_module="numpy",
        kernel_modules=KERNEL_MODULES,
        device_name=lambda: "cpu",
        details=details,
        activate=activate,
    )
