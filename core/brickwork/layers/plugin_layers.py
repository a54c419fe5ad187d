"""Layers that plugins add (the ``brickwork_layers`` hook), living with the layers.

Each class a plugin returns is registered for saving under its
``package>Name`` key (unless the plugin registered it itself) so that saved
models using it load again, and is reachable as ``brickwork.layers.<Name>``
unless a core layer or an earlier plugin took that name (the clash rules of
:mod:`brickwork.plugins.discovery`; both are reported).
"""
from __future__ import annotations

import sys

from brickwork import backend
from brickwork.layers.layer import Layer
from brickwork.plugins.discovery import add_registration_handler
from brickwork.saving import object_registration as registry

_HOOK = "brickwork_layers"


def _collect(manager, impl, record) -> None:
    classes = list(impl() or ())
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"brickwork_layers returned {cls!r}, not a brickwork Layer subclass")
    for cls in classes:
        registered = registry.GLOBAL_CUSTOM_NAMES.get(cls)
        if registered is None:
            registered = f"{cls.__module__.split('.')[0]}>{cls.__name__}"
        holder = registry.GLOBAL_CUSTOM_OBJECTS.get(registered)
        if holder is not None and holder is not cls:
            manager._clash(f"layer {registered!r} from plugin {record.name!r} ignored: the name "
                           f"is already registered to {holder.__module__}.{holder.__qualname__}")
            continue
        if holder is None:
            package, _, short = registered.partition(">")
            registry.register_keras_serializable(package, short)(cls)
            record.owned_registrations.append(registered)
        record.layers.append(registered)
        _claim_layer_attribute(manager, cls, record)


def _claim_layer_attribute(manager, cls, record) -> None:
    """Make ``cls`` reachable as ``brickwork.layers.<Name>`` unless taken."""
    short = cls.__name__
    # The package that imports this module: its namespace is read, not imported.
    core_namespace = vars(sys.modules.get("brickwork.layers", sys.modules[__name__]))
    if short in core_namespace:
        manager._clash(f"layer {short!r} from plugin {record.name!r}: brickwork.layers.{short} "
                       f"stays the core layer; load the plugin's one by its registered name")
    elif manager.layers.get(short, cls) is not cls:
        manager._clash(f"layer {short!r} from plugin {record.name!r}: brickwork.layers.{short} "
                       f"stays the one of plugin {manager.layer_owners[short]!r}")
    elif short not in manager.layers:
        manager.layers[short] = cls
        manager.layer_owners[short] = record.name


def _forget(manager, record) -> None:
    for registered in record.owned_registrations:
        cls = registry.GLOBAL_CUSTOM_OBJECTS.pop(registered, None)
        registry.GLOBAL_CUSTOM_NAMES.pop(cls, None)
    for short in [s for s, owner in manager.layer_owners.items() if owner == record.name]:
        del manager.layers[short], manager.layer_owners[short]


def plugin_layer(name: str):
    """``brickwork.layers.__getattr__``: a layer class some plugin added.

    Only CamelCase names are looked up (submodule imports also ask the
    package for attributes), and never while brickwork itself is importing.
    """
    package_spec = getattr(sys.modules.get("brickwork"), "__spec__", None)
    if name[:1].isupper() and not getattr(package_spec, "_initializing", False):
        cls = backend.plugin_manager().layers.get(name)  # loads the plugins on first use
        if cls is not None:
            return cls
    raise AttributeError(f"module 'brickwork.layers' has no attribute {name!r}")


add_registration_handler(_HOOK, _collect, _forget)
