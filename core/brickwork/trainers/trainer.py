"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods."""
from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from brickwork import distribution_state, global_state, ops, tree
from brickwork.autodiff import GradientTape, stop_recording
from brickwork.backend_state import check_model_backend
from brickwork.trainers import data as data_utils
from brickwork.trainers import data_adapters as adapters
from brickwork.trainers.compile_utils import CompileLoss, CompileMetrics


# Where compile keeps the metrics it made; ``metrics`` lists them in Keras's
# order, not as attributes found on the model.
_COMPILED_METRIC_ATTRIBUTES = frozenset({"_loss_tracker", "_compile_metrics"})


def _to_python(value):
    array = ops.convert_to_numpy(value)
    return float(array) if array.ndim == 0 else array


def pythonify_logs(logs):
    """Logs as Keras hands them to callbacks: nested dicts flattened, values
    as Python numbers (arrays stay NumPy arrays), keys sorted."""
    flat = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            flat.update(pythonify_logs(value))
        else:
            flat[key] = _to_python(value)
    return {key: flat[key] for key in sorted(flat)}


def _to_backend(value):
    """A batch's array on the backend; string arrays stay NumPy arrays on the
    host (no GPU array holds strings; lookup layers take them there)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return value
    return ops.convert_to_tensor(value)


@functools.lru_cache(maxsize=None)
def _takes_training(compute_loss):
    return "training" in inspect.signature(compute_loss).parameters


def _batch_size_of(x):
    return int(tree.flatten(x)[0].shape[0])


def _ends_all_processes_on_error(method):
    """Under a multi-process distribution, an exception in ``method`` ends
    every process (the others would wait in a collective forever)."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        distribution = distribution_state.active_distribution()
        if distribution is None:
            return method(self, *args, **kwargs)
        with distribution.ends_all_processes_on_error(f"{method.__name__}()"):
            return method(self, *args, **kwargs)
    return run


def _distributed(adapter, predict=False):
    """``adapter`` as this process's share of each batch, under a distribution."""
    distribution = distribution_state.active_distribution()
    return adapter if distribution is None else distribution.distribute_adapter(adapter, predict)


