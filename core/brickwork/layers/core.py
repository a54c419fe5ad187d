"""Core layers: InputLayer (and ``Input``), Dense, Activation."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import activations, constraints, initializers, ops, regularizers
from brickwork.dtypes import standardize_dtype
from brickwork.hookspecs import OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.naming import auto_name
from brickwork.symbolic import KerasTensor, Node


@keras_export("keras.layers.InputLayer")
class InputLayer(Layer):
    """The entry point of a functional model: holds one symbolic input tensor.

    Most code calls ``keras.Input(shape=...)``, which builds an
    ``InputLayer`` and returns its tensor; ``Sequential`` models also accept
    an ``InputLayer`` as their first layer.

    Args:
        shape: tuple of ints or None, the shape of one sample (without the
            batch axis). None entries are sizes left open.
        sparse: whether the input is sparse. Stored in the config; brickwork
            feeds dense arrays.
        ragged: must be falsy; ragged tensors (TensorFlow-only in Keras) are
            refused with a ValueError.
        batch_shape: the full shape, batch axis included, as an alternative
            to ``shape`` plus ``batch_size`` (pass one or the other).
        input_tensor: an existing symbolic tensor to wrap instead of
            creating a new one.
        optional: whether the input may be None when the model is called.
            Default False.

    Also takes ``batch_size`` (the fixed batch size, default None) and
    ``dtype`` (the input's dtype, default the float policy's).

    Input shape:
        None; the layer has no inputs.

    Output shape:
        ``(batch_size,) + shape``, or ``batch_shape``.

    Examples:
        >>> layer = layers.InputLayer(shape=(4,))
        >>> layer.batch_shape
        (None, 4)
        >>> model = keras.Sequential([layer, layers.Dense(2)])
        >>> model(np.ones((3, 4))).shape
        (3, 2)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        if ragged:
            raise ValueError("InputLayer: ragged tensors are not supported (Keras supports them "
                             "only on TensorFlow); pad the sequences to one length instead.")
        input_shape = kwargs.pop("input_shape", None)
        legacy_batch_shape = kwargs.pop("batch_input_shape", None)
        batch_shape = batch_shape if batch_shape is not None else legacy_batch_shape
        super().__init__(name=name or auto_name("input_layer"), **kwargs)
        shape = shape if shape is not None else input_shape
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass `shape` or `batch_shape`, not both")
        if input_tensor is not None:
            batch_shape = input_tensor.shape
        elif batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: a `shape` (or `batch_shape`) argument is required")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._input_dtype = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        tensor = (input_tensor if input_tensor is not None
                  else KerasTensor(self._batch_shape, dtype=self._input_dtype, name=self.name))
        Node(self, outputs=tensor)
        self.output_tensor = tensor

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def dtype(self):
        return self._input_dtype

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._batch_shape), "dtype": self._input_dtype,
                "sparse": self.sparse, "ragged": False, "name": self.name,
                "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """A symbolic input tensor for the functional API, as ``keras.Input``
    (``ragged=True``, TensorFlow-only in Keras, is refused)."""
    if ragged:
        raise ValueError("Input: ragged tensors are not supported (Keras supports them only "
                         "with the TensorFlow backend).")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output_tensor


def apply_activation(activation, x):
    return x if activation is activations.linear else activation(x)


@keras_export("keras.layers.Dense")
class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel has shape ``(input_dim, units)`` and the bias ``(units,)``.
    Inputs of rank above 2 are multiplied along their last axis, so a
    ``(batch, steps, features)`` input gives ``(batch, steps, units)``.
    Masks pass through.

    Args:
        units: positive int, the size of the output's last axis.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.
        lora_rank: accepted for Keras compatibility; brickwork has no LoRA
            and ignores it.
        lora_alpha: accepted for Keras compatibility and ignored.
        quantization_config: must be None; quantization is not supported.

    Input shape:
        ``(batch, ..., input_dim)``, at least 2 axes.

    Output shape:
        ``(batch, ..., units)``.

    Examples:
        >>> x = np.ones((2, 4))
        >>> layers.Dense(3, activation="relu")(x).shape
        (2, 3)
        >>> layers.Dense(3)(np.ones((2, 5, 4))).shape
        (2, 5, 3)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        if quantization_config is not None:
            raise ValueError(f"Dense: quantization (quantization_config={quantization_config!r}) "
                             f"is not supported by brickwork; leave it None.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, float) and units.is_integer():
            units = int(units)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense layer {self.name!r}: `units` must be a positive integer, "
                             f"got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense layer {self.name!r}: the last dimension of the input must "
                             f"be known, got input shape {tuple(input_shape)}")
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        if ops.data_of(inputs).dtype != self.compute_dtype:  # cheaper than dtype_of's name
            inputs = ops.cast(inputs, self.compute_dtype)
        fused = getattr(self.activation, "kernel_name", None)
        if fused in OUTPUT_DIFFERENTIABLE_ACTIVATIONS:
            return ops.dense(inputs, self.kernel, self.bias, fused)
        return apply_activation(self.activation, ops.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_or_none(self.kernel_regularizer),
            "bias_regularizer": _serialize_or_none(self.bias_regularizer),
            "kernel_constraint": _serialize_or_none(self.kernel_constraint),
            "bias_constraint": _serialize_or_none(self.bias_constraint),
            "quantization_config": None,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("quantization_config", None)
        return super().from_config(config)


def _serialize_or_none(obj):
    from brickwork.saving.serialization import serialize_keras_object
    return None if obj is None else serialize_keras_object(obj)


@keras_export("keras.layers.Activation")
class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: an activation function, or the name of one (such as
            ``"relu"``, ``"softmax"`` or ``"gelu"``).

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layers.Activation("relu")(np.array([-1.0, 2.0]))
        array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
