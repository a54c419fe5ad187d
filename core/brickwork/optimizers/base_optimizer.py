"""The optimizer base class, with Keras 3's arguments, variables and step order.

One call of :meth:`Optimizer.apply` does, in Keras' order:

1. drop variables whose gradient is None (warning which ones);
2. undo the loss scale (``loss_scale_factor``);
3. with gradient accumulation, add to the accumulators and stop there except
   on every ``gradient_accumulation_steps``-th call, which continues with the
   averaged gradients;
4. clip (``clipnorm``, ``global_clipnorm`` or ``clipvalue``);
5. decoupled weight decay: ``variable -= variable * weight_decay * lr``;
6. the optimizer's own update, through the backend's fused in-place kernel;
7. the exponential moving average of the weights (``use_ema``);
8. each variable's ``constraint``;
9. ``iterations += 1``.

Learning rates reach the update as Python floats rounded to float32, the
precision Keras keeps them in.
"""
from __future__ import annotations

import re
import warnings

import numpy as np

from brickwork import distribution_state, initializers
from brickwork.naming import auto_name, to_snake_case
from brickwork.ops import backend_xp, convert_to_numpy, data_of
from brickwork.optimizers import clipping, schedules
from brickwork.optimizers.schedules import LearningRateSchedule
from brickwork.saving.serialization import serialize_keras_object
from brickwork.variables import Variable


def _check_arguments(clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                     ema_overwrite_frequency, gradient_accumulation_steps):
    """Raise ValueError on the argument combinations Keras rejects."""
    if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
        raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                         f"gradient_accumulation_steps={gradient_accumulation_steps}")
    if use_ema:
        if ema_momentum > 1 or ema_momentum < 0:
            raise ValueError("`ema_momentum` must be in the range [0, 1]. "
                             f"Received: ema_momentum={ema_momentum}")
        if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                        or ema_overwrite_frequency < 1):
            raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                             f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                         f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                         f"global_clipnorm={global_clipnorm}")


def _float32(value) -> float:
    """A Python float holding ``value`` rounded to float32."""
    return float(np.float32(convert_to_numpy(value)))


