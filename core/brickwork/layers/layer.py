"""The Layer base class, with Keras 3 semantics.

A layer creates its weights in ``build(input_shape)`` (through
``add_weight``), computes in ``call`` with ``brickwork.ops``, and is used by
calling it: on arrays it computes; on symbolic ``KerasTensor``s it records a
graph node for the functional API.
"""
from __future__ import annotations

import functools
import inspect
import math
import warnings
import weakref

import numpy as np

from brickwork import backend as _backend
from brickwork import call_context, dtype_policies, initializers, ops, tree
from brickwork.autodiff import stop_recording
from brickwork.backend_state import mixed_backend_error
from brickwork.dtypes import is_float_dtype, standardize_dtype
from brickwork.layers.input_spec import InputSpec
from brickwork.masks import get_keras_mask, set_keras_mask
from brickwork.naming import auto_name, to_snake_case
from brickwork.saving import load_limits
from brickwork.scopes import current_path, name_scope
from brickwork.symbolic import KerasTensor, Node, is_symbolic
from brickwork.variables import Variable, autocast_scope

# Per-thread ``training`` and call depth (brickwork.call_context), read and
# written directly by ``Layer.__call__``: a context manager per layer call
# costs more than the rest of a small layer's bookkeeping.
_call_state = call_context._context
# Layers whose ``_losses`` may be non-empty: ``add_loss`` adds, the
# outermost call clears. While it is empty, calls skip walking the layer tree.
_LOSS_HOLDERS = weakref.WeakSet()

_BASE_INIT_ARGS = ("activity_regularizer", "trainable", "dtype", "autocast", "name")
_PLAIN_TYPES = (str, int, float, bool, type(None))
# Attributes holding graph bookkeeping or back-references, never sub-layers.
_UNTRACKED_ATTRIBUTES = frozenset({"_inbound_nodes", "_outbound_nodes", "_auto_config",
                                   "_build_shapes", "_compile_state", "_parent"})


@functools.lru_cache(maxsize=None)
def _signature_of(function):
    """``inspect.signature(function)``, computed once per function (layers
    ask for their ``__init__``'s at every construction)."""
    return inspect.signature(function)


def _capture_auto_config(cls, args, kwargs):
    """Constructor arguments, if all plain, for the default ``get_config``."""
    signature = _signature_of(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None
    config = {}
    for name, value in list(bound.arguments.items())[1:]:
        parameter = signature.parameters[name]
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            config[name] = value
    if all(isinstance(v, _PLAIN_TYPES) for v in tree.flatten(config)):
        return config
    return None


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value)


@functools.lru_cache(maxsize=None)
def _call_signature(cls):
    """The signature of ``cls.call`` without ``self`` (computed once per class)."""
    return inspect.Signature(list(inspect.signature(cls.call).parameters.values())[1:])


def _has_symbolic_argument(args, kwargs) -> bool:
    """``is_symbolic((args, kwargs))``, flattening only arguments that are
    containers (most calls pass plain arrays)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, (list, tuple, dict)) and is_symbolic(value):
            return True
    return False


@functools.lru_cache(maxsize=None)
def _argument_mask_names(cls):
    """``<arg>_mask`` parameters of ``cls.call`` whose ``<arg>`` is a parameter
    too (cached by class: hashing a Signature costs microseconds per call)."""
    names = _call_signature(cls).parameters
    return tuple(n for n in names if n.endswith("_mask") and n[:-len("_mask")] in names)


def _map_shapes(fn, shapes):
    """Apply ``fn`` to each shape in a shape or a (nested) list of shapes."""
    if _is_shape(shapes):
        return fn(tuple(shapes))
    return [_map_shapes(fn, s) for s in shapes]


def _shape_of(value):
    return tuple(value.shape)


def _in_own_name_scope(build):
    """``build`` run inside the layer's name scope (as Keras's build wrapper),
    so that sub-layers and weights made there get the layer's path."""
    @functools.wraps(build)
    def scoped_build(self, *args, **kwargs):
        with self._open_name_scope():
            return build(self, *args, **kwargs)
    scoped_build._opens_name_scope = True
    return scoped_build


