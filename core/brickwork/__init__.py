"""brickwork: Keras-compatible layers on NumPy and CuPy, with pluggable kernels."""
__version__ = "0.1.0"

from brickwork import ops  # noqa: E402  (sets up the autodiff operators)
from brickwork.autodiff import GradientTape, Tensor  # noqa: E402
from brickwork.variables import Variable  # noqa: E402
from brickwork import utils  # noqa: E402
