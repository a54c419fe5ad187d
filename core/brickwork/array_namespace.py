"""What core needs from an array library: the array namespace protocol.

A backend gives core two things besides its kernels (``brickwork.hookspecs``):

* ``BackendInfo.array_module``, the **array namespace** ``xp``: a module (or
  any object) with the functions of :class:`ArrayNamespace`, under NumPy's
  names and with NumPy's semantics (NumPy and CuPy are such modules). Core
  reaches it through ``brickwork.ops.backend_xp()`` and uses only the names
  declared here; ``tests/test_array_contract.py`` checks every
  ``xp.<name>`` in core against this list.
* ``BackendInfo.array_adapters``, the few operations NumPy's *module* API
  spells in a way a GPU library cannot follow (:class:`ArrayAdapters`):
  moving an array to the host and back, unbuffered scatter updates
  (``numpy.add.at`` is ``cupyx.scatter_add`` on CuPy), selecting a device, and
  the special functions of ``scipy.special`` core uses. NumPy's are in
  ``brickwork.numpy_adapters``, the default.

Arrays of the namespace need not be NumPy arrays, and core must not
convert them implicitly: a CuPy array refuses ``numpy.asarray``. Core moves
an array to the host only with ``adapters.to_host`` (through
``brickwork.ops.convert_to_numpy``). The array type (``xp.ndarray``)
supports NumPy's operators, indexing (basic, integer and boolean, reading
and assignment), ``shape``/``dtype``/``ndim``/``size``/``T`` and the
methods ``astype``, ``reshape``, ``ravel``, ``copy``, ``transpose``,
``sum``, ``mean``, ``max``, ``min``, ``any``, ``all``, ``argmax``,
``fill``, ``item`` and ``tolist``; ``float()``, ``int()`` and ``bool()`` of a
one-element array give Python numbers (a device synchronisation on a GPU).
Reductions return 0-d arrays, as CuPy's do. Arrays take weak references
(``brickwork.masks`` keeps the Keras mask of a plain array in a side table
that forgets it when the array dies).

The test suite holds a backend that follows exactly this protocol and no
more (``tests/contract_backend.py``): its arrays refuse implicit conversion
to NumPy and its namespace has only the names below. The layer, model,
training and saving tests run on it in CI. It checks the contract; it is
not CuPy and does not test CuPy.
"""
from __future__ import annotations

from typing import Any, Protocol

#: Array creation, from shapes, ranges and existing data.
CREATION = (
    "asarray", "array", "ascontiguousarray", "empty", "empty_like", "zeros", "zeros_like",
    "ones", "ones_like", "full", "arange", "linspace", "logspace", "eye", "tri", "diag",
    "meshgrid", "vander", "kaiser", "bartlett", "blackman", "hamming", "hanning", "copyto")

#: Elementwise math (ufuncs of NumPy; called as functions only: no
#: ``.at``/``.reduce``, which CuPy lacks or spells differently).
ELEMENTWISE = (
    "abs", "add", "subtract", "multiply", "negative", "power", "square", "sqrt", "cbrt",
    "reciprocal", "exp", "exp2", "expm1", "log", "log10", "log1p", "log2", "logaddexp",
    "logaddexp2", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh",
    "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "hypot", "sinc", "i0",
    "ceil", "floor", "round", "trunc", "sign", "signbit", "copysign", "fabs", "mod",
    "floor_divide", "maximum", "minimum", "fmax", "fmin", "clip", "nextafter", "ldexp",
    "nan_to_num", "real", "imag", "conj", "angle", "equal", "greater", "isclose", "isfinite",
    "isinf", "isnan", "logical_and", "logical_or", "logical_not", "logical_xor", "invert",
    "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "fmod", "gcd", "lcm",
    "where")

#: Reductions, scans, sorting and searching.
REDUCTIONS = (
    "sum", "mean", "max", "min", "all", "any", "argmax", "argmin", "count_nonzero", "cumsum",
    "cumprod", "sort", "argsort", "argpartition", "searchsorted", "digitize", "histogram",
    "bincount", "unique", "nonzero", "isin", "matmul", "einsum")

