"""Serialization of objects to configs, and (later) of models to files."""
from brickwork.saving.object_registration import (CustomObjectScope, custom_object_scope,  # noqa: F401
                                                  get_custom_objects, get_registered_name,
                                                  register_keras_serializable)
from brickwork.saving.serialization import (deserialize_keras_object,  # noqa: F401
                                            serialize_keras_object)
