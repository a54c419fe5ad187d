"""Built-in classes registered under their Keras names, at the definition.

``@keras_export("keras.layers.Conv2D", "keras.layers.Convolution2D")`` records
a class in :data:`BUILTIN_MODULES` under each public Keras path it answers to,
as Keras's own export decorator does. The first path is the one the class is
saved with; the rest are names it also loads from. Deserialization looks
classes up only here (and in the user's registries), never by importing a
module path named in a file.

This module imports nothing of brickwork, so any module may use it without
creating an import cycle.
"""
from __future__ import annotations

#: Keras public module -> {name: class}.
BUILTIN_MODULES: dict[str, dict[str, type]] = {}


def register_builtin(keras_module: str, *classes, aliases=None):
    """Record built-in classes under the Keras module name they load from.

    The first module a class is registered under is the one it is saved
    with (Keras' canonical export path); later ones only add load aliases.
    ``aliases`` maps extra names in the same module to classes.
    """
    table = BUILTIN_MODULES.setdefault(keras_module, {})
    for cls in classes:
        table[cls.__name__] = cls
        if "_keras_module" not in cls.__dict__:
            cls._keras_module = keras_module
    for alias, cls in (aliases or {}).items():
        table[alias] = cls


def keras_export(*paths: str):
    """Class decorator: register the class under each public Keras path.

    ``paths`` are full dotted names (``"keras.layers.Dense"``). A path whose
    last part differs from the class name is an alias (``Convolution2D``).
    """
    if not paths:
        raise TypeError("keras_export needs at least one path, e.g. 'keras.layers.Dense'")

    def register(cls):
        for path in paths:
            module, _, name = path.rpartition(".")
            if not module:
                raise ValueError(f"keras_export: {path!r} is not a dotted path like "
                                 f"'keras.layers.{cls.__name__}'")
            if name == cls.__name__:
                register_builtin(module, cls)
            else:
                register_builtin(module, aliases={name: cls})
        return cls

    return register
