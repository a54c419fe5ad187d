"""MultiOptimizer and OptimizerMap: different optimizers for different variables."""
from __future__ import annotations

import re
from collections.abc import MutableMapping

from brickwork.optimizers.base_optimizer import Optimizer
from brickwork.optimizers.loss_scale_optimizer import LossScaleOptimizer
from brickwork.saving.serialization import serialize_keras_object


def _deserialize_optimizer(config, custom_objects=None):
    from brickwork.optimizers import deserialize
    return config if isinstance(config, Optimizer) else deserialize(config, custom_objects)


class OptimizerMap(MutableMapping):
    """Variable paths (or regular expressions matching whole paths) to
    optimizers, with a default for the rest, as ``keras.optimizers.OptimizerMap``.

    ``map[path]`` tries an exact key first, then every key as a pattern with
    ``re.fullmatch`` (``"encoder/.*"`` for everything under ``encoder``);
    more than one matching pattern is an error; no match gives
    ``default_optimizer``. Calling the map on a variable looks up its path.

    Args:
        default_optimizer: the optimizer of unmapped variables.
        optimizer_map: an initial ``{key: optimizer}`` dict.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError("default_optimizer must be a Keras Optimizer instance. "
                            f"Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matching:
            return self._optimizer_map[matching[0]]
        return self.default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value "
                             f"{self._optimizer_map[key]}. Please make sure to not use "
                             "duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: "
                             f"{optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": serialize_keras_object(self._default_optimizer),
                "optimizer_map": {key: serialize_keras_object(opt)
                                  for key, opt in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        default = _deserialize_optimizer(config["default_optimizer"], custom_objects)
        mapping = {key: _deserialize_optimizer(value, custom_objects)
                   for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer an :class:`OptimizerMap` (or
    a callable ``variable -> optimizer``) chooses, as
    ``keras.optimizers.MultiOptimizer``.

    The sub-optimizers keep their own variables, steps, clipping and EMA;
    ``variables`` lists this optimizer's ``iteration`` and ``learning_rate``
    then each sub-optimizer's variables (mapped ones first, then the
    default, then any the callable returned while building): Keras' save
    order. ``learning_rate`` is refused, as each sub-optimizer has its own.

    Args:
        optimizer_map: an OptimizerMap or a callable.
        loss_scale_factor: set on every sub-optimizer.
        name: the optimizer's name.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        self._var_to_optimizer_idx = {}
        if hasattr(optimizer_map, "values"):
            for optimizer in optimizer_map.values():
                if optimizer not in self._inner_optimizers:
                    optimizer.loss_scale_factor = loss_scale_factor
                    self._inner_optimizers.append(optimizer)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None and default not in self._inner_optimizers:
            default.loss_scale_factor = loss_scale_factor
            self._inner_optimizers.append(default)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._var_to_optimizer_idx = {}
        per_optimizer = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(f"Optimizer for variable {variable} is not an Optimizer "
                                 "instance.")
            if isinstance(optimizer, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(optimizer, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if all(optimizer is not known for known in self._inner_optimizers):
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
                per_optimizer.append([])
            index = next(i for i, known in enumerate(self._inner_optimizers)
                         if known is optimizer)
            self._var_to_optimizer_idx[self._var_key(variable)] = index
            per_optimizer[index].append(variable)
        for optimizer, variables in zip(self._inner_optimizers, per_optimizer):
            if variables:
                optimizer.build(variables)
        super().build(var_list)

    @property
    def optimizers(self):
        return self._inner_optimizers

    @property
    def variables(self):
        variables = self._variables[:]
        for optimizer in self._inner_optimizers:
            variables.extend(optimizer.variables)
        return variables

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers instead.")

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in self.__dict__.get("_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def iterations(self):
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables_indices):
            raise ValueError("Gradients must match trainable variables one-to-one. Received "
                             f"{len(grads)} gradients and "
                             f"{len(self._trainable_variables_indices)} variables.")
        grouped = [[] for _ in self._inner_optimizers]
        for grad, variable in zip(grads, trainable_variables):
            grouped[self._var_to_optimizer_idx[self._var_key(variable)]].append((grad, variable))
        for optimizer, pairs in zip(self._inner_optimizers, grouped):
            if pairs:
                sub_grads, sub_vars = zip(*pairs)
                optimizer.apply(list(sub_grads), list(sub_vars))
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        grouped = [[] for _ in self._inner_optimizers]
        for variable in var_list:
            grouped[self._var_to_optimizer_idx[self._var_key(variable)]].append(variable)
        for optimizer, variables in zip(self._inner_optimizers, grouped):
            if variables:
                optimizer.finalize_variable_values(variables)

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`.")
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own]):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start:start + count])
                start += count

    def get_config(self):
        return {"optimizer_map": serialize_keras_object(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict):
            mapping = OptimizerMap.from_config(mapping.get("config", mapping), custom_objects)
        config["optimizer_map"] = mapping
        return cls(**config)
