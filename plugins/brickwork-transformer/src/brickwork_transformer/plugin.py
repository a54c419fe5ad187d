"""Entry point ``transformer`` in group ``brickwork``: what this package adds."""
from brickwork.plugin import hookimpl

#: Kernel modules per backend; a CuPy module would be listed under "cupy".
KERNEL_MODULES = {"numpy": ["brickwork_transformer.numpy_kernels"]}


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
