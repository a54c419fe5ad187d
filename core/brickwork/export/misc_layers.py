"""Converters for Identity, RMSNormalization, SpectralNormalization and
ReversibleEmbedding."""
from __future__ import annotations

from brickwork import layers as L
from brickwork.export.augmentation import emit_inner
from brickwork.export.core_layers import embedding
from brickwork.export.graph import converter


# Identity passes its input's mask on; the layers that read masks refuse it.
@converter(L.Identity, ignores_mask=True)
def identity(call):
    return [call.graph.op("Identity", [call.inputs[0]], call.hint)]


@converter(L.RMSNormalization)
def rms_normalization(call):
    layer, g, h = call.layer, call.graph, call.hint
    rank = len(call.input_shapes[0])
    axes = sorted(a % rank for a in (layer.axis if isinstance(layer.axis, (list, tuple))
                                     else [layer.axis]))
    x = call.inputs[0]
    # x * rsqrt(mean(x ** 2) + epsilon) * scale
    mean_square = g.op("ReduceMean", [g.op("Mul", [x, x], h), g.ints(axes, f"{h}/axes")], h,
                       keepdims=1)
    root = g.op("Sqrt", [g.op("Add", [mean_square, g.constant(layer.epsilon, f"{h}/epsilon")],
                              h)], h)
    y = g.op("Div", [x, root], h)
    shape = [call.input_shapes[0][i] if i in axes else 1 for i in range(1, rank)]
    return [g.op("Mul", [y, call.weight(layer.scale, "scale", lambda a: a.reshape(shape))], h)]


# At inference SpectralNormalization is its layer with the kernel it holds
# (training normalizes the kernel in place), as in Keras.
@converter(L.SpectralNormalization)
def spectral_normalization(call):
    return emit_inner(call, call.layer.layer, call.inputs, call.input_shapes,
                      call.output_shapes, f"{call.hint}/{call.layer.layer.name}")


@converter(L.ReversibleEmbedding)
def reversible_embedding(call):
    layer, g, h = call.layer, call.graph, call.hint
    args, kwargs = call.arguments
    reverse = kwargs.get("reverse", args[1] if len(args) > 1 else False)
    if not reverse:
        return embedding(call)
    if layer.reverse_dtype not in (None, "float32"):
        call.refuse(f"reverse_dtype={layer.reverse_dtype!r}: ONNX export writes float32 only")
    x = call.inputs[0]
    if call.input_dtypes and str(call.input_dtypes[0]) != "float32":
        x = g.op("Cast", [x], h, to=g.onnx.TensorProto.FLOAT)
    if layer.tie_weights:
        kernel = call.weight(layer.embeddings, "embeddings", lambda a: a.T)
    else:
        kernel = call.weight(layer.reverse_embeddings, "reverse_embeddings")
    logits = g.op("MatMul", [x, kernel], h)
    if layer.logit_soft_cap is not None:
        cap = g.constant(float(layer.logit_soft_cap), f"{h}/cap")
        logits = g.op("Mul", [g.op("Tanh", [g.op("Div", [logits, cap], h)], h), cap], h)
    return [logits]
