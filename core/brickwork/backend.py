"""Backend selection: which array library computes, and its kernel table.

``set_backend`` resolves every kernel spec once into a plain function
reference, so that a kernel call in a training loop costs one Python call.

Listing backends (``list_backends``) loads their kernel tables but selects
none: a backend imports its compiler, touches its device and changes
process-wide settings in ``BackendInfo.activate``, which runs once, when it
is first selected (``set_backend``, ``use_backend`` or the default's first
use). DESIGN.md, rule 7.

The module also holds Keras 3's ``keras.backend`` functions (``floatx``,
``epsilon``, ``image_data_format`` and their setters, ``result_type``,
``standardize_dtype``, ``clear_session``, ...), at the end. It imports
nothing heavy: the dtype functions load NumPy only when called.
"""
from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import threading
import types
from dataclasses import dataclass

from brickwork import global_state, naming
from brickwork.plugin_manager import BackendError, PluginManager, kernel_spec_names

BACKEND_ENV = "BRICKWORK_BACKEND"
DEFAULT_BACKEND = "numpy"


@dataclass(frozen=True)
class BackendStatus:
    name: str
    usable: bool
    reason: str | None
    device: str | None
    missing_kernels: tuple[str, ...]
    details: str = ""


class Backend:
    """A selected backend: its array namespace ``xp``, its array adapters
    (``brickwork.array_namespace``) and its kernel table."""

    def __init__(self, info, xp, kernel_table: dict, adapters=None):
        self.info = info
        self.name = info.name
        self.xp = xp
        self.adapters = adapters
        self.kernels = types.SimpleNamespace(**kernel_table)
        self.missing_kernels = tuple(n for n in kernel_spec_names() if n not in kernel_table)
        for name in self.missing_kernels:
            setattr(self.kernels, name, _missing_kernel(self.name, name))

    def __repr__(self):
        return f"<brickwork backend {self.name!r}>"


def _missing_kernel(backend_name, kernel_name):
    def missing(*args, **kwargs):
        raise BackendError(
            f"backend {backend_name!r} has no implementation of kernel {kernel_name!r}; "
            f"run `python -m brickwork info` to see its kernel coverage")
    return missing


class _Registry:
    """Lazily started plugin manager, loaded backends, and the process's
    default backend (``set_backend`` / ``BRICKWORK_BACKEND``)."""

    def __init__(self):
        self._manager: PluginManager | None = None
        self._lock = threading.RLock()  # one discovery and one load per backend
        self.default: Backend | None = None
        self.default_reason = ""  # what selected ``default``: for ``info``
        self._loaded: dict[str, Backend] = {}
        self._activated: set[str] = set()  # backends whose ``activate`` ran (once per process)

    @property
    def manager(self) -> PluginManager:
        if self._manager is None:
            with self._lock:
                if self._manager is None:
                    manager = PluginManager()
                    manager.load_entry_points()
                    self._manager = manager
        return self._manager

    def load(self, name: str) -> Backend:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        with self._lock:
            return self._loaded.get(name) or self._load_new(name)

    def select(self, name: str) -> Backend:
        """``load``, after activating the backend if this is its first selection."""
        if name not in self._activated:
            with self._lock:
                if name not in self._activated:
                    info = self._usable_info(name)
                    try:
                        info.activate()
                    except Exception as exc:
                        raise BackendError(f"backend {name!r} is not usable here: "
                                           f"{_activation_failure(exc)}") from exc
                    self._activated.add(name)
        return self.load(name)

    def _usable_info(self, name: str):
        manager = self.manager
        info = manager.backends.get(name)
        if info is None:
            known = ", ".join(sorted(manager.backends)) or "none"
            raise BackendError(f"unknown backend {name!r}; known backends: {known}")
        try:
            reason = info.unavailable_reason()
        except Exception as exc:
            reason = f"availability check failed: {type(exc).__name__}: {exc}"
        if reason:
            raise BackendError(f"backend {name!r} is not usable here: {reason}")
        return info

    def _load_new(self, name: str) -> Backend:
        manager = self.manager
        info = self._usable_info(name)
        manager.ensure_kernel_modules(info)
        xp = importlib.import_module(info.array_module)
        adapters = importlib.import_module(info.array_adapters)
        backend = Backend(info, xp, manager.resolve_kernels(info), adapters)
        self._loaded[name] = backend
        return backend

    def refresh(self) -> None:
        """Re-resolve kernel tables after plugins were registered or removed."""
        with self._lock:
            self._loaded.clear()
            if self.default is not None:
                self.default = self.load(self.default.name)


