"""``brickwork.ops``: differentiable operations, the only way layers compute.

Everything here accepts backend arrays, NumPy arrays, Python scalars,
Tensors and Variables. Results are backend arrays, or Tensors while a
``GradientTape`` records and an input is tracked. Given a ``KerasTensor``
(anywhere in its arguments) an op returns KerasTensors and adds a node to
the functional graph, so ``x + 1.0`` and ``ops.mean(x, axis=1)`` build
functional models.

The Keras submodules ``ops.numpy``, ``ops.nn``, ``ops.linalg`` and
``ops.image`` hold the same functions under Keras's grouping.
"""
import sys as _sys

from brickwork import autodiff as _autodiff
from brickwork.ops.core import (backend_xp, cast, convert_to_numpy, convert_to_tensor,  # noqa: F401
                                data_of, dtype_of, kernels, shape, symbolic_op)
from brickwork.ops.manipulation import *  # noqa: F401,F403
from brickwork.ops.math import *  # noqa: F401,F403
from brickwork.ops.nn import *  # noqa: F401,F403
from brickwork.ops.convolution import *  # noqa: F401,F403
from brickwork.ops.pooling import *  # noqa: F401,F403
from brickwork.ops.recurrent import *  # noqa: F401,F403
from brickwork.ops.normalization import *  # noqa: F401,F403
from brickwork.ops.collective import sum_over_processes  # noqa: F401
from brickwork.ops.einsum import *  # noqa: F401,F403
from brickwork.ops.resampling import *  # noqa: F401,F403
from brickwork.ops.attention import *  # noqa: F401,F403
from brickwork.ops.numeric import *  # noqa: F401,F403
from brickwork.ops.control_flow import *  # noqa: F401,F403
from brickwork.ops.linalg import *  # noqa: F401,F403
from brickwork.ops import image, linalg, nn  # noqa: F401,E402
from brickwork.ops.nn import elu, relu6  # noqa: F401,E402  (nn's, with Keras's parameters)

_autodiff.register_operators(_sys.modules[__name__])

# Functions that never take tensors (or take functions): not wrapped for KerasTensors.
_NOT_SYMBOLIC = {
    "backend_xp", "kernels", "data_of", "shape", "dtype_of", "symbolic_op", "convert_to_numpy",
    "custom_gradient", "is_tensor", "unbroadcast", "needs_grad", "record", "shape_of_data",
    "standardize_tuple", "standardize_data_format", "effective_size", "same_padding",
    "padding_pairs", "conv_output_length", "conv_transpose_output_length",
    "conv_transpose_padding", "jvp", "eye", "identity", "tri", "zeros", "ones", "empty",
    "arange", "linspace", "logspace", "geomspace", "bartlett", "blackman", "hamming", "hanning",
    "kaiser",
}


def _wrap_for_symbolic_tensors():
    namespace = globals()
    targets = [namespace, vars(nn), vars(linalg), vars(image)]
    wrapped = {}
    for name, value in list(namespace.items()):
        if (name.startswith("_") or name in _NOT_SYMBOLIC or not callable(value)
                or type(value).__name__ != "function" or getattr(value, "_symbolic_wrapped", False)
                or not getattr(value, "__module__", "").startswith("brickwork.ops")):
            continue
        wrapped[id(value)] = symbolic_op(value)
    for target in targets:
        for name, value in list(target.items()):
            if not name.startswith("_") and id(value) in wrapped and callable(value):
                target[name] = wrapped[id(value)]
    for module in (linalg, image):
        for name in module.__all__:
            function = getattr(module, name)
            if name not in _NOT_SYMBOLIC and not getattr(function, "_symbolic_wrapped", False):
                setattr(module, name, symbolic_op(function))


_wrap_for_symbolic_tensors()

# keras.ops.nn holds the convolutions, pooling, normalizations and encodings too.
for _name in ("conv", "conv_transpose", "depthwise_conv", "separable_conv", "average_pool",
              "max_pool", "batch_normalization", "layer_normalization", "one_hot", "multi_hot",
              "dot_product_attention", "moments"):
    if _name in globals():
        setattr(nn, _name, globals()[_name])

from brickwork.ops import numpy  # noqa: E402,F401  (after wrapping: it copies these functions)

del _name
