"""brickwork: Keras-compatible layers on NumPy and CuPy, with pluggable kernels."""
__version__ = "0.1.0"

from brickwork import ops  # noqa: E402  (first: sets up the autodiff operators)
from brickwork import (activations, backend, callbacks, config, constraints,  # noqa: E402
                       dtype_policies, export, initializers, layers, losses, metrics,
                       mixed_precision, models, optimizers, random, regularizers, saving, tree,
                       utils, visualization)
from brickwork import applications  # noqa: E402  (after layers/models; registers LayerScale...)
from brickwork import distribution  # noqa: E402  (keras.distribution: data parallelism)
from brickwork.autodiff import GradientTape, Tensor  # noqa: E402
from brickwork.dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: E402
from brickwork.initializers import Initializer  # noqa: E402
from brickwork.layers import Input, InputSpec, Layer  # noqa: E402
from brickwork.losses import Loss  # noqa: E402
from brickwork.metrics import Metric  # noqa: E402
from brickwork.models import Model, Sequential  # noqa: E402
from brickwork.operation import Function, Operation  # noqa: E402
from brickwork.optimizers import Optimizer  # noqa: E402
from brickwork.regularizers import Regularizer  # noqa: E402
from brickwork.scopes import device, name_scope  # noqa: E402
from brickwork.symbolic import KerasTensor  # noqa: E402
from brickwork.variables import Variable  # noqa: E402


def version():
    """brickwork's version string (``keras.version()`` gives Keras's)."""
    return __version__


backend.check_environment()  # a mistyped BRICKWORK_BACKEND is named at import

__all__ = ["ops", "activations", "applications", "backend", "callbacks", "config", "constraints",
           "dtype_policies", "export", "initializers", "layers", "mixed_precision", "losses",
           "metrics", "models", "optimizers", "random", "regularizers", "saving", "tree", "utils",
           "visualization", "GradientTape", "Tensor", "Input", "InputSpec", "Layer", "Model",
           "Sequential", "KerasTensor", "Variable", "DTypePolicy", "FloatDTypePolicy",
           "Initializer", "Loss", "Metric", "Optimizer", "Regularizer", "Function", "Operation",
           "device", "name_scope", "version"]
