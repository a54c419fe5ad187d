"""Converters for Attention and MultiHeadAttention, decomposed into
MatMul/Einsum, Softmax and Where (causal and explicit attention masks)."""
from __future__ import annotations

from brickwork import layers as L
from brickwork.export.core_layers import emit_einsum_dense, softmax_over
from brickwork.export.graph import converter
from brickwork.layers.attention import _MASKED_SCORE_OFFSET

_LOWEST = -1e30  # masked scores, before a softmax whose output is then zeroed there


def _causal_keep(g, scores, hint):
    """Boolean ``j <= i`` over the last two axes of ``scores`` (any lengths)."""
    ones = g.op("ConstantOfShape", [g.op("Shape", [scores], hint)], hint,
                value=g.helper.make_tensor("one", g.onnx.TensorProto.FLOAT, [1], [1.0]))
    lower = g.op("Trilu", [ones], hint, upper=0)
    return g.op("Cast", [lower], hint, to=g.onnx.TensorProto.BOOL)


def _kwarg(call, name, default=None):
    return call.arguments[1].get(name, default)

def attend(g, call, scores, value, hint):
    """The end of a dot-product or additive attention: the causal mask when
    the call asked for it, softmax over the keys, the weighted sum of
    ``value``; with ``return_attention_scores`` the weights as well."""
    if _kwarg(call, "use_causal_mask", False):
        offset = g.constant(_MASKED_SCORE_OFFSET, f"{hint}/offset")
        scores = g.op("Where", [_causal_keep(g, scores, hint), scores,
                                g.op("Sub", [scores, offset], hint)], hint)
    weights = g.op("Softmax", [scores], hint, axis=-1)
    output = g.op("MatMul", [weights, value], hint)
    if _kwarg(call, "return_attention_scores", False):
        return [output, weights]
    return [output]



@converter(L.Attention)
def attention(call):
    layer, g, h = call.layer, call.graph, call.hint
    args, kwargs = call.arguments
    inputs = args[0] if args else kwargs["inputs"]
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    rank = len(call.input_shapes[0])
    if layer.score_mode == "dot":
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        scores = g.op("MatMul", [query, g.op("Transpose", [key], h, perm=perm)], h)
        if layer.scale is not None:
            scores = g.op("Mul", [scores, call.weight(layer.scale, "scale")], h)
    else:  # concat: sum(tanh(scale * (q[..., :, None, :] + k[..., None, :, :])), -1)
        q = g.op("Unsqueeze", [query, g.ints([-2], f"{h}/axis")], h)
        k = g.op("Unsqueeze", [key, g.ints([-3], f"{h}/axis")], h)
        pairs = g.op("Add", [q, k], h)
        if layer.scale is not None:
            pairs = g.op("Mul", [pairs, call.weight(layer.scale, "scale")], h)
        total = g.op("ReduceSum", [g.op("Tanh", [pairs], h), g.ints([-1], f"{h}/axis")], h,
                     keepdims=0)
        scores = g.op("Mul", [total, call.weight(layer.concat_score_weight,
                                                 "concat_score_weight")], h)
    return attend(g, call, scores, value, h)


@converter(L.MultiHeadAttention)
def multi_head_attention(call):
    layer, g, h = call.layer, call.graph, call.hint
    if any(call.input_masked):
        call.refuse("an input carries a Keras mask (from Masking or Embedding(mask_zero=True)), "
                    "and masked attention is not exported yet; pass an explicit "
                    "`attention_mask` input instead")
    if layer._sliding_window is not None:
        call.refuse("sliding_window has no ONNX converter yet")
    args, kwargs = call.arguments
    names = ["query", "value", "key"]
    bound = dict(zip(names, args))
    bound.update({k: v for k, v in kwargs.items() if k in names + ["attention_mask"]})
    for masked in ("query_mask", "value_mask", "key_mask"):
        if kwargs.get(masked) is not None:
            call.refuse(f"`{masked}` has no ONNX converter yet; pass `attention_mask`")
    query, value = bound["query"], bound["value"]
    key = bound.get("key") if bound.get("key") is not None else value
    gate = (emit_einsum_dense(call, layer._gate_dense, query, f"{h}/gate")
            if layer._use_gate else None)
    q = emit_einsum_dense(call, layer._query_dense, query, f"{h}/query")
    k = emit_einsum_dense(call, layer._key_dense, key, f"{h}/key")
    v = emit_einsum_dense(call, layer._value_dense, value, f"{h}/value")
    q = g.op("Mul", [q, g.constant(layer._inverse_sqrt_key_dim, f"{h}/inv_sqrt_key_dim")], h)
    scores = g.op("Einsum", [k, q], h, equation=layer._dot_product_equation)
    keep = None
    mask = bound.get("attention_mask")
    if mask is not None:
        keep = g.op("Cast", [mask], h, to=g.onnx.TensorProto.BOOL)
        mask_rank = len(call.input_shapes[call.inputs.index(mask)])
        scores_rank = len(layer._norm_axes) + layer._norm_axes[0]
        axis = -len(layer._attention_axes) * 2 - 1
        for _ in range(scores_rank - mask_rank):
            keep = g.op("Unsqueeze", [keep, g.ints([axis], f"{h}/axis")], h)
    if _kwarg(call, "use_causal_mask", False):
        causal = _causal_keep(g, scores, h)
        keep = causal if keep is None else g.op("And", [keep, causal], h)
    scores_rank = layer._norm_axes[0] + len(layer._norm_axes)
    if keep is not None:
        scores = g.op("Where", [keep, scores, g.constant(_LOWEST, f"{h}/lowest")], h)
    weights = softmax_over(g, scores, layer._norm_axes, scores_rank, h)
    if keep is not None:
        weights = g.op("Where", [keep, weights, g.constant(0.0, f"{h}/zero")], h)
    output = g.op("Einsum", [weights, v], h, equation=layer._combine_equation)
    if gate is not None:
        output = g.op("Mul", [output, gate], h)
    output = emit_einsum_dense(call, layer._output_dense, output, f"{h}/attention_output")
    if _kwarg(call, "return_attention_scores", False):
        return [output, weights]
    return [output]
