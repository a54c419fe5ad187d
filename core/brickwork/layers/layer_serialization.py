"""``brickwork.layers.serialize`` and ``deserialize``: a layer to its config
dict and back (Keras's ``keras.layers.serialize``/``deserialize``)."""
from __future__ import annotations

from brickwork.layers.layer import Layer
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object


def serialize(layer):
    """Returns the layer's configuration as a Python dict (``module``,
    ``class_name``, ``config``, ``registered_name`` and, once built,
    ``build_config``), the form ``.keras`` files store.

    Args:
        layer: a ``brickwork.layers.Layer`` instance.

    Example:

    >>> config = brickwork.layers.serialize(brickwork.layers.Dense(3))
    >>> config["class_name"]
    'Dense'
    """
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Returns a layer made from a configuration dict (as ``serialize``
    returns it, or a bare ``{"class_name": ..., "config": ...}``).

    Args:
        config: the layer's configuration dict.
        custom_objects: optional dict mapping names to custom classes and
            functions the config refers to.

    Example:

    >>> layer = brickwork.layers.deserialize(
    ...     brickwork.layers.serialize(brickwork.layers.Dense(3)))
    """
    layer = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(f"`brickwork.layers.deserialize` was passed a `config` object that is "
                         f"not a layer's config (it made a {type(layer).__name__}). "
                         f"Received: {config}")
    return layer
