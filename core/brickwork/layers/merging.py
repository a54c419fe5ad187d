"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and their functional forms (``add(inputs)``, ...)."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import ops
from brickwork.layers.layer import Layer


def _as_shape_list(layer, input_shape):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            s is None or isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"A merge layer ({type(layer).__name__} {layer.name!r}) should be "
                         f"called on a list of inputs. Received: input_shape={input_shape} "
                         f"(not a list of shapes)")
    return [None if s is None else tuple(s) for s in input_shape]


def _check_list(layer, inputs, what="inputs"):
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"A merge layer ({type(layer).__name__} {layer.name!r}) should be "
                         f"called on a list of {what}. Received: {what}={inputs!r}")


class Merge(Layer):
    """Elementwise merge of a list of tensors, broadcasting as NumPy does
    (after the batch axis; inputs of lower rank gain axes after the batch
    axis). Masks combine by logical OR."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs, masks):
        raise NotImplementedError  # each subclass defines its merge

    def _elementwise_shape(self, shape1, shape2, all_shapes):
        """Broadcast two shapes (without batch axes), naming both when they clash."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        out = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}): inputs have incompatible "
                    f"shapes. Received shapes {shape1} and {shape2} (full input shapes: "
                    f"{all_shapes})")
            else:
                out.append(i)
        return tuple(out)

    def _output_shape(self, shapes):
        shapes = _as_shape_list(self, shapes)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): cannot merge "
                             f"tensors with different batch sizes. Received tensors with "
                             f"shapes {shapes}")
        out = None if shapes[0] is None else shapes[0][1:]
        for shape in shapes[1:]:
            out = self._elementwise_shape(out, None if shape is None else shape[1:], shapes)
        if out is None:
            return None
        return (batch_sizes.pop() if batch_sizes else None,) + tuple(out)

    def build(self, input_shape):
        self._output_shape(input_shape)  # validates, raising at build time
        self.built = True

    def call(self, inputs, mask=None):
        _check_list(self, inputs)
        ranks = [len(ops.shape(x)) for x in inputs]
        if len(set(ranks)) > 1:
            # Lower-rank inputs gain axes right after the batch axis, as in Keras.
            top = max(ranks)
            expanded = []
            for x, rank in zip(inputs, ranks):
                for _ in range(top - rank):
                    x = ops.expand_dims(x, 1)
                expanded.append(x)
            inputs = expanded
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        return self._merge_function(list(inputs), masks)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)

    def compute_mask(self, inputs, previous_mask):
        if previous_mask is None:
            return None
        _check_list(self, previous_mask, "masks")
        _check_list(self, inputs)
        if len(previous_mask) != len(inputs):
            raise ValueError(f"Layer {self.name!r}: the lists `inputs` and `mask` should have "
                             f"the same length, received {len(inputs)} inputs and "
                             f"{len(previous_mask)} masks")
        if any(m is None for m in previous_mask):
            return None
        output_mask = previous_mask[0]
        for m in previous_mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask

    def get_config(self):
        return super().get_config()  # no arguments of its own


def _expanded_mask(mask, x):
    """A ``(batch, ..., 1)``-style mask broadcast over ``x``'s last axis."""
    return ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x))


@keras_export("keras.layers.Add")
class Add(Merge):
    """Adds a list of inputs elementwise.

    Returns the sum of its inputs. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    The output's mask is the logical OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Add()([a, b])
        array([[3., 3., 3.],
               [3., 3., 3.]], dtype=float32)
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


@keras_export("keras.layers.Subtract")
class Subtract(Merge):
    """Subtracts one input from another, elementwise.

    Takes exactly two inputs and returns ``inputs[0] - inputs[1]``. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    The output's mask is the logical OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Subtract()([a, b])
        array([[-1., -1., -1.],
               [-1., -1., -1.]], dtype=float32)
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer ({self.name!r}) should be called on exactly "
                             f"2 inputs. Received: input_shape={input_shape}")

    def _merge_function(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer ({self.name!r}) should be called on exactly "
                             f"2 inputs. Received {len(inputs)} inputs")
        return ops.subtract(inputs[0], inputs[1])


