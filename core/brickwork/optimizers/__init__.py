"""``brickwork.optimizers``: Keras 3's optimizers, updating variables in place
through the backend's fused optimizer kernels."""
from __future__ import annotations

from brickwork.optimizers import legacy, schedules
from brickwork.optimizers.adadelta import Adadelta
from brickwork.optimizers.adafactor import Adafactor
from brickwork.optimizers.adagrad import Adagrad
from brickwork.optimizers.adam import Adam
from brickwork.optimizers.adamax import Adamax
from brickwork.optimizers.adamw import AdamW
from brickwork.optimizers.base_optimizer import Optimizer
from brickwork.optimizers.ftrl import Ftrl
from brickwork.optimizers.lamb import Lamb
from brickwork.optimizers.lion import Lion
from brickwork.optimizers.loss_scale_optimizer import LossScaleOptimizer
from brickwork.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from brickwork.optimizers.muon import Muon
from brickwork.optimizers.nadam import Nadam
from brickwork.optimizers.rmsprop import RMSprop
from brickwork.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from brickwork.optimizers.sgd import SGD
from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
                                            serialize_keras_object)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Lion", "Ftrl", "LossScaleOptimizer", "Adafactor", "Lamb", "Muon",
           "ScheduleFreeAdamW", "MultiOptimizer", "OptimizerMap", "legacy", "schedules", "get",
           "serialize", "deserialize"]

_CLASSES = (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl,
            LossScaleOptimizer, Adafactor, Lamb, Muon, ScheduleFreeAdamW, MultiOptimizer)

#: Lower-case class name -> class: the names ``get`` and ``deserialize``
#: accept, in any case (as Keras).
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _CLASSES}

register_builtin("keras.optimizers", *_CLASSES, OptimizerMap)
# Keras on the torch backend writes its optimizers' module as the torch
# subclass's module; register those names so such configs load too.
for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion):
    register_builtin(f"keras.src.backend.torch.optimizers.torch_{_cls.__name__.lower()}",
                     aliases={_cls.__name__: _cls})


def serialize(optimizer):
    """The optimizer as a Keras serialization dict (module, class_name, config)."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from a serialization dict; built-in class names match in any case."""
    config = dict(config)
    if str(config.get("class_name", "")).lower() in ALL_OBJECTS_DICT:
        config["class_name"] = config["class_name"].lower()
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="optimizer")


def _unknown(identifier):
    known = ", ".join(sorted(name for name in ALL_OBJECTS_DICT if name != "optimizer"))
    return ValueError(f"Could not interpret optimizer identifier: {identifier!r}. "
                      f"Known optimizers: {known}.")


def get(identifier):
    """An optimizer from a name ("adam", "SGD", ...), a config dict or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in ALL_OBJECTS_DICT:
            raise _unknown(identifier)
        identifier = {"class_name": identifier, "config": {}}
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, Optimizer):
            return obj
    raise _unknown(identifier)
