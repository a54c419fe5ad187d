"""Entry point ``transformer`` in group ``brickwork``: what this package adds."""
from brickwork.plugin import hookimpl

#: Kernel modules per backend, imported only when that backend is selected.
KERNEL_MODULES = {"numpy": ["brickwork_transformer.numpy_kernels"],
                  "cupy": ["brickwork_transformer.cupy_kernels"]}


@hookimpl
def brickwork_kernel_specs():
    return ["brickwork_transformer.hookspecs"]


@hookimpl
def brickwork_kernel_modules(backend_name):
    return KERNEL_MODULES.get(backend_name, [])


@hookimpl
def brickwork_layers():
    from brickwork_transformer.layers import (SinePositionEncoding, TokenAndPositionEmbedding,
                                              TransformerEncoder)
    return [SinePositionEncoding, TokenAndPositionEmbedding, TransformerEncoder]