@keras_export("keras.layers.Multiply")
class Multiply(Merge):
    """Multiplies a list of inputs elementwise.

    Returns the product of its inputs. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    With masks on the inputs, a masked entry counts as 1 (it does not
    affect the product) and positions masked in every input give 0; the
    output's mask is the OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Multiply()([a, b])
        array([[2., 2., 2.],
               [2., 2., 2.]], dtype=float32)
    """

    def _merge_function(self, inputs, masks):
        all_masked = all(m is not None for m in masks)
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expanded_mask(mask, x)
                x = ops.where(mask, x, ops.ones((), ops.dtype_of(x)))
                if all_masked:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if all_masked:
            output = ops.where(output_mask, output, ops.zeros((), ops.dtype_of(output)))
        return output


@keras_export("keras.layers.Average")
class Average(Merge):
    """Averages a list of inputs elementwise.

    Returns the mean of its inputs. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    The output's mask is the logical OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Average()([a, b])
        array([[1.5, 1.5, 1.5],
               [1.5, 1.5, 1.5]], dtype=float32)
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, len(inputs))


class _MaskedExtremum(Merge):
    """Maximum/Minimum: a masked entry is replaced by the other operand, so
    it never wins (Keras' ``_apply_merge_op_and_or_mask``)."""

    _op = None

    def _merge_function(self, inputs, masks):
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expanded_mask(mask, x)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            output_mask = (ops.logical_or(output_mask, mask)
                           if mask is not None and output_mask is not None else None)
            output = type(self)._op(output, x)
        return output


@keras_export("keras.layers.Maximum")
class Maximum(_MaskedExtremum):
    """Takes the elementwise maximum of a list of inputs.

    Returns the largest of its inputs at each position. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    A masked entry never wins over an unmasked one; the output's mask is
    the OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Maximum()([a, b])
        array([[2., 2., 2.],
               [2., 2., 2.]], dtype=float32)
    """

    _op = staticmethod(ops.maximum)


@keras_export("keras.layers.Minimum")
class Minimum(_MaskedExtremum):
    """Takes the elementwise minimum of a list of inputs.

    Returns the smallest of its inputs at each position. The inputs are broadcast against each other after the batch
    axis (an input of lower rank gains axes right after the batch axis).
    A masked entry never wins over an unmasked one; the output's mask is
    the OR of the inputs' masks.

    Args:
        **kwargs: the base ``Layer`` arguments (``name``, ``dtype``, ...).

    Input shape:
        A list of at least 2 tensors with the same batch size and
        broadcastable other axes.

    Output shape:
        The broadcast shape of the inputs.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Minimum()([a, b])
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """

    _op = staticmethod(ops.minimum)


@keras_export("keras.layers.Concatenate")
class Concatenate(Merge):
    """Concatenates a list of inputs along one axis.

    All inputs must have the same shape except along ``axis``. With masks,
    each input's mask is spread over its last axis (an input without one
    counts as all kept), the masks are concatenated like the inputs, and
    the output keeps a position where any entry along its last axis is
    kept.

    Args:
        axis: int, the axis to concatenate along. Default -1.

    Input shape:
        A list of at least 2 tensors of the same rank whose shapes agree
        except along ``axis``.

    Output shape:
        The common shape, with the sizes along ``axis`` summed.

    Examples:
        >>> layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4))]).shape
        (2, 7)
        >>> layers.Concatenate(axis=1)([np.ones((2, 3, 5)), np.ones((2, 1, 5))]).shape
        (2, 4, 5)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Layer {self.name!r} (Concatenate): `axis` must be an int, "
                            f"received axis={axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes):
        shapes = _as_shape_list(self, shapes)
        if all(s is None for s in shapes):
            return shapes
        ranks = {len(s) for s in shapes if s is not None}
        mismatch = len(ranks) > 1
        if not mismatch:
            rank = ranks.pop()
            if not -rank <= self.axis < rank:
                raise ValueError(f"Layer {self.name!r} (Concatenate): axis {self.axis} is out of "
                                 f"range for inputs of rank {rank}")
            axis = self.axis % rank
            for i in range(rank):
                sizes = {s[i] for s in shapes if s is not None and s[i] is not None}
                if i != axis and len(sizes) > 1:
                    mismatch = True
        if mismatch:
            raise ValueError(f"Layer {self.name!r}: a `Concatenate` layer requires inputs with "
                             f"matching shapes except for the concatenation axis "
                             f"(axis={self.axis}). Received: input_shape={shapes}")
        return shapes

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        _check_list(self, inputs)
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_shapes(input_shape)
        out = list(shapes[0])
        for shape in shapes[1:]:
            if out[self.axis] is None or shape[self.axis] is None:
                out[self.axis] = None
                break
            out[self.axis] += shape[self.axis]
        return tuple(out)

    def compute_mask(self, inputs, previous_mask):
        if previous_mask is None:
            return None
        _check_list(self, previous_mask, "masks")
        _check_list(self, inputs)
        if len(previous_mask) != len(inputs):
            raise ValueError(f"Layer {self.name!r}: the lists `inputs` and `mask` should have "
                             f"the same length, received {len(inputs)} inputs and "
                             f"{len(previous_mask)} masks")
        if all(m is None for m in previous_mask):
            return None
        # Keras: each input's mask spread over its feature axis (all True where
        # an input has none), concatenated, then reduced with any() over the last axis.
        masks = []
        for x, m in zip(inputs, previous_mask):
            x_shape = ops.shape(x)
            if m is None:
                masks.append(ops.ones(x_shape, "bool"))
            elif len(ops.shape(m)) < len(x_shape):
                masks.append(ops.broadcast_to(ops.expand_dims(m, -1), x_shape))
            else:
                masks.append(m)
        joined = ops.concatenate(masks, axis=self.axis)
        return ops.backend_xp().any(joined, axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(x, axis):
    """``x / max(||x||, 1e-7)`` along ``axis``, as Keras' ``ops.normalize``."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    # rsqrt capped at 1/epsilon: a zero vector stays zero.
    inverse_norm = ops.minimum(ops.divide(1.0, ops.sqrt(ops.maximum(square_sum, 1e-30))), 1e7)
    return ops.multiply(x, inverse_norm)


def batch_dot(x, y, axes):
    """Per-sample dot product of ``x`` and ``y`` over ``axes[0]`` of ``x`` and
    ``axes[1]`` of ``y`` (both > 0): the result has ``x``'s remaining axes, then
    ``y``'s; a rank-1 result gains a trailing axis of size 1, as Keras' ``batch_dot``."""
    x_rank, y_rank = len(ops.shape(x)), len(ops.shape(y))
    a0, a1 = axes
    x_rest = "".join(chr(ord("a") + i) for i in range(1, x_rank) if i != a0)
    y_rest = "".join(chr(ord("m") + i) for i in range(1, y_rank) if i != a1)
    x_spec = "".join("Z" if i == 0 else "K" if i == a0 else chr(ord("a") + i) for i in range(x_rank))
    y_spec = "".join("Z" if i == 0 else "K" if i == a1 else chr(ord("m") + i) for i in range(y_rank))
    out = ops.einsum(f"{x_spec},{y_spec}->Z{x_rest}{y_rest}", x, y)
    if len(ops.shape(out)) == 1:
        out = ops.expand_dims(out, -1)
    return out


@keras_export("keras.layers.Dot")
class Dot(Merge):
    """Dot product of two inputs, sample by sample.

    For each sample, contracts axis ``axes[0]`` of the first input with axis
    ``axes[1]`` of the second (a batched ``tensordot``). The result keeps the
    first input's other axes, then the second's; a result with a single axis
    after the batch axis has size 1 added, ``(batch, 1)``. The output has
    no mask.

    Args:
        axes: int, or a pair of ints, the axis of each input to contract
            (counted with the batch axis as 0; negative values count from the
            end). An int uses the same axis for both.
        normalize: bool, whether to L2-normalize both inputs along the
            contracted axes first, so the result is the cosine similarity.
            Default False.

    Input shape:
        A list of 2 tensors with the same batch size whose sizes along the
        contracted axes match.

    Output shape:
        ``(batch,) + remaining axes of input 1 + remaining axes of input 2``,
        or ``(batch, 1)`` when nothing else remains.

    Examples:
        >>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
        >>> layers.Dot(axes=1)([a, b])
        array([[6.],
               [6.]], dtype=float32)
        >>> layers.Dot(axes=(2, 2))([np.ones((2, 4, 8)), np.ones((2, 5, 8))]).shape
        (2, 4, 5)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Layer {self.name!r} (Dot): invalid type for argument `axes`: "
                                f"it should be a list or an int. Received: axes={axes!r}")
            if len(axes) != 2:
                raise ValueError(f"Layer {self.name!r} (Dot): invalid format for argument "
                                 f"`axes`: it should contain two elements. Received: axes={axes}")
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Layer {self.name!r} (Dot): invalid format for argument "
                                 f"`axes`: list elements should be integers. Received: "
                                 f"axes={axes}")
        self.axes = axes
        self.normalize = normalize

    def _resolve_axes(self, shape1, shape2):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        resolved = []
        for axis, shape in zip(pair, (shape1, shape2)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"Layer {self.name!r} (Dot): axis {axis} is out of range for an "
                                 f"input of shape {tuple(shape)}")
            resolved.append(axis % len(shape))
        if 0 in resolved:
            raise ValueError(f"Layer {self.name!r} (Dot): cannot take the dot product over the "
                             f"batch axis 0. Received axes={self.axes} for input shapes "
                             f"{tuple(shape1)} and {tuple(shape2)}")
        return resolved

    def _check_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
                isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A `Dot` layer ({self.name!r}) should be called on a list of 2 "
                             f"inputs. Received: input_shape={input_shape}")
        shape1, shape2 = (tuple(s) for s in input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"Layer {self.name!r} (Dot): inputs need a batch axis and at least "
                             f"one more axis. Received shapes {shape1} and {shape2}")
        a0, a1 = self._resolve_axes(shape1, shape2)
        if None not in (shape1[a0], shape2[a1]) and shape1[a0] != shape2[a1]:
            raise ValueError(f"Layer {self.name!r} (Dot): incompatible input shapes: axis values "
                             f"{shape1[a0]} (at axis {a0}) != {shape2[a1]} (at axis {a1}). "
                             f"Full input shapes: {shape1}, {shape2}")
        if None not in (shape1[0], shape2[0]) and shape1[0] != shape2[0]:
            raise ValueError(f"Layer {self.name!r} (Dot): inputs have different batch sizes. "
                             f"Received shapes {shape1} and {shape2}")
        return shape1, shape2, (a0, a1)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        _check_list(self, inputs)
        if len(inputs) != 2:
            raise ValueError(f"A `Dot` layer ({self.name!r}) should be called on exactly 2 "
                             f"inputs. Received {len(inputs)} inputs")
        x1, x2 = inputs
        _, _, axes = self._check_shapes([ops.shape(x1), ops.shape(x2)])
        if self.normalize:
            x1, x2 = _l2_normalize(x1, axes[0]), _l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        shape1, shape2, (a0, a1) = self._check_shapes(input_shape)
        out = [d for i, d in enumerate(shape1) if i != a0] + \
              [d for i, d in enumerate(shape2) if i not in (0, a1)]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def compute_mask(self, inputs, previous_mask):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def add(inputs, **kwargs):
    """Functional form of :class:`Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of :class:`Dot`."""
    return Dot(axes=axes, **kwargs)(inputs)


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
