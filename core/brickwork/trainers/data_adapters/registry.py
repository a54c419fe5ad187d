"""Data adapters that plugins add through the ``brickwork_data_adapters`` hook."""
from __future__ import annotations

from brickwork.plugins.discovery import add_registration_handler
from brickwork.trainers.data_adapters.base import DataAdapter

_HOOK = "brickwork_data_adapters"


def _table(manager):
    # {plugin name: [adapter classes]} on the manager, in registration order.
    return manager.__dict__.setdefault("data_adapters", {})


def _collect(manager, impl, record) -> None:
    classes = list(impl() or ())
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, DataAdapter)):
            raise TypeError(f"brickwork_data_adapters returned {cls!r}, not a DataAdapter "
                            "subclass")
        if not callable(getattr(cls, "can_handle", None)):
            raise TypeError(f"data adapter {cls.__qualname__} has no can_handle(x, y) classmethod")
    if classes:
        _table(manager)[record.name] = classes


def _forget(manager, record) -> None:
    _table(manager).pop(record.name, None)


def plugin_data_adapters():
    """Adapter classes registered by plugins (loads the plugins on first use)."""
    from brickwork import backend
    return [cls for classes in _table(backend.plugin_manager()).values() for cls in classes]


add_registration_handler(_HOOK, _collect, _forget)