def _activation_failure(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if isinstance(exc, (RuntimeError, BackendError)) and text else \
        f"activation failed: {type(exc).__name__}: {text}"


_registry = _Registry()

# ``use_backend``'s selection, (name, reason): a context variable, so each
# thread and each asyncio task sees its own; None means the process default.
_context_selection: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "brickwork_backend_selection", default=None)


def get_backend() -> Backend:
    """The backend in use here: this context's ``use_backend`` selection, or
    the process default (selected from ``BRICKWORK_BACKEND`` on first use)."""
    selection = _context_selection.get()
    if selection is not None:
        return _registry.select(selection[0])
    default = _registry.default
    return default if default is not None else _select_default()


def _select_default() -> Backend:
    with _registry._lock:
        if _registry.default is not None:
            return _registry.default
        name = _environment_backend()
        if name is None:
            _registry.default = _registry.select(DEFAULT_BACKEND)
            _registry.default_reason = f"the default ({BACKEND_ENV} is not set)"
        else:
            try:
                _registry.default = _registry.select(name)
            except BackendError as exc:
                raise BackendError(f"{BACKEND_ENV}={name!r}: {exc}. Set {BACKEND_ENV} to a "
                                   f"usable backend, or unset it for {DEFAULT_BACKEND!r}.") from None
            _registry.default_reason = f"{BACKEND_ENV}={name}"
        return _registry.default


def _environment_backend() -> str | None:
    value = os.environ.get(BACKEND_ENV, "").strip()
    return value or None


def check_environment() -> None:
    """Refuse a ``BRICKWORK_BACKEND`` that names no installed backend (run at
    ``import brickwork``, as Keras checks ``KERAS_BACKEND`` at import, so a
    typo is named before the first layer runs). Only discovers plugins when
    the variable is set."""
    name = _environment_backend()
    if name is None:
        return
    known = sorted(_registry.manager.backends)
    if name not in known:
        raise BackendError(
            f"The environment variable {BACKEND_ENV}={name!r} names no installed backend; "
            f"known backends: {', '.join(known) or 'none'}. Set it to one of them, or unset it "
            f"for the default ({DEFAULT_BACKEND!r}).")


def selection_reason() -> str:
    """Why the backend in use here was selected (``python -m brickwork info``)."""
    selection = _context_selection.get()
    if selection is not None:
        return selection[1]
    _select_default()
    return _registry.default_reason


def owner_of(array) -> Backend | None:
    """The loaded backend whose array type ``array`` is (the one in use
    first), or None: for host transfer of an array another backend made."""
    current = get_backend()
    if isinstance(array, current.xp.ndarray):
        return current
    for loaded in list(_registry._loaded.values()):
        if isinstance(array, loaded.xp.ndarray):
            return loaded
    return None


def to_host(array):
    """``array`` as a NumPy array: a backend array of any loaded backend
    (through its ``array_adapters.to_host``), or host data (lists, scalars)."""
    import numpy as np
    if type(array) is np.ndarray:
        return array
    owner = owner_of(array)
    return np.asarray(array) if owner is None else owner.adapters.to_host(array)


def selected_backend_count() -> int:
    """How many backends this process has selected so far: while it is one,
    every array brickwork made lives on that backend."""
    return len(_registry._activated)


def backend() -> str:
    """Name of the backend in use, as ``keras.backend.backend()`` gives it."""
    return get_backend().name


def set_backend(name: str) -> Backend:
    """Select the backend named ``name`` as the process default, for
    everything computed from now on. Inside a ``use_backend`` block it
    applies to the rest of that block too (and stays the default after)."""
    backend = _registry.select(name)
    with _registry._lock:
        _registry.default, _registry.default_reason = backend, f"set_backend({name!r})"
    if _context_selection.get() is not None:
        _context_selection.set((name, f"set_backend({name!r})"))
    return backend


@contextlib.contextmanager
def use_backend(name: str):
    """Select a backend for the duration of a ``with`` block, in this thread
    or asyncio task only: others keep theirs (a context variable)."""
    backend = _registry.select(name)
    token = _context_selection.set((name, f"use_backend({name!r})"))
    try:
        yield backend
    finally:
        _context_selection.reset(token)


def list_backends() -> list[BackendStatus]:
    """Every installed backend, whether it can run here and why not.

    Selects none of them: their kernel tables are loaded (to report missing
    kernels), but no backend is activated (``BackendInfo.activate``), so
    listing imports no compiler and changes no process-wide setting."""
    statuses = []
    for name, info in sorted(_registry.manager.backends.items()):
        device, missing, details = None, (), ""
        try:
            reason = info.unavailable_reason()
        except Exception as exc:
            reason = f"availability check failed: {type(exc).__name__}: {exc}"
        if not reason:
            try:
                loaded = _registry.load(name)
                device, missing = info.device_name(), loaded.missing_kernels
                details = info.details()
            except Exception as exc:
                reason = f"failed to load: {type(exc).__name__}: {exc}"
        statuses.append(BackendStatus(name, reason is None, reason, device, missing, details))
    return statuses


