"""A test-only backend, "contract", that has exactly what
``brickwork.array_namespace`` declares and nothing more.

Its arrays (:class:`ContractArray`) hold a NumPy array but refuse to become
one implicitly, as a GPU library's arrays do: ``numpy.asarray(a)``, NumPy
functions and ufuncs on them raise ``TypeError``, and they have no ``get``.
Its namespace has only the declared names (``NAMESPACE_NAMES`` and the
declared functions of each submodule); its adapters are the declared
``ArrayAdapters``. Its kernels are the reference kernels
(``brickwork.reference_kernels``) bound to that namespace. So a test run on
it fails wherever core reaches past the contract.

It checks the contract. It is not CuPy and does not test CuPy: it computes
with NumPy on the CPU, with NumPy's dtypes, rounding and memory layout.

Never an entry point: :func:`register` adds it for a test session
(``BRICKWORK_TEST_BACKEND=contract``, ``tests/conftest.py``).
"""
from __future__ import annotations

import contextlib
import operator
import sys
import types

import numpy as np

from brickwork import array_namespace as spec

NAME = "contract"
NAMESPACE_MODULE = "brickwork_contract_namespace"
ADAPTERS_MODULE = "brickwork_contract_adapters"
KERNELS_PACKAGE = "brickwork_contract_kernels"
PLUGIN_NAME = "brickwork-contract-backend"

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed (contract backend, as on a GPU): "
             "core must move arrays to the host with the backend's array_adapters.to_host "
             "(brickwork.ops.convert_to_numpy)")


def _unwrap(value):
    kind = type(value)
    if kind is ContractArray:
        return value._a
    if kind is tuple or kind is list:
        return kind(_unwrap(v) for v in value)
    if kind is dict:
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return ContractArray(value)
    if isinstance(value, np.generic):
        return ContractArray(np.asarray(value))  # reductions give 0-d arrays, as CuPy's do
    kind = type(value)
    if kind is tuple or kind is list:
        return kind(_wrap(v) for v in value)
    return value


def _wrapped(function):
    def call(*args, **kwargs):
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))
    call.__name__ = getattr(function, "__name__", "function")
    call.__doc__ = f"{call.__name__} of the contract namespace (NumPy's, on contract arrays)."
    return call


#: The methods of ``xp.ndarray`` the protocol declares, plus those a NumPy
#: or CuPy array shares that core may call on a backend array.
_METHODS = ("astype", "reshape", "ravel", "copy", "transpose", "sum", "mean", "max", "min", "any",
            "all", "argmax", "argmin", "fill", "item", "tolist", "prod", "std", "var", "cumsum",
            "cumprod", "clip", "squeeze", "swapaxes", "flatten", "dot", "nonzero", "round",
            "conj", "repeat", "take", "sort", "argsort", "view", "diagonal", "trace")

_BINARY = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift")


