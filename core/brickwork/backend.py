"""Backend selection: which array library computes, and its kernel table.

``set_backend`` resolves every kernel spec once into a plain function
reference, so that a kernel call in a training loop costs one Python call.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import types
from dataclasses import dataclass

from brickwork.plugin_manager import PluginManager, kernel_spec_names

BACKEND_ENV = "BRICKWORK_BACKEND"
DEFAULT_BACKEND = "numpy"


class BackendError(ValueError):
    """An unknown or unusable backend was requested."""


@dataclass(frozen=True)
class BackendStatus:
    name: str
    usable: bool
    reason: str | None
    device: str | None
    missing_kernels: tuple[str, ...]
    details: str = ""


class Backend:
    """A selected backend: its array namespace ``xp`` and its kernel table."""

    def __init__(self, info, xp, kernel_table: dict):
        self.info = info
        self.name = info.name
        self.xp = xp
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
    """Lazily started plugin manager plus the currently selected backend."""

    def __init__(self):
        self._manager: PluginManager | None = None
        self.current: Backend | None = None
        self.selected_by = ""  # why ``current`` is the one: for ``info``
        self._loaded: dict[str, Backend] = {}

    @property
    def manager(self) -> PluginManager:
        if self._manager is None:
            self._manager = PluginManager()
            self._manager.load_entry_points()
        return self._manager

    def load(self, name: str) -> Backend:
        if name in self._loaded:
            return self._loaded[name]
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
        manager.ensure_kernel_modules(info)
        xp = importlib.import_module(info.array_module)
        backend = Backend(info, xp, manager.resolve_kernels(info))
        self._loaded[name] = backend
        return backend

    def refresh(self) -> None:
        """Re-resolve kernel tables after plugins were registered or removed."""
        self._loaded.clear()
        if self.current is not None:
            self.current = self.load(self.current.name)


_registry = _Registry()


def get_backend() -> Backend:
    """The backend in use (selected from ``BRICKWORK_BACKEND`` on first use)."""
    if _registry.current is None:
        name = _environment_backend()
        if name is None:
            _registry.current = _registry.load(DEFAULT_BACKEND)
            _registry.selected_by = f"the default ({BACKEND_ENV} is not set)"
        else:
            try:
                _registry.current = _registry.load(name)
            except BackendError as exc:
                raise BackendError(f"{BACKEND_ENV}={name!r}: {exc}. Set {BACKEND_ENV} to a "
                                   f"usable backend, or unset it for {DEFAULT_BACKEND!r}.") from None
            _registry.selected_by = f"{BACKEND_ENV}={name}"
    return _registry.current


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
    """Why the backend in use was selected (``python -m brickwork info``)."""
    get_backend()
    return _registry.selected_by


def backend() -> str:
    """Name of the backend in use, as ``keras.backend.backend()`` gives it."""
    return get_backend().name


def set_backend(name: str) -> Backend:
    """Select the backend named ``name`` for everything computed from now on."""
    _registry.current = _registry.load(name)
    _registry.selected_by = f"set_backend({name!r})"
    return _registry.current


@contextlib.contextmanager
def use_backend(name: str):
    """Select a backend for the duration of a ``with`` block."""
    previous = _registry.current, _registry.selected_by
    current = set_backend(name)
    _registry.selected_by = f"use_backend({name!r})"
    try:
        yield current
    finally:
        _registry.current, _registry.selected_by = previous


def list_backends() -> list[BackendStatus]:
    """Every installed backend, whether it can run here and why not."""
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
