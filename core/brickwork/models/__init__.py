"""``brickwork.models``: Model, Sequential, and loading."""
from brickwork.models.functional import Functional
from brickwork.models.model import Model
from brickwork.models.sequential import Sequential
from brickwork.saving.serialization import register_builtin

register_builtin("keras", Model, Sequential, Functional)
register_builtin("keras.models", Model, Sequential, Functional)
register_builtin("keras.src.models.functional", Functional)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (architecture only) from ``Model.to_json()``."""
    import json
    from brickwork import layers  # noqa: F401  (registers built-in layers)
    from brickwork.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects,
                                    kind="model")


__all__ = ["Model", "Sequential", "Functional", "model_from_json"]
