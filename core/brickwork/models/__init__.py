"""``brickwork.models``: Model, Sequential, cloning, and loading."""
from brickwork.models.cloning import clone_model
from brickwork.models.functional import Functional
from brickwork.models.model import Model
from brickwork.models.sequential import Sequential
from brickwork.saving.serialization import register_builtin

# Functional first: Keras saves it under its internal module (not exported).
register_builtin("keras.src.models.functional", Functional)
register_builtin("keras", Model, Sequential, Functional)
register_builtin("keras.models", Model, Sequential, Functional)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (architecture only) from ``Model.to_json()``."""
    import json
    from brickwork import layers  # noqa: F401  (registers built-in layers)
    from brickwork.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects,
                                    kind="model")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model from a Keras 3 ``.keras`` archive (see ``brickwork.saving``)."""
    from brickwork.saving import saving_api
    return saving_api.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                 safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` as a Keras 3 ``.keras`` archive."""
    from brickwork.saving import saving_api
    saving_api.save_model(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


__all__ = ["Model", "Sequential", "Functional", "clone_model", "model_from_json", "load_model",
           "save_model"]
