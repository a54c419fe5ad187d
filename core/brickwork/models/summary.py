"""``Model.summary()``: the Keras 3 table, drawn with box characters.

Column widths follow Keras: edges at ``positions`` of ``line_length``, then
the border characters are taken out of the columns one at a time, the way
rich collapses an over-wide table.
"""
from __future__ import annotations

import shutil
import textwrap

from brickwork.layers.core import InputLayer

SEQUENTIAL_POSITIONS = (0.45, 0.80, 1.0)
GRAPH_POSITIONS = (0.3, 0.56, 0.74, 1.0)


def _is_sequential_like(model):
    from brickwork.models.sequential import Sequential
    if isinstance(model, Sequential) or not hasattr(model, "_nodes"):
        return True
    for node in model._nodes:
        if len(node.layer._inbound_nodes) > 1 or len(node.input_tensors) > 1:
            return False
        if len(node.output_tensors) > 1:
            return False
    return len(model.inputs) == 1 and len(model.outputs) == 1


def _column_widths(line_length, positions):
    edges = [int(p * line_length) if p <= 1 else int(p) for p in positions]
    widths = [b - a for a, b in zip([0] + edges[:-1], edges)]
    excess = len(widths) + 1  # border characters
    remaining, ratio_left, result = excess, len(widths), []
    for width in widths:
        take = min(width, round(remaining / ratio_left))
        result.append(width - take)
        remaining -= take
        ratio_left -= 1
    return result


def _wrap(text, width):
    lines = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
    return lines or [""]


def _row(cells, widths, aligns, border):
    wrapped = [_wrap(str(c), w - 2) for c, w in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    rows = []
    for i in range(height):
        parts = []
        for lines, width, align in zip(wrapped, widths, aligns):
            text = lines[i] if i < len(lines) else ""
            body = text.rjust(width - 2) if align == "right" else text.ljust(width - 2)
            parts.append(f" {body} ")
        rows.append(border + border.join(parts) + border)
    return rows


def _rule(widths, left, middle, right, fill):
    return left + middle.join(fill * w for w in widths) + right


def _readable_size(num_bytes):
    units = ["B", "KB", "MB", "GB", "TB"]
    size = float(num_bytes)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape_text(layer, node_index=-1):
    try:
        shapes = layer.get_output_shape_at(node_index)
    except (AttributeError, ValueError):
        return "?"
    return str(shapes)


def _param_bytes(variables):
    import numpy as np
    return sum(v.size * np.dtype(v.dtype).itemsize for v in variables)


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False):
    sequential_like = _is_sequential_like(model)
    if line_length is None:
        default = 88 if sequential_like else 108
        line_length = min(default, shutil.get_terminal_size().columns - 4)
    if positions is None:
        positions = SEQUENTIAL_POSITIONS if sequential_like else GRAPH_POSITIONS
    headers = ["Layer (type)", "Output Shape", "Param #"]
    aligns = ["left", "left", "right"]
    if not sequential_like:
        headers.append("Connected to")
        aligns.append("left")
    widths = _column_widths(line_length, positions)
    layers = model.layers if sequential_like else model._functional_layers
    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━")]
    lines += _row(headers, widths, aligns, "┃")
    lines.append(_rule(widths, "┡", "╇", "┩", "━"))
    node_ids = {id(n) for n in getattr(model, "_nodes", [])}
    for i, layer in enumerate(layers):
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        cells = [f"{layer.name} ({type(layer).__name__})", _shape_text(layer), params]
        if not sequential_like:
            cells.append(_connections(layer, node_ids))
        if i:
            lines.append(_rule(widths, "├", "┼", "┤", "─"))
        lines += _row(cells, widths, aligns, "│")
    lines.append(_rule(widths, "└", "┴", "┘", "─"))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    counts = [sum(v.size for v in group) for group in (trainable, non_trainable)]
    sizes = [_param_bytes(group) for group in (trainable, non_trainable)]
    lines.append(f" Total params: {sum(counts):,} ({_readable_size(sum(sizes))})")
    lines.append(f" Trainable params: {counts[0]:,} ({_readable_size(sizes[0])})")
    lines.append(f" Non-trainable params: {counts[1]:,} ({_readable_size(sizes[1])})")
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = getattr(optimizer, "variables", None) if optimizer is not None else None
    if optimizer_variables:
        count = sum(v.size for v in optimizer_variables)
        lines.append(f" Optimizer params: {count:,} ({_readable_size(_param_bytes(optimizer_variables))})")
    text = "\n".join(lines) + "\n"
    if print_fn is not None:
        print_fn(text)
    else:
        print(text, end="")


def _connections(layer, node_ids):
    if isinstance(layer, InputLayer):
        return "-"
    parts = []
    for node in layer._inbound_nodes:
        if id(node) not in node_ids:
            continue
        for tensor in node.input_tensors:
            parent, node_index, tensor_index = tensor._keras_history
            parts.append(f"{parent.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"
