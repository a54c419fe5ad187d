"""Converters for AdditiveAttention and GroupedQueryAttention (the
attention layers export.attention does not cover), decomposed as there."""
from __future__ import annotations

import numpy as np

from brickwork import layers as L
from brickwork.export.attention import _LOWEST, _causal_keep, _kwarg, attend
from brickwork.export.core_layers import emit_einsum_dense
from brickwork.export.graph import converter


@converter(L.AdditiveAttention)
def additive_attention(call):
    layer, g, h = call.layer, call.graph, call.hint
    args, kwargs = call.arguments
    if kwargs.get("mask") is not None:
        call.refuse("an explicit `mask` argument is not exported; apply the mask to the "
                    "inputs instead")
    inputs = args[0] if args else kwargs["inputs"]
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    # scores[b, i, j] = sum(scale * tanh(query[b, i] + key[b, j]))
    q = g.op("Unsqueeze", [query, g.ints([-2], f"{h}/axis")], h)
    k = g.op("Unsqueeze", [key, g.ints([-3], f"{h}/axis")], h)
    pairs = g.op("Tanh", [g.op("Add", [q, k], h)], h)
    if layer.scale is not None:
        pairs = g.op("Mul", [call.weight(layer.scale, "scale"), pairs], h)
    scores = g.op("ReduceSum", [pairs, g.ints([-1], f"{h}/axis")], h, keepdims=0)
    return attend(g, call, scores, value, h)


def _repeat_heads(g, x, repeats, heads, head_dim, hint):
    """``ops.repeat(x, repeats, axis=2)`` of ``(batch, length, heads, head_dim)``."""
    if repeats == 1:
        return x
    x = g.op("Unsqueeze", [x, g.ints([3], f"{hint}/axis")], hint)
    x = g.op("Expand", [x, g.ints([1, 1, 1, repeats, 1], f"{hint}/repeats")], hint)
    return g.reshape(x, [0, 0, heads * repeats, head_dim], hint)


def _sliding_window_keep(g, scores, window, hint):
    """Boolean ``|i - j| < window`` over the last two axes of ``scores``."""
    shape = g.op("Shape", [scores], hint)
    lengths = []
    for axis in (-2, -1):
        size = g.op("Squeeze", [g.op("Slice", [shape, g.ints([axis], f"{hint}/start"),
                                               g.ints([axis + 1 or np.iinfo(np.int64).max],
                                                      f"{hint}/end")], hint)], hint)
        lengths.append(g.op("Range", [g.constant(np.array(0), f"{hint}/zero", np.int64), size,
                                      g.constant(np.array(1), f"{hint}/one", np.int64)], hint))
    rows = g.op("Unsqueeze", [lengths[0], g.ints([1], f"{hint}/axis")], hint)
    distance = g.op("Abs", [g.op("Sub", [rows, lengths[1]], hint)], hint)
    return g.op("Less", [distance, g.ints([window], f"{hint}/window")], hint)


@converter(L.GroupQueryAttention)
def grouped_query_attention(call):
    layer, g, h = call.layer, call.graph, call.hint
    if any(call.input_masked):
        call.refuse("an input carries a Keras mask (from Masking or Embedding(mask_zero=True)), "
                    "and masked attention is not exported yet; pass an explicit "
                    "`attention_mask` input instead")
    args, kwargs = call.arguments
    names = ["query", "value", "key"]
    bound = dict(zip(names, args))
    bound.update({k: v for k, v in kwargs.items() if k in names + ["attention_mask"]})
    for masked in ("query_mask", "value_mask", "key_mask"):
        if kwargs.get(masked) is not None:
            call.refuse(f"`{masked}` has no ONNX converter yet; pass `attention_mask`")
    query, value = bound["query"], bound["value"]
    key = bound.get("key") if bound.get("key") is not None else value
    gate = emit_einsum_dense(call, layer._gate_dense, query, f"{h}/gate") if layer.use_gate \
        else None
    q = emit_einsum_dense(call, layer._query_dense, query, f"{h}/query")
    k = emit_einsum_dense(call, layer._key_dense, key, f"{h}/key")
    v = emit_einsum_dense(call, layer._value_dense, value, f"{h}/value")
    heads, repeats, head_dim = layer.num_key_value_heads, layer.num_repeats, layer.head_dim
    k = _repeat_heads(g, k, repeats, heads, head_dim, f"{h}/key_repeat")
    v = _repeat_heads(g, v, repeats, heads, head_dim, f"{h}/value_repeat")
    q = g.op("Mul", [q, g.constant(layer._inverse_sqrt_head_dim, f"{h}/inv_sqrt_head_dim")], h)
    scores = g.op("Einsum", [q, k], h, equation="bquh,bkuh->buqk")
    keep = None
    mask = bound.get("attention_mask")
    if mask is not None:
        keep = g.op("Cast", [mask], h, to=g.onnx.TensorProto.BOOL)
        keep = g.op("Unsqueeze", [keep, g.ints([-3], f"{h}/axis")], h)  # the head axis
    if _kwarg(call, "use_causal_mask", False):
        causal = _causal_keep(g, scores, h)
        keep = causal if keep is None else g.op("And", [keep, causal], h)
    if layer.sliding_window is not None:
        window = _sliding_window_keep(g, scores, int(layer.sliding_window), h)
        keep = window if keep is None else g.op("And", [keep, window], h)
    if keep is not None:
        scores = g.op("Where", [keep, scores, g.constant(_LOWEST, f"{h}/lowest")], h)
    weights = g.op("Softmax", [scores], h, axis=-1)
    if keep is not None:
        weights = g.op("Where", [keep, weights, g.constant(0.0, f"{h}/zero")], h)
    output = g.op("Einsum", [weights, v], h, equation="buqk,bkuh->bquh")
    if gate is not None:
        output = g.op("Mul", [output, gate], h)
    output = emit_einsum_dense(call, layer._output_dense, output, f"{h}/attention_output")
    if _kwarg(call, "return_attention_scores", False):
        return [output, weights]
    return [output]