#: Shape manipulation and indexing.
MANIPULATION = (
    "reshape", "broadcast_to", "concatenate", "stack", "split", "array_split", "expand_dims",
    "squeeze", "moveaxis", "swapaxes", "transpose", "flip", "roll", "rot90", "repeat", "tile",
    "pad", "take", "take_along_axis", "put_along_axis", "diagonal", "tril", "triu",
    "unravel_index")

#: Types, dtype information and constants.
TYPES = ("ndarray", "iinfo", "result_type", "float32", "float64", "int64", "inf", "nan")

#: Submodules, with the functions core uses from each.
SUBMODULES = {
    "linalg": ("cholesky", "det", "eigh", "inv", "lstsq", "matrix_rank", "pinv", "qr",
               "slogdet", "solve", "svd"),
    "fft": ("fft", "ifft", "fft2", "ifft2", "rfft", "irfft"),
    "random": ("default_rng",),
    "lib": ("stride_tricks",),  # ``as_strided``: windows of convolution and pooling
}

#: Every top-level name of the namespace.
NAMESPACE_NAMES = frozenset(CREATION + ELEMENTWISE + REDUCTIONS + MANIPULATION + TYPES
                            + tuple(SUBMODULES))

#: The functions of ``BackendInfo.array_adapters``.
ADAPTER_NAMES = ("to_host", "from_host", "add_at", "maximum_at", "minimum_at", "multiply_at",
                 "device", "special_function")


class ArrayNamespace(Protocol):
    """The array namespace ``xp`` of a backend (``BackendInfo.array_module``).

    Every name of :data:`NAMESPACE_NAMES`, with NumPy's signature and
    semantics, grouped as :data:`CREATION`, :data:`ELEMENTWISE`,
    :data:`REDUCTIONS`, :data:`MANIPULATION`, :data:`TYPES` and the
    submodules of :data:`SUBMODULES` (``linalg``, ``fft``, ``random``
    (``default_rng`` only: brickwork's random numbers are drawn by the
    ``random_*`` kernels from a generator made with it) and ``lib``). A
    namespace may have more names; core uses no others.
    """

    ndarray: type

    def asarray(self, obj: Any, dtype: Any = None) -> Any:
        """An array of the namespace from an array, a NumPy array or nested lists."""

    def __getattr__(self, name: str) -> Any:
        """Each other declared name, as NumPy has it."""


class ArrayAdapters(Protocol):
    """The operations of ``BackendInfo.array_adapters`` (a module with these
    functions): what NumPy's module API cannot say for every library."""

    def to_host(self, array: Any) -> Any:
        """``array`` as a ``numpy.ndarray`` (a copy off a device)."""

    def from_host(self, array: Any) -> Any:
        """A ``numpy.ndarray`` (or nested lists) as an array of the namespace."""

    def add_at(self, out: Any, index: Any, values: Any) -> None:
        """``out[index] += values``, unbuffered: repeated indices accumulate
        (``numpy.add.at``; ``cupyx.scatter_add``)."""

    def maximum_at(self, out: Any, index: Any, values: Any) -> None:
        """``out[index] = maximum(out[index], values)``, unbuffered."""

    def minimum_at(self, out: Any, index: Any, values: Any) -> None:
        """``out[index] = minimum(out[index], values)``, unbuffered."""

    def multiply_at(self, out: Any, index: Any, values: Any) -> None:
        """``out[index] *= values``, unbuffered."""

    def device(self, index: int) -> Any:
        """A context manager making accelerator ``index`` current for a block
        (``brickwork.device("gpu:1")``); a CPU backend's selects nothing."""

    def special_function(self, name: str) -> Any:
        """``scipy.special.<name>`` for the namespace's arrays (``erf``,
        ``erfc``, ``erfinv``; ``cupyx.scipy.special`` on CuPy)."""


def missing_names(xp) -> list[str]:
    """The declared names ``xp`` lacks (``submodule.name`` for a submodule's)."""
    missing = [name for name in sorted(NAMESPACE_NAMES) if not hasattr(xp, name)]
    for sub, names in SUBMODULES.items():
        module = getattr(xp, sub, None)
        if module is not None:
            missing += [f"{sub}.{name}" for name in names if not hasattr(module, name)]
    return missing
