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
    """The entry point of a functional model: produces one symbolic tensor."""

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
    """``activation(inputs @ kernel + bias)``; kernel ``(in, units)``, bias ``(units,)``."""

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
    """Applies an activation function to its input."""

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