class ContractArray:
    """An array of the contract backend: a NumPy array behind a wall."""

    __slots__ = ("_a", "__weakref__")  # weakly referenced, as NumPy's and CuPy's (masks)
    __array_ufunc__ = None  # NumPy ufuncs refuse it; ndarray ⊕ ContractArray comes here
    __hash__ = None

    def __init__(self, array):
        self._a = array

    def __array__(self, *args, **kwargs):
        raise TypeError(_IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} on a contract array: {_IMPLICIT}")

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ContractArray(self._a.T))
    real = property(lambda self: ContractArray(self._a.real))
    imag = property(lambda self: ContractArray(self._a.imag))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __bool__(self):
        return bool(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return operator.index(self._a)

    def __repr__(self):
        return f"contract_array({np.array2string(self._a, separator=', ')}, dtype={self._a.dtype})"

    def __neg__(self):
        return ContractArray(-self._a)

    def __pos__(self):
        return ContractArray(+self._a)

    def __abs__(self):
        return ContractArray(abs(self._a))

    def __invert__(self):
        return ContractArray(~self._a)

    def __eq__(self, other):
        return _wrap(self._a == _unwrap(other))

    def __ne__(self, other):
        return _wrap(self._a != _unwrap(other))

    def __lt__(self, other):
        return _wrap(self._a < _unwrap(other))

    def __le__(self, other):
        return _wrap(self._a <= _unwrap(other))

    def __gt__(self, other):
        return _wrap(self._a > _unwrap(other))

    def __ge__(self, other):
        return _wrap(self._a >= _unwrap(other))


def _binary(name):
    forward = getattr(operator, f"__{name}__")

    def op(self, other):
        if isinstance(other, np.ndarray) and other.ndim:
            return NotImplemented  # a host array does not mix in silently
        other = _unwrap(other)  # a host array does not mix in silently
        return _wrap(forward(self._a, other))

    def rop(self, other):
        if isinstance(other, np.ndarray) and other.ndim:
            return NotImplemented  # a host array does not mix in silently
        other = _unwrap(other)
        return _wrap(forward(other, self._a))

    def iop(self, other):
        if isinstance(other, np.ndarray) and other.ndim:
            return NotImplemented  # a host array does not mix in silently
        other = _unwrap(other)
        getattr(operator, f"__i{name}__")(self._a, other)
        return self

    return op, rop, iop


for _name in _BINARY:
    _op, _rop, _iop = _binary(_name)
    setattr(ContractArray, f"__{_name}__", _op)
    setattr(ContractArray, f"__r{_name}__", _rop)
    setattr(ContractArray, f"__i{_name}__", _iop)


def _method(name):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs)))
    method.__name__ = name
    return method


for _name in _METHODS:
    setattr(ContractArray, _name, _method(_name))


# --- the namespace --------------------------------------------------------------

def _asarray(obj, dtype=None, order=None):
    if type(obj) is ContractArray:
        return obj if dtype is None or obj.dtype == dtype else obj.astype(dtype)
    if isinstance(obj, np.ndarray):  # from the host: a copy, as onto a device
        return ContractArray(np.array(obj, dtype=dtype, order=order or "K"))
    return ContractArray(np.asarray(_unwrap(obj), dtype=dtype, order=order))


def _array(obj, dtype=None, copy=True, order="K", ndmin=0):
    if type(obj) is ContractArray and not copy:
        return _asarray(obj, dtype)
    return ContractArray(np.array(_unwrap(obj), dtype=dtype, copy=True, order=order, ndmin=ndmin))


class _Generator:
    """``xp.random.default_rng(seed)``: NumPy's generator, drawing contract arrays."""

    def __init__(self, seed=None):
        self._generator = np.random.default_rng(_unwrap(seed))

    def __getattr__(self, name):
        return _wrapped(getattr(self._generator, name))


_SPECIAL = {"asarray": _asarray, "array": _array, "ndarray": ContractArray,
            "ascontiguousarray": lambda obj, dtype=None: _wrap(np.ascontiguousarray(
                _unwrap(obj), dtype=dtype))}
_SUBMODULE_SOURCES = {"linalg": np.linalg, "fft": np.fft, "random": np.random,
                      "lib": np.lib}


def _submodule(name):
    module = types.ModuleType(f"{NAMESPACE_MODULE}.{name}")
    for attr in spec.SUBMODULES[name]:
        if name == "random" and attr == "default_rng":
            module.default_rng = _Generator
        elif name == "lib" and attr == "stride_tricks":
            tricks = types.ModuleType(f"{NAMESPACE_MODULE}.lib.stride_tricks")
            tricks.as_strided = _wrapped(np.lib.stride_tricks.as_strided)
            tricks.sliding_window_view = _wrapped(np.lib.stride_tricks.sliding_window_view)
            module.stride_tricks = tricks
        else:
            setattr(module, attr, _wrapped(getattr(_SUBMODULE_SOURCES[name], attr)))
    return module