class Optimizer:
    """Base class of all optimizers, as ``keras.optimizers.Optimizer``.

    A subclass creates its slot variables in ``build`` (calling
    ``super().build`` first) with :meth:`add_optimizer_variables`, implements
    ``update_step(gradient, variable, learning_rate)`` (``gradient`` a backend
    array of the variable's dtype, ``learning_rate`` a Python float) and adds
    its hyperparameters to ``get_config``.
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        _check_arguments(clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
                         ema_overwrite_frequency, gradient_accumulation_steps)
        self.name = name if name is not None else auto_name(to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._model_variables_moving_average = []
        self._accumulated_gradients = []
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}
        # Keras creates "iteration" first, then "learning_rate": their save order.
        self._iterations = self._new_variable(0, (), "int64", "iteration")
        self._learning_rate = self._learning_rate_holder(learning_rate)

    # ------------------------------------------------------------------
    # Learning rate and step counter
    # ------------------------------------------------------------------

    def _learning_rate_holder(self, learning_rate):
        """A schedule or callable as given; a float becomes a float32 Variable."""
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        if not isinstance(learning_rate, float):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration "
                "value and returns the corresponding learning rate value). "
                f"Received instead: learning_rate={learning_rate!r}")
        return self._new_variable(learning_rate, (), "float32", "learning_rate")

    @property
    def iterations(self):
        """The step counter Variable; with gradient accumulation, the number of
        applied (not accumulated) steps, as a backend integer."""
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    def _step(self) -> int:
        """``iterations`` as a Python int (called once per variable per step)."""
        if self.gradient_accumulation_steps:
            return int(convert_to_numpy(self.iterations))
        return int(data_of(self._iterations))

    @property
    def learning_rate(self):
        """The learning rate Variable, or a schedule's (or callable's) current value."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(previous, Variable):
                self._variables.remove(previous)
        elif isinstance(previous, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument.")
        elif isinstance(previous, Variable):
            previous.assign(learning_rate)
        else:  # was a plain callable: go back to a Variable
            self._learning_rate = self._new_variable(float(learning_rate), (), "float32",
                                                     "learning_rate")

    def _current_learning_rate(self) -> float:
        """This step's learning rate as a float32-rounded Python float.

        Schedules see the raw call count, even with gradient accumulation (as
        in Keras).
        """
        holder = self._learning_rate
        if isinstance(holder, LearningRateSchedule):
            return _float32(holder(int(convert_to_numpy(self._iterations))))
        if isinstance(holder, Variable):
            return _float32(holder)
        return _float32(holder())

    # ------------------------------------------------------------------
    # Variables
    # ------------------------------------------------------------------

    def _new_variable(self, initializer, shape, dtype, name):
        variable = Variable(initializer, shape=shape, dtype=dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    @property
    def variables(self):
        """All optimizer variables in Keras' save order."""
        return self._variables[:]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     layout=None, name=None):
        """Create and track a non-trainable optimizer variable."""
        return self._new_variable(initializers.get(initializer), tuple(shape), dtype,
                                  name or "variable")

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot variable shaped like ``reference_variable``, named
        ``{reference path with '/' -> '_'}_{name}`` (``dense_kernel_momentum``)."""
        name = name or "var"
        if hasattr(reference_variable, "path"):
            prefix = reference_variable.path.replace("/", "_")
        else:
            prefix = str(reference_variable.name).replace("/", "_").replace(":", "_")
        return self.add_variable(shape=reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=f"{prefix}_{name}")

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per variable for each name in ``name`` (a string or a list).

        With several names the slots are created interleaved, variable by
        variable (``kernel_momentum, kernel_velocity, bias_momentum, ...``): that
        is Keras' creation order, hence its save order. Returns a list, or a
        tuple of lists when ``name`` is a list.
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = (initializer if isinstance(initializer, (list, tuple))
                 else [initializer] * len(names))
        if len(names) != len(inits):
            raise ValueError("The number of provided names must match the number of provided "
                             f"initializers. Received name='{name}', initializer='{initializer}'")
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for slot_list, slot_name, init in zip(slots, names, inits):
                slot_list.append(self.add_variable_from_reference(variable, slot_name, init))
        return slots[0] if isinstance(name, str) else slots

    def build(self, variables):
        """Create the optimizer's variables for the model variables ``variables``."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables,
                                                                                "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator")
        self._trainable_variables_indices = {self._var_key(v): i for i, v in enumerate(variables)}
        self._trainable_variables = variables
        self.built = True

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[self._var_key(variable)]

    def _check_variables_are_known(self, variables):
        for v in variables:
            if self._var_key(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance.")

    # ------------------------------------------------------------------
    # Applying gradients
    # ------------------------------------------------------------------

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; returns the ``iterations`` Variable."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Update ``trainable_variables`` (default: those built with) in place."""
        grads = list(grads)
        if not grads:
            return
        variables = self._variables_for(grads, trainable_variables)
        grads, variables = self._filter_empty_gradients(grads, variables)
        grads = self._summed_over_processes(grads, variables)
        xp = backend_xp()
        grads = [xp.asarray(data_of(g)) for g in grads]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, variables)
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()
        self._apply_constraints(variables)
        self._iterations.assign_add(1)

    @staticmethod
    def _summed_over_processes(grads, variables):
        """Inside a data-parallel ``fit`` step, gradients a custom
        ``train_step`` computed from this process's rows, summed over the
        processes (weighted by each one's share of the global batch)."""
        distribution = distribution_state.active_distribution()
        if (distribution is None or distribution_state.current_batch_shard() is None
                or distribution_state.gradients_summed()):
            return grads
        return distribution.sum_computed_gradients(grads, variables)

    def _variables_for(self, grads, trainable_variables):
        """The variables ``grads`` belong to, building the optimizer on first use."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must "
                    f"match `optimizer.variables` one-to-one. Received a list of {len(grads)} "
                    f"gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables.")
            return list(self._trainable_variables)
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(f"Received {len(grads)} gradients for {len(variables)} variables.")
        if not self.built:
            self.build(variables)
        self._check_variables_are_known(variables)
        return variables

    @staticmethod
    def _filter_empty_gradients(grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if len(kept) < len(grads):
            missing = [getattr(v, "path", v.name) for g, v in zip(grads, variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?")
        return [g for g, _ in kept], [v for _, v in kept]

    def _update(self, grads, variables):
        """Clip, decay, then run each variable's update step."""
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        for grad, variable in zip(grads, variables):
            grad = grad.astype(variable.value.dtype, copy=False)
            self.update_step(grad, variable, learning_rate)

    def _accumulate_or_update(self, grads, variables):
        """Add to the accumulators; every n-th call, update with their mean."""
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                        for v in variables]
        if (int(convert_to_numpy(self._iterations)) + 1) % steps != 0:
            for grad, accumulator in zip(grads, accumulators):
                accumulator.value[...] += grad
            return
        mean_grads = [(g + acc.value) / steps for g, acc in zip(grads, accumulators)]
        self._update(mean_grads, variables)
        for accumulator in self._accumulated_gradients:
            accumulator.value[...] = 0

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable in place; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`.")

    def _clip_gradients(self, grads):
        # Keras treats 0 (or a negative value) like None: no clipping.
        if self.clipnorm and self.clipnorm > 0:
            return [clipping.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [clipping.clip_by_value(g, self.clipvalue) for g in grads]
        return grads

    def _apply_constraints(self, variables):
        for variable in variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable))

    # ------------------------------------------------------------------
    # Weight decay
    # ------------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt ``var_list`` and variables whose name contains any of
        ``var_names`` from weight decay.

        Keras documents this as "before build" but its check never fires; it
        takes effect from the next step whenever it is called, and so here.
        """
        self._exclude_from_weight_decay = {self._var_key(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(var_names))) if var_names else None)
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable):
        key = self._var_key(variable)
        if key not in self._exclude_from_weight_decay_cache:
            pattern = self._exclude_from_weight_decay_pattern
            excluded = key in self._exclude_from_weight_decay or (
                pattern is not None and pattern.search(variable.name) is not None)
            self._exclude_from_weight_decay_cache[key] = not excluded
        return self._exclude_from_weight_decay_cache[key]

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                value = variable.value
                # Python scalars keep the arithmetic in the variable's dtype.
                value -= value * self.weight_decay * learning_rate

    # ------------------------------------------------------------------
    # Exponential moving average of the weights
    # ------------------------------------------------------------------

    def _update_moving_averages(self):
        """``average = m * average + (1 - m) * variable``, with ``m = 0`` on
        the first step so that the average starts at the variable's value."""
        step = self._step()
        momentum = self.ema_momentum if step != 0 else 0.0
        for variable, average in zip(self._trainable_variables,
                                     self._model_variables_moving_average):
            m = backend_xp().asarray(momentum, dtype=variable.value.dtype)
            average.value[...] = m * average.value + (1 - m) * variable.value
        if self.ema_overwrite_frequency and (step + 1) % self.ema_overwrite_frequency == 0:
            self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does "
                "not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model.")
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            variable.assign(average.value)

    def finalize_variable_values(self, var_list):
        """At the end of training, replace weights by their moving average (EMA)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # ------------------------------------------------------------------
    # Helpers for subclasses, loss scaling, state
    # ------------------------------------------------------------------

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def scale_loss(self, loss):
        """Multiply ``loss`` by ``loss_scale_factor`` when one is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`.")
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(f"Optimizer variable {variable.path} has shape "
                                 f"{variable.shape} not compatible with provided weight shape "
                                 f"{tuple(np.shape(weight))}.")
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write the variables to ``store`` under keys "0", "1", ... (Keras layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self.variables):
            message = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                       f"{len(self.variables)} variables whereas the saved optimizer has "
                       f"{len(store.keys())} variables. ")
            if not self.variables:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(np.asarray(store[str(i)]))

    # ------------------------------------------------------------------
    # Config
    # ------------------------------------------------------------------

    def _learning_rate_config(self):
        holder = self._learning_rate
        if isinstance(holder, LearningRateSchedule):
            return schedules.serialize(holder)
        if isinstance(holder, Variable):
            return float(holder.numpy())
        if hasattr(holder, "get_config"):
            return serialize_keras_object(holder)
        # A plain function: Keras' function form (it cannot be deserialized safely).
        name = getattr(holder, "__name__", repr(holder))
        return {"module": getattr(holder, "__module__", None), "class_name": "function",
                "config": name, "registered_name": name}

    def get_config(self):
        return {
            "name": self.name,
            "learning_rate": self._learning_rate_config(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
