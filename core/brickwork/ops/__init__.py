"""``brickwork.ops``: differentiable operations, the only way layers compute.

Everything here accepts backend arrays, NumPy arrays, Python scalars,
Tensors and Variables. Results are backend arrays, or Tensors while a
``GradientTape`` records and an input is tracked.
"""
import sys as _sys

from brickwork import autodiff as _autodiff
from brickwork.ops.array import *  # noqa: F401,F403
from brickwork.ops.core import (backend_xp, cast, convert_to_numpy, convert_to_tensor,  # noqa: F401
                                data_of, dtype_of, kernels, shape, stop_gradient)
from brickwork.ops.math import *  # noqa: F401,F403
from brickwork.ops.nn import *  # noqa: F401,F403
from brickwork.ops.convolution import *  # noqa: F401,F403
from brickwork.ops.pooling import *  # noqa: F401,F403
from brickwork.ops.recurrent import *  # noqa: F401,F403
from brickwork.ops.normalization import *  # noqa: F401,F403
from brickwork.ops.einsum import *  # noqa: F401,F403
from brickwork.ops.resampling import *  # noqa: F401,F403
from brickwork.ops.attention import *  # noqa: F401,F403

_autodiff._ops = _sys.modules[__name__]