def make_namespace() -> types.ModuleType:
    """The contract namespace: each declared name and no other."""
    module = types.ModuleType(NAMESPACE_MODULE, "The contract backend's array namespace.")
    for name in sorted(spec.NAMESPACE_NAMES):
        if name in _SPECIAL:
            value = _SPECIAL[name]
        elif name in spec.SUBMODULES:
            value = _submodule(name)
        else:
            value = getattr(np, name)
            if callable(value) and not isinstance(value, type):
                value = _wrapped(value)
        setattr(module, name, value)
    return module


# --- the adapters ---------------------------------------------------------------

def make_adapters() -> types.ModuleType:
    module = types.ModuleType(ADAPTERS_MODULE, "The contract backend's array adapters.")

    def to_host(array):
        return array._a.copy() if type(array) is ContractArray else np.asarray(array)

    def scatter(ufunc):
        def at(out, index, values):
            ufunc.at(out._a, _unwrap(index), _unwrap(values))
        return at

    module.to_host = to_host
    module.from_host = _asarray
    module.add_at = scatter(np.add)
    module.maximum_at = scatter(np.maximum)
    module.minimum_at = scatter(np.minimum)
    module.multiply_at = scatter(np.multiply)
    module.device = lambda index: contextlib.nullcontext()

    def special_function(name):
        from brickwork import numpy_adapters
        return _wrapped(numpy_adapters.special_function(name))

    module.special_function = special_function
    return module


# --- the kernels: the reference, bound to the contract namespace ----------------

def make_kernel_modules(xp, adapters) -> dict[str, types.ModuleType]:
    import brickwork.reference_kernels as package
    from brickwork.reference_kernels import bind
    import importlib
    import pkgutil
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name != "binding"]
    references = {name: importlib.import_module(f"{package.__name__}.{name}") for name in names}
    bound: dict[str, types.ModuleType] = {}

    def bind_one(name):
        if name in bound:
            return bound[name]
        reference = references[name]
        siblings = {alias: bind_one(value.__name__.rpartition(".")[2])
                    for alias, value in vars(reference).items()
                    if isinstance(value, types.ModuleType) and "xp" in vars(value)}
        module = types.ModuleType(f"{KERNELS_PACKAGE}.{name}")
        module.BRICKWORK_BACKEND = NAME
        bind(reference, vars(module), xp=xp, **siblings)
        bound[name] = module
        return module

    for name in names:
        bind_one(name)
    # The reference's one ufunc ``.at`` (NumPy's spelling), through the adapters.
    bound["indexing"].scatter_add_rows = adapters.add_at
    return bound


def register():
    """Register the contract backend with the plugin manager (idempotent);
    its modules go into ``sys.modules``, where the backend loader imports them."""
    from brickwork import backend
    from brickwork.plugin import BackendInfo, hookimpl
    manager = backend.plugin_manager()
    if NAME in manager.backends:
        return
    xp, adapters = make_namespace(), make_adapters()
    sys.modules[NAMESPACE_MODULE] = xp
    sys.modules[ADAPTERS_MODULE] = adapters
    kernels = make_kernel_modules(xp, adapters)
    sys.modules.update({module.__name__: module for module in kernels.values()})
    plugin = types.ModuleType("brickwork_contract_plugin")
    plugin.brickwork_backend = hookimpl(lambda: BackendInfo(
        name=NAME, array_module=NAMESPACE_MODULE, array_adapters=ADAPTERS_MODULE,
        kernel_modules=tuple(sorted(m.__name__ for m in kernels.values())),
        device_name=lambda: "cpu (contract check)"))
    manager.register(plugin, PLUGIN_NAME)


def unregister():
    """Undo :func:`register` (the selected backend must be another one)."""
    from brickwork import backend
    manager = backend.plugin_manager()
    manager.unregister(PLUGIN_NAME)
    for name in [n for n in sys.modules if n.startswith((KERNELS_PACKAGE + ".", NAMESPACE_MODULE,
                                                          ADAPTERS_MODULE))]:
        if manager.pm.get_plugin(name) is not None:
            manager.pm.unregister(name=name)
        del sys.modules[name]
    backend.refresh()