class Layer:
    """Base class of every layer; subclass it to write your own.

    A layer holds state (weights, created in ``build`` with ``add_weight``)
    and computation (``call``). Calling a layer on a tensor builds it on the
    first call from the input's shape, then runs ``call``; calling it on a
    symbolic ``keras.Input`` instead records a node of a functional model.
    Subclasses override ``__init__`` (taking ``**kwargs`` and passing them
    on), ``build(input_shape)``, ``call(inputs, ...)``, and for
    serialization ``get_config``. A ``call`` that accepts ``training`` or
    ``mask`` receives the training flag and the input's mask.

    Args:
        activity_regularizer: optional regularizer applied to the layer's
            output; its value is added to ``layer.losses``.
        name: str, the layer's name, unique within a model; generated from
            the class name when None.
        dtype: a dtype policy or its name (``"float32"``,
            ``"mixed_float16"``, ...): the dtype of the weights and of the
            computation. None uses the global policy.
        trainable: bool, whether the layer's weights are updated by training.
            Default True.
        autocast: bool, whether floating-point inputs are cast to the compute
            dtype on call. Default True.

    Every layer accepts these as keyword arguments, including layers whose
    own ``Args:`` do not list them.

    Keyword Args:
        input_shape: tuple, the shape of one sample (without the batch axis);
            on the first layer of a ``Sequential`` model it stands for an
            ``Input``. ``input_dim`` (an int) is the one-axis form,
            ``batch_size`` fixes the batch size, and ``batch_input_shape``
            gives the full shape.

    Input shape:
        Whatever the subclass's ``call`` accepts.

    Output shape:
        Whatever the subclass's ``call`` returns (``compute_output_shape``
        gives it for symbolic inputs).

    Examples:
        >>> class Scale(layers.Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
        >>> layer = Scale()
        >>> layer(np.ones((2, 3))).shape
        (2, 3)
        >>> len(layer.trainable_weights)
        1
    """

    #: NumPy dtype kinds this layer's inputs may have (bool, ints, floats);
    #: a layer that takes strings or complex numbers widens it.
    input_dtype_kinds = "biuf"

    #: Name of the backend this layer's weights live on (None: it has none);
    #: ``__call__`` compares it with the selected backend's name.
    _weights_backend = None

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        object.__setattr__(instance, "_auto_config", _capture_auto_config(cls, args, kwargs))
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_opens_name_scope", False):
            cls.build = _in_own_name_scope(build)

    def _open_name_scope(self):
        """The layer's name scope, as Keras opens it around ``build``, calls and
        ``add_weight``: its variables' paths are ``<enclosing scopes>/<name>/<variable>``
        (``sequential/dense/kernel``), the enclosing scopes being those of the
        first build or call (a functional model's layers are built outside it)."""
        if self.__dict__.get("_parent_path") is None:
            object.__setattr__(self, "_parent_path", current_path())
        return name_scope(self.name, caller=self)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None,
                 autocast=True, name=None, **kwargs):
        setattr_ = object.__setattr__
        setattr_(self, "_trainable_variables", [])
        setattr_(self, "_non_trainable_variables", [])
        setattr_(self, "_layer_slots", {})  # attribute names that may hold sub-layers
        setattr_(self, "_tracker_ready", True)
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("input_length", None)  # Keras 2 Embedding argument, accepted and unused
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        if batch_input_shape is not None:
            self._input_shape_arg = tuple(batch_input_shape)
        elif input_shape is not None or input_dim is not None:
            shape = tuple(input_shape) if input_shape is not None else (input_dim,)
            self._input_shape_arg = (batch_size,) + shape
        else:
            self._input_shape_arg = None
        if not isinstance(trainable, bool):
            raise TypeError(f"Layer {name!r}: `trainable` must be a bool, got {trainable!r}")
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self._trainable = trainable
        self.dtype_policy = dtype_policies.get(dtype)
        self.autocast = autocast
        self.built = False
        self._build_shapes = None
        self._losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []
        self.input_spec = None
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        from brickwork import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        signature = _call_signature(type(self))
        self._call_has_training_arg = "training" in signature.parameters
        self._call_has_mask_arg = "mask" in signature.parameters

    # -- attribute tracking ---------------------------------------------------

    def __setattr__(self, name, value):
        if not self.__dict__.get("_tracker_ready") and isinstance(value, (Variable, Layer)):
            raise RuntimeError(
                f"It looks like you are subclassing `Layer` and forgot to call "
                f"`super().__init__()` in {type(self).__name__}.__init__; call it first.")
        if isinstance(value, Variable):
            self._track_variable(value)
        elif isinstance(value, (Layer, list, tuple, dict)) and name not in _UNTRACKED_ATTRIBUTES:
            slots = self.__dict__.get("_layer_slots")
            if slots is not None:
                slots[name] = None  # containers may receive layers later
            if value is not self and self._layer_candidates(value):
                # Calls open the name scope, so sub-layers built lazily get its path.
                object.__setattr__(self, "_has_sublayers", True)
        elif getattr(type(value), "_tracked_as_metric", False):
            # A Metric (duck-typed: metrics import layers): models list it.
            self.__dict__.setdefault("_metric_slots", {})[name] = None
        object.__setattr__(self, name, value)

    def _track_variable(self, variable):
        object.__setattr__(self, "_weights_backend", _backend.get_backend().name)
        target = self._trainable_variables if variable.trainable else self._non_trainable_variables
        if not any(v is variable for v in self._trainable_variables + self._non_trainable_variables):
            target.append(variable)

    @property
    def _layers(self):
        """Direct sub-layers, in the order they were assigned."""
        found, seen = [], set()
        attributes = self.__dict__
        for key in attributes.get("_layer_slots", ()):
            if key not in attributes:
                continue  # deleted since
            for item in self._layer_candidates(attributes[key]):
                if item is not self and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
        return found

    @staticmethod
    def _layer_candidates(value):
        if isinstance(value, Layer):
            return [value]
        if isinstance(value, (list, tuple)):
            return [v for v in value if isinstance(v, Layer)]
        if isinstance(value, dict):
            return [v for v in value.values() if isinstance(v, Layer)]
        return []

    def _flatten_layers(self, include_self=True):
        layers = [self] if include_self else []
        for layer in self._layers:
            layers.extend(layer._flatten_layers(include_self=True))
        return layers

    # -- weights ----------------------------------------------------------------

    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a weight of this layer (in ``build`` or ``__init__``)."""
        if args and isinstance(args[0], str):
            raise ValueError(f"Layer {self.name!r}: `name` must be passed to add_weight as a "
                             f"keyword argument")
        positional = dict(zip(("shape", "initializer", "dtype"), args))
        shape = positional.get("shape", shape)
        initializer = positional.get("initializer", initializer)
        dtype = standardize_dtype(positional.get("dtype", dtype) or self.dtype_policy.variable_dtype)
        shape = () if shape is None else tuple(int(d) for d in shape)
        if initializer is None:
            initializer = "glorot_uniform" if is_float_dtype(dtype) else "zeros"
        from brickwork import constraints, regularizers
        # While a file loads, a variable must be backed by a stored dataset (or fit
        # the load limit) before it is allocated.
        load_limits.claim_variable(shape, dtype, f"{self.name}/{name or 'variable'}",
                                   trainable=trainable and self._trainable)
        variable = Variable(initializers.get(initializer), shape=shape, dtype=dtype,
                            trainable=trainable, name=name or "variable",
                            regularizer=regularizers.get(regularizer),
                            constraint=constraints.get(constraint))
        with self._open_name_scope():
            variable.path = f"{current_path()}/{variable.name}"
        self._track_variable(variable)  # listed by its own trainability
        if not self._trainable:
            variable.trainable = False  # a frozen layer's weights are frozen too
        return variable

    add_variable = add_weight

    @property
    def weights(self):
        """Own weights in creation order (trainable first), then sub-layers'."""
        result, seen = [], set()
        self._gather_weights(result, seen)
        return result

    def _gather_weights(self, result, seen):
        # One walk with one `seen` set gives the order of asking each
        # sub-layer for its `weights`, without building their lists.
        for variable in (*self._trainable_variables, *self._non_trainable_variables):
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        for layer in self._layers:
            if type(layer).weights is _WEIGHTS_PROPERTY:
                layer._gather_weights(result, seen)
                continue
            for variable in layer.weights:  # a subclass that defines its own
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)

    variables = weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for variable in self._trainable_variables:
            variable.trainable = value
        for layer in self._layers:
            layer.trainable = value

    def get_weights(self):
        """The weights as NumPy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Set every weight from NumPy arrays; nothing changes if any does not fit."""
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"You called `set_weights(weights)` on layer {self.name!r} with a weight list "
                f"of length {len(weights)}, but the layer was expecting {len(variables)} weights.")
        arrays = [np.asarray(ops.convert_to_numpy(w)) for w in weights]
        for variable, array in zip(variables, arrays):
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer {self.name!r} weight shape {variable.shape} is not compatible with "
                    f"provided weight shape {tuple(array.shape)} (weight {variable.path!r}).")
        for variable, array in zip(variables, arrays):
            variable.assign(array)

    def count_params(self):
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer {self.name!r}, but "
                             f"the layer isn't built. Call it on data, or call `build()` first.")
        return int(sum(v.size for v in self.weights))

    # -- dtypes -------------------------------------------------------------------

    @property
    def dtype(self):
        return self.dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.dtype_policy.variable_dtype

    # -- building -----------------------------------------------------------------

    def build(self, input_shape):
        """Create weights; the default creates none."""
        self.built = True

    def _build_shape_parameters(self):
        """``build``'s parameter names when it takes one shape per call
        argument (``build(self, query_shape, value_shape)``), else None."""
        names = [p.name for p in inspect.signature(self.build).parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if len(names) > 1 and all(n.endswith("_shape") for n in names):
            return names
        return None

    def _maybe_build(self, first_input, args=None, kwargs=None):
        if self.built:
            return
        names = self._build_shape_parameters() if args is not None else None
        if names:
            bound = _call_signature(type(self)).bind_partial(*args, **(kwargs or {})).arguments
            shapes = {name: tree.map_structure(_shape_of, bound[name[:-len("_shape")]])
                      for name in names if bound.get(name[:-len("_shape")]) is not None}
            self._build_shapes = {"shapes_dict": shapes}
            self.build(**shapes)
        else:
            shapes = tree.map_structure(_shape_of, first_input)
            self._build_shapes = shapes
            self.build(shapes)
        self.built = True

    def build_from_config(self, config):
        shapes_dict = (config or {}).get("shapes_dict")
        if shapes_dict and not self.built:
            shapes = {k: _map_shapes(tuple, v) for k, v in shapes_dict.items()}
            self._build_shapes = {"shapes_dict": shapes}
            self.build(**shapes)
            self.built = True
            return
        shape = config.get("input_shape") if config else None
        if shape is not None and not self.built:
            shape = _map_shapes(tuple, shape)
            self._build_shapes = shape
            self.build(shape)
            self.built = True

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        if isinstance(self._build_shapes, dict):
            return {"shapes_dict": {k: _map_shapes(list, v)
                                    for k, v in self._build_shapes["shapes_dict"].items()}}
        return {"input_shape": _map_shapes(list, self._build_shapes)}

    # -- calling ------------------------------------------------------------------

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, *args, **kwargs):
        if not self.__dict__.get("_tracker_ready"):
            raise RuntimeError(f"{type(self).__name__}.__init__ did not call "
                               f"`super().__init__()`; call it first.")
        home = self._weights_backend
        if home is not None and home != _backend.get_backend().name:
            raise mixed_backend_error(self, home, _backend.get_backend().name)
        if _has_symbolic_argument(args, kwargs):
            return self._symbolic_call(args, kwargs)
        if args:
            args = (self._convert_inputs(args[0]),) + args[1:]
        first = args[0] if args else next(iter(kwargs.values()))
        self._check_input(first)
        if not self.built:
            self._maybe_build(first, args, kwargs)
        training = kwargs.pop("training", None)
        previous_mask = self._populate_mask(first, kwargs)
        self._populate_argument_masks(args, kwargs)
        state = _call_state
        if state.depth == 0 and _LOSS_HOLDERS:
            self._clear_losses()
        # As ``call_context.enter`` (inlined: it runs once per layer call).
        previous_training = state.training
        if training is not None:
            state.training = training
        state.depth += 1
        try:
            if self._call_has_training_arg and state.training is not None:
                kwargs["training"] = state.training
            if self.__dict__.get("_has_sublayers"):
                with self._open_name_scope():
                    outputs = self._call_in_compute_dtype(args, kwargs)
            else:
                outputs = self._call_in_compute_dtype(args, kwargs)
        finally:
            state.depth -= 1
            state.training = previous_training
        if self.activity_regularizer is not None:
            for output in tree.flatten(outputs):
                batch = ops.shape(output)[0] if ops.shape(output) else 1
                self.add_loss(ops.divide(self.activity_regularizer(output), batch))
        self._attach_output_masks(first, outputs, previous_mask)
        return outputs

    def _clear_losses(self):
        """Empty the losses of this layer and its sub-layers (the outermost
        call starts afresh, as Keras's). Only layers that added a loss since
        their last clearing hold any, so calls skip this while none does."""
        for layer in self._flatten_layers():
            if layer in _LOSS_HOLDERS:
                layer.__dict__["_losses"] = []
                _LOSS_HOLDERS.discard(layer)

    def _call_in_compute_dtype(self, args, kwargs):
        if self.autocast and self.compute_dtype != self.variable_dtype:
            # Mixed precision: float32 weights are read in the compute dtype.
            with autocast_scope(self.compute_dtype):
                return self.call(*args, **kwargs)
        return self.call(*args, **kwargs)

    # -- mask propagation (as Keras 3's Layer.__call__) -----------------------------

    def _populate_mask(self, first, kwargs):
        """Give ``call`` the first input's mask when it takes ``mask`` and none
        was passed; return the mask the outputs' masks derive from."""
        if not self._call_has_mask_arg and "mask" in kwargs:
            if kwargs["mask"] is not None:
                raise TypeError(
                    f"Layer {self.name!r} ({type(self).__name__}) was passed a `mask` argument, "
                    f"but its `call` takes no `mask`. Remove the argument, or use a layer that "
                    f"consumes masks.")
            kwargs.pop("mask")
        if kwargs.get("mask") is not None:
            return kwargs["mask"]
        if isinstance(first, (list, tuple, dict)):
            mask = tree.map_structure(get_keras_mask, first)
            if not any(m is not None for m in tree.flatten(mask)):
                return None
        else:
            mask = get_keras_mask(first)
            if mask is None:
                return None
        if self._call_has_mask_arg:
            kwargs["mask"] = mask
        return mask

    def _populate_argument_masks(self, args, kwargs):
        """For ``call(self, query, value, query_mask=None, value_mask=None)``,
        fill each ``<arg>_mask`` not passed from the mask ``<arg>`` carries."""
        names = _argument_mask_names(type(self))
        if not names:
            return
        wanted = [name for name in names if kwargs.get(name) is None]
        if not wanted:
            return
        bound = _call_signature(type(self)).bind_partial(*args, **kwargs).arguments
        for name in wanted:
            value = bound.get(name[:-len("_mask")])
            mask = None if value is None else get_keras_mask(value)
            if mask is not None:
                kwargs[name] = mask

    def _attach_output_masks(self, first, outputs, previous_mask, stacklevel=3):
        """Attach ``compute_mask`` to outputs that carry no mask yet; a layer
        that does not support masking drops an incoming mask, with a warning."""
        if previous_mask is None and type(self).compute_mask is Layer.compute_mask:
            return  # the default compute_mask gives None for no mask
        if not self.supports_masking:
            if previous_mask is not None:
                warnings.warn(
                    f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input "
                    f"with a mask attached to it. However, this layer does not support masking "
                    f"and will therefore destroy the mask information. Downstream layers will "
                    f"not see the mask.", stacklevel=stacklevel)
            return
        flat_outputs = tree.flatten(outputs)
        if all(get_keras_mask(t) is not None for t in flat_outputs):
            return
        output_mask = self.compute_mask(first, previous_mask)
        if output_mask is None:
            return
        for tensor, mask in zip(flat_outputs, tree.flatten(output_mask)):
            if mask is not None and get_keras_mask(tensor) is None:
                set_keras_mask(tensor, mask)

    def _symbolic_masks(self, first, outputs, kwargs):
        """The symbolic counterpart of ``_attach_output_masks``: output mask
        specs come from running ``compute_mask`` on zeros of the input and
        mask shapes (unknown sizes as 2, then 3, as ``_probe_output_spec``)."""
        previous = kwargs.get("mask")
        if previous is None:
            previous = tree.map_structure(get_keras_mask, first)
            if not any(m is not None for m in tree.flatten(previous)):
                previous = None
        overrides = type(self).compute_mask is not Layer.compute_mask
        if not self.supports_masking:
            if previous is not None:
                self._attach_output_masks(first, outputs, previous, stacklevel=5)  # warns
            return
        if previous is None and not overrides:
            return
        if previous is not None and not overrides:
            output_mask = self.compute_mask(first, previous)  # pass-through: no probing
        else:
            runs = [self._mask_on_zeros(first, previous, size) for size in (2, 3)]
            if runs[0] is None:
                return
            output_mask = tree.pack_like(runs[0], [
                None if a is None else KerasTensor(
                    tuple(x if x == y else None for x, y in zip(a.shape, b.shape)), dtype="bool")
                for a, b in zip(tree.flatten(runs[0]), tree.flatten(runs[1]))])
        for tensor, mask in zip(tree.flatten(outputs), tree.flatten(output_mask)):
            if mask is not None and get_keras_mask(tensor) is None:
                set_keras_mask(tensor, mask)

    def _mask_on_zeros(self, first, previous, unknown_size):
        def zeros(value):
            if not isinstance(value, KerasTensor):
                return value
            shape = tuple(unknown_size if d is None else d for d in value.shape)
            self._check_probe_size(shape, value.dtype)
            return ops.zeros(shape, value.dtype)
        with stop_recording(), call_context.enter(False):
            return self.compute_mask(tree.map_structure(zeros, first),
                                     tree.map_structure(zeros, previous))

    def _check_probe_size(self, shape, dtype):
        # While a file loads, probe inputs are sized by its config: they must fit the limit.
        load_limits.check_transient(
            math.prod(shape) * load_limits.itemsize(dtype),
            f"running layer {self.name!r} on zeros of shape {shape} to infer its output")

    def _convert_inputs(self, inputs):
        """Backend arrays of the compute dtype (floating inputs are cast)."""
        if type(inputs) is _backend.get_backend().xp.ndarray:
            # One backend array, as most calls pass: kept when it is of a kind
            # this layer takes, in the compute dtype if floating.
            dtype = inputs.dtype
            kind = dtype.kind
            if kind in self.input_dtype_kinds and (
                    kind != "f" or not self.autocast or dtype == self.compute_dtype):
                return inputs
        compute_dtype = self.compute_dtype

        def convert(value):
            converted = convert_one(value)
            if converted is not value:
                mask = get_keras_mask(value)
                if mask is not None:
                    set_keras_mask(converted, mask)
            return converted

        def convert_one(value):
            if value is None or isinstance(value, (KerasTensor, Variable)):
                return value
            if type(value).__name__ == "Tensor":
                if self.autocast and value.dtype.kind == "f" and value.dtype != compute_dtype:
                    return ops.cast(value, compute_dtype)
                return value
            if isinstance(value, np.ndarray) and value.dtype.kind in "OUS" \
                    and self._takes_string_inputs():
                return value  # strings stay NumPy arrays on the host (lookup layers)
            array = ops.convert_to_tensor(value)
            if array.dtype.kind not in self.input_dtype_kinds:
                raise TypeError(
                    f"Layer {self.name!r} ({type(self).__name__}) cannot take inputs of dtype "
                    f"{array.dtype}: expected a numeric (bool, integer or floating) array of "
                    f"shape {tuple(array.shape)}")
            # Compare dtypes, not names: ``dtype.name`` is computed in Python.
            if self.autocast and array.dtype.kind == "f" and array.dtype != compute_dtype:
                array = array.astype(compute_dtype)
            return array
        return tree.map_structure(convert, inputs)

    def _takes_string_inputs(self):
        """Whether string arrays may reach ``call``: the layer takes strings,
        or it is a model with a ``dtype="string"`` input."""
        if "O" in self.input_dtype_kinds:
            return True
        inputs = self.__dict__.get("inputs") or getattr(self, "_inputs", None) or ()
        return any(getattr(t, "dtype", None) == "string" for t in tree.flatten(inputs))

    def _check_input(self, first):
        spec = self.input_spec
        if spec is None:
            return
        specs = spec if isinstance(spec, (list, tuple)) else [spec]
        values = tree.flatten(first) if len(specs) > 1 else [first]
        for s, value in zip(specs, values):
            if s is not None and hasattr(value, "shape"):
                s.check(self.name, tuple(value.shape))

    def _symbolic_call(self, args, kwargs):
        first = args[0] if args else next(iter(kwargs.values()))
        self._check_input(first)
        self._maybe_build(first, args, kwargs)
        outputs = self.compute_output_spec(*args, **kwargs)
        self._symbolic_masks(first, outputs, kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    # -- shapes -------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape; the default runs ``call`` on zeros."""
        spec = self._probe_output_spec((_map_shapes(KerasTensor, input_shape),), {})
        return tree.map_structure(lambda t: t.shape, spec)

    def compute_output_spec(self, *args, **kwargs):
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            first = args[0] if args else next(iter(kwargs.values()))
            input_shape = (first.shape if isinstance(first, KerasTensor)
                           else tree.map_structure(lambda t: t.shape, first))
            output_shape = self.compute_output_shape(input_shape)
            return self._specs_from_shapes(output_shape)
        return self._probe_output_spec(args, kwargs)

    def _specs_from_shapes(self, shapes):
        return _map_shapes(lambda s: KerasTensor(s, dtype=self.compute_dtype), shapes)

    def _probe_output_spec(self, args, kwargs):
        """Run ``call`` on zeros twice (unknown dims as 2, then 3); output
        dims that differ between the runs are unknown (None)."""
        saved = [(v, v.numpy()) for v in self.weights]
        try:
            runs = [self._run_on_zeros(args, kwargs, size) for size in (2, 3)]
        finally:
            for variable, value in saved:
                variable.assign(value)

        def merge(a, b):
            shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
            return KerasTensor(shape, dtype=standardize_dtype(a.dtype))
        return tree.pack_like(runs[0], [merge(a, b) for a, b in
                                        zip(tree.flatten(runs[0]), tree.flatten(runs[1]))])

    def _run_on_zeros(self, args, kwargs, unknown_size):
        def zeros(value):
            if not isinstance(value, KerasTensor):
                return value
            shape = tuple(unknown_size if d is None else d for d in value.shape)
            self._check_probe_size(shape, value.dtype)
            return ops.zeros(shape, value.dtype)
        args, kwargs = tree.map_structure(zeros, (args, kwargs))
        if self._call_has_training_arg:
            kwargs.setdefault("training", False)
        with stop_recording(), call_context.enter(False):
            return self.call(*args, **kwargs)

    # -- masks --------------------------------------------------------------------

    def compute_mask(self, inputs, previous_mask):
        return previous_mask if self.supports_masking else None

    # -- losses -------------------------------------------------------------------

    def add_loss(self, loss):
        self._losses.append(loss)
        _LOSS_HOLDERS.add(self)

    @property
    def losses(self):
        """Losses added during the last call, plus weight-regularization penalties."""
        collected = []
        for layer in self._flatten_layers():
            collected.extend(layer._losses)
        for variable in self.weights:
            if variable.regularizer is not None and variable.trainable:
                collected.append(variable.regularizer(variable))
        return collected

    # -- graph connectivity (functional API) ------------------------------------

    def _node_attribute(self, node_index, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} is not connected, no {what} to return. "
                                 f"Call it on a symbolic input (brickwork.Input) first.")
        if not -len(self._inbound_nodes) <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {node_index}, but layer "
                             f"{self.name!r} has only {len(self._inbound_nodes)} inbound nodes.")
        values = getattr(self._inbound_nodes[node_index], attribute)
        return values[0] if len(values) == 1 else list(values)

    def get_input_at(self, node_index):
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index):
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index):
        return tree.map_structure(lambda t: t.shape, self.get_input_at(node_index))

    def get_output_shape_at(self, node_index):
        return tree.map_structure(lambda t: t.shape, self.get_output_at(node_index))

    @property
    def input(self):
        return self.get_input_at(0)

    @property
    def output(self):
        return self.get_output_at(0)

    def _shared_shape(self, getter, what):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name!r} has never been called and thus has "
                                 f"no defined {what} shape.")
        shapes = [getter(i) for i in range(len(self._inbound_nodes))]
        if any(s != shapes[0] for s in shapes[1:]):
            raise AttributeError(
                f"The layer {self.name!r} has multiple inbound nodes with different {what} "
                f"shapes, so its {what} shape is ill-defined; use "
                f"`get_{what}_shape_at(node_index)`.")
        return shapes[0]

    @property
    def input_shape(self):
        return self._shared_shape(self.get_input_shape_at, "input")

    @property
    def output_shape(self):
        return self._shared_shape(self.get_output_shape_at, "output")

    # -- configuration ------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name}
        if type(self).get_config is Layer.get_config:
            if self._auto_config is None:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has constructor arguments that are not plain "
                    f"Python values, so its config cannot be generated: override `get_config()`.")
            config.update({k: v for k, v in self._auto_config.items() if k not in _BASE_INIT_ARGS})
        config["trainable"] = self.trainable
        config["dtype"] = dtype_policies.serialize(self.dtype_policy)
        if self.activity_regularizer is not None:
            from brickwork import regularizers
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        try:
            return cls(**config)
        except Exception as exc:
            raise TypeError(f"Error when deserializing class {cls.__name__!r} using "
                            f"config={config}.\n\nException encountered: {exc}") from exc

    # -- saving (the `.keras` weights store) --------------------------------------

    def save_own_variables(self, store):
        for i, variable in enumerate(self._trainable_variables + self._non_trainable_variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        variables = self._trainable_variables + self._non_trainable_variables
        if len(store.keys()) != len(variables):
            raise ValueError(
                f"Layer {self.name!r} expected {len(variables)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in variables]}")
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(store[str(i)]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_WEIGHTS_PROPERTY = Layer.weights  # sub-layers that keep it are walked without it

__all__ = ["Layer", "InputSpec"]