class Trainer:
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._compile_config = None

    # -- compile ------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training (everything is validated before
        anything on the model changes)."""
        from brickwork import metrics as metrics_module
        from brickwork import optimizers
        output_names = self._output_names_for_compile()
        resolved_optimizer = optimizers.get(optimizer)
        compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        compile_metrics = (CompileMetrics(metrics, weighted_metrics, output_names)
                           if metrics is not None or weighted_metrics is not None else None)
        self.optimizer = resolved_optimizer
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16"
                and resolved_optimizer is not None
                and not isinstance(resolved_optimizer, optimizers.LossScaleOptimizer)):
            # float16 gradients underflow without a loss scale (as Keras).
            self.optimizer = optimizers.LossScaleOptimizer(resolved_optimizer,
                                                           name="loss_scale_optimizer")
        self._compile_loss = compile_loss
        self._compile_metrics = compile_metrics
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._compile_config = {"optimizer": resolved_optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
                                "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile, "auto_scale_loss": auto_scale_loss}
        self.compiled = True

    def _output_names_for_compile(self):
        outputs = getattr(self, "outputs", None)
        if outputs and len(outputs) > 1:
            return [t._keras_history.layer.name for t in outputs]
        names = getattr(self, "output_names", None)
        return list(names) if names and len(names) > 1 else ["output"]

    def get_compile_config(self):
        if not self.compiled or self._compile_config is None:
            return None
        from brickwork.saving.serialization import serialize_keras_object
        return {k: serialize_keras_object(v) for k, v in self._compile_config.items()}

    def compile_from_config(self, config):
        """Compile from ``get_compile_config()``; builds the optimizer when the
        model is built, so saved optimizer state can be loaded into it."""
        from brickwork import losses, optimizers
        config = dict(config)
        if isinstance(config.get("optimizer"), dict):
            config["optimizer"] = optimizers.deserialize(config["optimizer"])
        config["loss"] = _deserialize_structure(config.get("loss"), losses.deserialize)
        self.compile(**config)
        if self.built and self.trainable_weights:
            self.optimizer.build(self.trainable_weights)

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before calling `{method}()` on "
                               f"model {self.name!r}.")
        default_loss = (type(self).train_step is Trainer.train_step
                        and type(self).compute_loss is Trainer.compute_loss)
        if method in ("fit", "train_on_batch") and default_loss and self._compile_loss is None \
                and not self.losses:
            raise RuntimeError(f"You must call `compile()` with a `loss` before calling "
                               f"`{method}()` on model {self.name!r} (or override "
                               f"`compute_loss` or `train_step` to compute it yourself).")

    # -- metrics (Keras 3's layout: the loss tracker, the compiled metrics as
    #    one container, per-output losses, then metrics the model holds) ------

    @property
    def metrics(self):
        found = []
        if self.compiled:
            if self._loss_tracker is not None:
                found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        return found + self._tracked_metrics()

    def _tracked_metrics(self):
        """Metrics assigned as attributes of this model or its layers."""
        found = []
        for layer in self._flatten_layers():
            attributes = layer.__dict__
            for key in attributes.get("_metric_slots", ()):
                value = attributes.get(key)
                if (key not in _COMPILED_METRIC_ATTRIBUTES
                        and getattr(type(value), "_tracked_as_metric", False)
                        and all(value is not known for known in found)):
                    found.append(value)
        return found

    @property
    def metrics_variables(self):
        return [variable for metric in self.metrics for variable in metric.variables]

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """Every metric's current result by name, as Python numbers (under a
        distribution, of the metric states summed over the processes)."""
        distribution = distribution_state.active_distribution()
        if distribution is not None:
            return distribution.global_metrics_result(self.metrics, self._local_metrics_result)
        return self._local_metrics_result()

    def _local_metrics_result(self):
        results = {}
        for metric in self.metrics:
            result = metric.result()
            results.update(result if isinstance(result, dict) else {metric.name: result})
        return pythonify_logs(results)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch; returns
        ``get_metrics_result()``. Override to change how metrics are updated."""
        del x  # the default does not use it
        if self._compile_metrics is not None and y is not None:
            y_pred = tree.map_structure(ops.data_of, y_pred)
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    # -- one step -----------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The scalar loss to minimize: the compiled loss plus every loss the
        layers added (``add_loss``, weight regularization)."""
        del x, training  # the default uses neither
        losses = []
        if self._compile_loss is not None:
            compiled = self._compile_loss(y, y_pred, sample_weight)
            if compiled is not None:
                losses.append(compiled)
        losses.extend(self.losses)
        if not losses:
            raise ValueError(f"Model {self.name!r} has no loss to optimize: pass `loss` to "
                             f"compile(), or add losses in the model with `add_loss()`.")
        total = losses[0]
        for extra in losses[1:]:
            total = ops.add(total, extra)
        return total

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``compute_loss``, also when an override takes no ``training``."""
        if _takes_training(type(self).compute_loss):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _prepare_batch(self, x, y, sample_weight):
        convert = lambda a: None if a is None else ops.convert_to_tensor(a)  # noqa: E731
        y = tree.map_structure(convert, y)
        y = tree.map_structure(
            lambda a: a.astype("float32") if a is not None and a.dtype.kind == "f"
            and a.dtype.name != "float32" else a, y)
        x, sample_weight = tree.map_structure(convert, x), tree.map_structure(convert, sample_weight)
        return data_utils.pack_x_y_sample_weight(x, y, sample_weight)

    def _symbolic_build(self, data):
        """Build whatever is still unbuilt before the first step, as Keras
        does: the model, by one inference call on the first batch's inputs
        that records nothing, then the optimizer on every trainable variable.
        Left to the first training step, the optimizer was built on the
        variables that existed before the model had any, and never trained."""
        if not all(layer.built for layer in self._flatten_layers()):
            x, _, _ = data_utils.unpack_x_y_sample_weight(data)
            with stop_recording():
                self(x, training=False)
        if self.optimizer is not None and not self.optimizer.built:
            self.optimizer.build(self.trainable_weights)
        self._trainable_for_step = self.trainable_weights

    def _symbolic_build_from(self, adapter):
        """``_symbolic_build`` on the adapter's first batch, fetched only
        when something is still unbuilt."""
        if all(layer.built for layer in self._flatten_layers()):
            self._symbolic_build(None)
            return
        batch = adapter.first_batch()
        if batch is not None:
            x, _, _ = data_utils.unpack_x_y_sample_weight(batch)
            self._symbolic_build(self._prepare_batch(x, None, None))

    def train_step(self, data):
        """One training step on a batch ``data`` (``x``, ``(x, y)`` or
        ``(x, y, sample_weight)``): forward, loss, gradients, optimizer
        update, metrics. Returns the logs. Override it to customize ``fit``."""
        x, y, sample_weight = data_utils.unpack_x_y_sample_weight(data)
        variables = self.__dict__.get("_trainable_for_step")
        variables = self.trainable_weights if variables is None else variables
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                      training=True)
            # The optimizer's loss scale (loss_scale_factor, LossScaleOptimizer)
            # multiplies the loss here and divides the gradients in apply().
            scaled_loss = self.optimizer.scale_loss(loss) if variables else loss
        self._loss_tracker.update_state(ops.data_of(loss), sample_weight=_batch_size_of(x))
        if variables:
            distribution = distribution_state.active_distribution()
            if distribution is None:
                self.optimizer.apply_gradients(list(zip(tape.gradient(scaled_loss, variables),
                                                        variables)))
            else:
                grads = distribution.reduce_gradients(tape, scaled_loss, variables)
                with distribution_state.summed_gradients_applied():
                    self.optimizer.apply_gradients(list(zip(grads, variables)))
        else:
            warnings.warn(f"Model {self.name!r} has no trainable weights: fit does not change it.",
                          stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        """One evaluation step on a batch; returns the logs."""
        x, y, sample_weight = data_utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                  training=False)
        self._loss_tracker.update_state(ops.data_of(loss), sample_weight=_batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch (``y`` and weights are ignored)."""
        x, _, _ = data_utils.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- fit ------------------------------------------------------------------------

    @_ends_all_processes_on_error
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History``."""
        from brickwork.callbacks import CallbackList
        self._assert_compiled("fit")
        check_model_backend(self)
        # brickwork.config.set_max_epochs / set_max_steps_per_epoch cap fit for
        # debugging runs, with Keras's warnings (read here and below, nowhere else).
        max_epochs = global_state.settings["max_epochs"]
        if max_epochs and max_epochs < epochs:
            warnings.warn("Limiting epochs to %d" % max_epochs)
            epochs = max_epochs
        max_steps = global_state.settings["max_steps_per_epoch"]
        if max_steps and (not steps_per_epoch or max_steps < steps_per_epoch):
            warnings.warn("Limiting steps_per_epoch to %d" % max_steps)
            steps_per_epoch = max_steps
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        validation = None
        if validation_data is not None:
            validation = (data_utils.unpack_x_y_sample_weight(validation_data)
                          if isinstance(validation_data, (tuple, list))
                          else (validation_data, None, None))
        elif validation_split:
            if not adapters.can_convert_arrays(x, y, sample_weight):
                raise ValueError("`validation_split` is only supported for Tensors or NumPy "
                                 f"arrays. Found incompatible type in the input: {type(x)}")
            (x, y, sample_weight), validation = data_utils.split_validation(
                x, y, sample_weight, validation_split)
        adapter = _distributed(adapters.get_data_adapter(x, y, sample_weight, batch_size,
                                                         steps_per_epoch, shuffle, class_weight))
        val_adapter = val_iterator = None
        try:
            _refuse_empty(adapter, "fit")
            epoch_iterator = adapters.EpochIterator(adapter, steps_per_epoch)
            callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                         model=self, verbose=1 if verbose == "auto" else verbose,
                                         epochs=epochs, steps=epoch_iterator.num_batches)
            self._symbolic_build_from(adapter)
            self.stop_training = False
            callback_list.on_train_begin()
            # BackupAndRestore sets `_initial_epoch` in on_train_begin to resume (as Keras).
            initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
            distribution = distribution_state.active_distribution()
            if distribution is not None:  # rank 0's model, state and epoch everywhere
                initial_epoch = distribution.begin_fit(self, initial_epoch)
            logs = {}
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                for step, batch in epoch_iterator.epoch():
                    callback_list.on_train_batch_begin(step)
                    logs = pythonify_logs(self.train_step(
                        self._prepare_batch(*data_utils.unpack_x_y_sample_weight(batch))))
                    callback_list.on_train_batch_end(step, logs)
                    if distribution is not None:  # a callback stopping one process stops all
                        self.stop_training = distribution.any_process(self.stop_training)
                    if self.stop_training:
                        break
                if epoch_iterator.ran_out:
                    # A stream with nothing left: stop, as Keras interrupts training.
                    self.stop_training = True
                    break
                epoch_logs = dict(self._metrics_result_or_logs(logs))
                if validation is not None and _should_validate(epoch, validation_freq):
                    if val_iterator is None:
                        val_adapter = _distributed(adapters.get_data_adapter(
                            validation[0], validation[1], validation[2],
                            validation_batch_size or batch_size, validation_steps))
                        _refuse_empty(val_adapter, "evaluate")
                        val_iterator = adapters.EpochIterator(val_adapter, validation_steps)
                    val_logs = self._evaluate_epoch(val_iterator, callback_list)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    epoch_logs = {k: epoch_logs[k] for k in sorted(epoch_logs)}
                callback_list.on_epoch_end(epoch, epoch_logs)
                logs = epoch_logs
                if distribution is not None:
                    self.stop_training = distribution.any_process(self.stop_training)
                if self.stop_training:
                    break
            if self.optimizer is not None and epochs > initial_epoch:
                # Keras: with use_ema, training ends with the averaged weights.
                self.optimizer.finalize_variable_values(self.trainable_weights)
            callback_list.on_train_end(logs)
        finally:
            adapter.close()
            if val_adapter is not None:
                val_adapter.close()
        return self.history

    # -- evaluate / predict -----------------------------------------------------

    @_ends_all_processes_on_error
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data, in batches."""
        from brickwork.callbacks import CallbackList
        self._assert_compiled("evaluate")
        check_model_backend(self)
        adapter = _distributed(adapters.get_data_adapter(x, y, sample_weight, batch_size, steps))
        try:
            _refuse_empty(adapter, "evaluate")
            epoch_iterator = adapters.EpochIterator(adapter, steps)
            # fit passes its own CallbackList: its callbacks see the validation
            # run (SwapEMAWeights swaps the averages in for it), as in Keras.
            callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
                callbacks, add_progbar=verbose != 0, model=self,
                verbose=1 if verbose == "auto" else verbose, epochs=1,
                steps=epoch_iterator.num_batches)
            self._symbolic_build_from(adapter)
            logs = self._evaluate_epoch(epoch_iterator, callback_list)
        finally:
            adapter.close()
        return logs if return_dict else self._flatten_logs(logs)

    def _evaluate_epoch(self, epoch_iterator, callback_list):
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        for step, batch in epoch_iterator.epoch():
            callback_list.on_test_batch_begin(step)
            logs = pythonify_logs(self.test_step(
                self._prepare_batch(*data_utils.unpack_x_y_sample_weight(batch))))
            callback_list.on_test_batch_end(step, logs)
        logs = self._metrics_result_or_logs(logs)
        callback_list.on_test_end(logs)
        return logs

    def _metrics_result_or_logs(self, logs):
        """As Keras at the end of an epoch: when a step's logs name exactly the
        model's metrics (a custom ``train_step`` returning its trackers'
        results, say), the metrics' results (under a distribution, of every
        process's rows); otherwise the step's logs."""
        results = self.get_metrics_result()
        return results if isinstance(logs, dict) and set(logs) == set(results) else logs

    def _flatten_logs(self, logs):
        names = [m.name for m in self.metrics]
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    @_ends_all_processes_on_error
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x``, computed in batches, as NumPy arrays."""
        from brickwork.callbacks import CallbackList
        check_model_backend(self)
        adapter = _distributed(adapters.get_data_adapter(x, None, None, batch_size, steps),
                               predict=True)
        try:
            _refuse_empty(adapter, "predict")
            epoch_iterator = adapters.EpochIterator(adapter, steps)
            callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                         verbose=1 if verbose == "auto" else verbose, epochs=1,
                                         steps=epoch_iterator.num_batches)
            callback_list.on_predict_begin()
            chunks = []
            for step, batch in epoch_iterator.epoch():
                xb, _, _ = data_utils.unpack_x_y_sample_weight(batch)
                callback_list.on_predict_batch_begin(step)
                chunks.append(self._predict_batch(xb))
                callback_list.on_predict_batch_end(step, {"outputs": chunks[-1]})
            callback_list.on_predict_end()
        finally:
            adapter.close()
        if not chunks:
            raise ValueError(f"predict ran no step (steps={steps}); pass steps >= 1.")
        distribution = distribution_state.active_distribution()
        if distribution is not None:  # every process's rows, in order, everywhere
            chunks = distribution.gather_predictions(chunks, adapter)
        flat = [tree.flatten(c) for c in chunks]
        joined = [np.concatenate(parts, axis=0) for parts in zip(*flat)]
        return tree.pack_like(chunks[0], joined)

    def predict_on_batch(self, x):
        check_model_backend(self)
        return self._predict_batch(x)

    def _predict_batch(self, x):
        """Outputs for one batch as NumPy arrays (``convert_to_numpy`` brings
        CuPy results to the host), as Keras' ``predict`` returns them."""
        x = tree.map_structure(_to_backend, x)
        outputs = self.predict_step(data_utils.pack_x_y_sample_weight(x))
        return tree.map_structure(ops.convert_to_numpy, outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        check_model_backend(self)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("Arguments `sample_weight` and `class_weight` cannot be "
                                 "specified at the same time.")
            sample_weight = data_utils.class_weight_to_sample_weights(y, class_weight)
        batch = self._prepare_batch(x, y, sample_weight)
        self._symbolic_build(batch)
        self.reset_metrics()
        logs = pythonify_logs(self.train_step(batch))
        return logs if return_dict else self._flatten_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        check_model_backend(self)
        batch = self._prepare_batch(x, y, sample_weight)
        self._symbolic_build(batch)
        self.reset_metrics()
        logs = pythonify_logs(self.test_step(batch))
        return logs if return_dict else self._flatten_logs(logs)


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def _refuse_empty(adapter, method):
    if getattr(adapter, "num_samples", None) == 0:
        raise ValueError(f"Expected input data to {method} on, but `x` has no samples "
                         f"(its first dimension is 0); pass at least one sample.")


def _deserialize_structure(spec, deserialize):
    """Deserialize a loss (or a list/dict of per-output losses) from configs."""
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _deserialize_structure(value, deserialize) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_deserialize_structure(value, deserialize) for value in spec]
    if isinstance(spec, dict):
        return deserialize(spec)
    return spec

