"""Entry point ``numpy`` in the ``brickwork`` group: describes the backend."""
import pkgutil

from brickwork.plugin import BackendInfo, hookimpl

from brickwork_numpy import allocator, compiled, kernels

# Every module of the kernels package holds hookimpls; listing them without
# importing them keeps `import brickwork` cheap.
KERNEL_MODULES = tuple(f"{kernels.__name__}.{m.name}" for m in pkgutil.iter_modules(kernels.__path__)
                       if not m.name.startswith("_"))


@hookimpl
def brickwork_backend():
    return BackendInfo(
        name="numpy",
        array_module="numpy",
        kernel_modules=KERNEL_MODULES,
        device_name=lambda: "cpu",
        details=lambda: f"{compiled.describe()}; {allocator.describe()}",
    )
