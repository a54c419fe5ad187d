"""``brickwork.saving``: the Keras 3 ``.keras`` format, weights files, configs,
and the registry of custom serializable objects.

Loading treats files as untrusted: a file that cannot be loaded fails with
``LoadError`` (a ``ValueError``), and what a file may make the loader allocate
beyond what it stores is bounded by ``set_max_load_bytes`` (256 MiB by
default; see ``brickwork.saving.load_limits``).
"""
from brickwork.saving.errors import (ArchiveError, ConfigError, ConfigTypeError,  # noqa: F401
                                     LoadError, LoadLimitError, WeightsFileError)
from brickwork.saving.load_limits import get_max_load_bytes, set_max_load_bytes  # noqa: F401
from brickwork.saving.object_registration import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                                  get_custom_objects, get_registered_name,
                                                  get_registered_object,
                                                  register_keras_serializable,
                                                  register_serializable)
from brickwork.saving.safe_mode import SafeModeScope, enable_unsafe_deserialization  # noqa: F401
from brickwork.saving.saving_api import (load_model, load_weights, save_model,  # noqa: F401
                                         save_weights)
from brickwork.saving.serialization import (deserialize_keras_object,  # noqa: F401
                                            serialize_keras_object)

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable",
           "register_serializable", "SafeModeScope", "enable_unsafe_deserialization",
           "load_model", "load_weights", "save_model", "save_weights",
           "deserialize_keras_object", "serialize_keras_object", "LoadError", "ArchiveError",
           "ConfigError", "ConfigTypeError", "LoadLimitError", "WeightsFileError",
           "get_max_load_bytes", "set_max_load_bytes"]