def plugin_manager() -> PluginManager:
    return _registry.manager


def refresh() -> None:
    _registry.refresh()


def ensure_plugins_loaded() -> bool:
    """Load the installed plugins unless that already happened; True if it happened now.

    Deserialization calls this before giving up on a class name, because
    plugin layers register themselves when the plugins load.
    """
    if _registry._manager is not None:
        return False
    _registry.manager  # noqa: B018  (starts discovery)
    return True


# --- Keras 3's ``keras.backend`` functions ------------------------------------
#
# Settings live in ``brickwork.global_state``; ``brickwork.config`` re-exports
# the setters from here. Functions needing NumPy import it when called.

def floatx():
    """The default float dtype (``'float32'`` unless set)."""
    return global_state.settings["floatx"]


def set_floatx(value):
    """Set the default float dtype: ``'bfloat16'``, ``'float16'``,
    ``'float32'`` or ``'float64'``.

    As in Keras, layers take it through the global dtype policy, which is
    read once: call ``set_floatx`` before building layers, or call
    ``brickwork.utils.clear_session()`` after it. NumPy and CuPy have no
    bfloat16 arrays, so ``'bfloat16'`` is accepted here but layers refuse it.

    Raises:
        ValueError: In case of invalid value.
    """
    if value not in global_state.FLOAT_DTYPES:
        raise ValueError(f"Unknown `floatx` value: {value}. "
                         f"Expected one of {set(global_state.FLOAT_DTYPES)}")
    global_state.settings["floatx"] = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-07`` by default)."""
    return global_state.settings["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor used in numeric expressions."""
    global_state.settings["epsilon"] = value


def image_data_format():
    """The default image data format: ``'channels_last'`` (the default) or
    ``'channels_first'``."""
    return global_state.settings["image_data_format"]


def set_image_data_format(data_format):
    """Set the default image data format, ``'channels_first'`` or
    ``'channels_last'``, used by layers created with ``data_format=None``.

    Raises:
        ValueError: In case of invalid value.
    """
    data_format = str(data_format).lower()
    if data_format not in global_state.DATA_FORMATS:
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    global_state.settings["image_data_format"] = data_format


def clear_session(free_memory=True):
    """Reset the state brickwork keeps between models, as Keras's
    ``clear_session``: automatic layer names start again (``dense``, not
    ``dense_10``), and the session settings (the global dtype policy,
    interactive logging, traceback filtering, flash attention) go back to
    their defaults. ``floatx``, ``epsilon``, ``image_data_format`` and the
    selected backend stay.

    Args:
        free_memory: Whether to run Python's garbage collector afterwards.
    """
    global_state.clear_session(free_memory=free_memory)


def get_uid(prefix=""):
    """A per-prefix counter: 1 on the first call with ``prefix``, then 2, ...
    (the counter behind automatic layer names; ``clear_session`` resets it)."""
    return naming.get_uid(prefix)


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor (``brickwork.KerasTensor``, what
    ``Input`` returns and layers give back in the functional API)."""
    from brickwork.symbolic import KerasTensor
    return isinstance(x, KerasTensor)


def standardize_dtype(dtype):
    """A dtype's canonical name: ``"float32"`` from ``"float32"``,
    ``numpy.float32``, ``numpy.dtype("float32")`` or a dtype policy; Python
    ``int``/``float``/``bool``/``str``/``complex`` give ``"int32"``,
    ``"float32"``, ``"bool"``, ``"string"``, ``"complex64"``; None gives
    ``floatx()``.

    Raises:
        ValueError: an unknown dtype.
    """
    from brickwork.dtypes import standardize_dtype as standardize
    return standardize(dtype)


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point dtype (bfloat16 included)."""
    from brickwork.dtypes import is_float_dtype as is_float
    return is_float(dtype)


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    from brickwork.dtypes import is_int_dtype as is_int
    return is_int(dtype)


def result_type(*dtypes):
    """The dtype Keras 3's promotion rules give for ``dtypes`` (a lattice as
    in JAX: ``result_type("int32", "float16")`` is float16, ``int8`` with
    Python ``int`` stays int8; 64-bit results come back 32-bit, as on Keras's
    JAX, torch and NumPy backends). No argument gives ``floatx()``."""
    from brickwork.dtypes import result_type as promote
    return promote(*dtypes)
