"""brickwork: Keras-compatible layers on NumPy and CuPy, with pluggable kernels."""
__version__ = "0.1.0"

from brickwork import ops  # noqa: E402  (first: sets up the autodiff operators)
from brickwork import (activations, backend, callbacks, config, constraints,  # noqa: E402
                       initializers, layers, losses, metrics, mixed_precision, models, optimizers,
                       regularizers, saving, utils, visualization)
from brickwork.autodiff import GradientTape, Tensor  # noqa: E402
from brickwork.layers import Input, Layer  # noqa: E402
from brickwork.models import Model, Sequential  # noqa: E402
from brickwork.symbolic import KerasTensor  # noqa: E402
from brickwork.variables import Variable  # noqa: E402

backend.check_environment()  # a mistyped BRICKWORK_BACKEND is named at import

__all__ = ["ops", "activations", "backend", "callbacks", "config", "constraints", "initializers",
           "layers", "mixed_precision",
           "losses", "metrics", "models", "optimizers", "regularizers", "saving", "utils", "visualization", "GradientTape", "Tensor", "Input",
           "Layer", "Model", "Sequential", "KerasTensor", "Variable"]
