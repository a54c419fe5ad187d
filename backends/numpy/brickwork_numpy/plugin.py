"""Entry point ``numpy`` in the ``brickwork`` group: describes the backend."""
from brickwork.plugin import BackendInfo, hookimpl

KERNEL_MODULES = (
    "brickwork_numpy.kernels.random",
    "brickwork_numpy.kernels.activations",
    "brickwork_numpy.kernels.dense",
    "brickwork_numpy.kernels.losses",
    "brickwork_numpy.kernels.dropout",
    "brickwork_numpy.kernels.optimizers",
)


@hookimpl
def brickwork_backend():
    return BackendInfo(
        name="numpy",
        array_module="numpy",
        kernel_modules=KERNEL_MODULES,
        device_name=lambda: "cpu",
    )
