"""Pictures of models: ``utils.model_to_dot`` and ``utils.plot_model``.

A model becomes a Graphviz graph through pydot, with the nodes, labels and
edges Keras 3 draws: one node per layer (an HTML table with the layer's name
and class, and on request its activation, input and output shapes, output
dtype and whether it trains), one edge per connection between layers, nested
models drawn as a node or, with ``expand_nested=True``, as a dashed cluster of
their own layers. A subclassed model is a single node, as in Keras.

pydot (a Python package) and Graphviz's ``dot`` program (a system package)
are optional: they are imported and looked for only when a picture is asked
for, and a missing one is named in the error along with how to install it.
"""
from __future__ import annotations

import html
import os
import re
import sys

from brickwork import tree

GRAPHVIZ_HELP = (
    "Graphviz's `dot` program: `apt-get install graphviz` (Debian, Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see "
    "https://graphviz.org/download/")


def _import_pydot():
    """The pydot module, or None. pydot_ng and pydotplus (older forks that
    Keras also accepts) stand in when pydot itself is missing."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _pydot_or_raise(function_name):
    pydot = _import_pydot()
    if pydot is None:
        raise ImportError(f"You must install pydot (`pip install pydot`) for "
                          f"`{function_name}` to work.")
    return pydot


def check_pydot():
    """Whether pydot can be imported."""
    return _import_pydot() is not None


def _graphviz_problem(pydot):
    """None when Graphviz's ``dot`` renders an empty graph, else what went wrong."""
    errors = (OSError, AssertionError) + tuple(
        e for e in (getattr(pydot, "PydotException", None), getattr(pydot, "Error", None))
        if isinstance(e, type) and issubclass(e, Exception))
    try:
        pydot.Dot.create(pydot.Dot())
    except errors as exc:
        return str(exc) or type(exc).__name__
    return None


def check_graphviz():
    """Whether pydot and Graphviz's ``dot`` program are both usable."""
    pydot = _import_pydot()
    return pydot is not None and _graphviz_problem(pydot) is None


def _check_built(model):
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by "
                         "calling `build()` or by calling the model on a batch of data.")


def _graph_model_classes():
    from brickwork.models.functional import Functional
    from brickwork.models.sequential import Sequential
    return Functional, Sequential


# -- node labels ----------------------------------------------------------------------

def _text(value):
    return html.escape(str(value), quote=False)


def _activation_name(layer):
    activation = layer.activation
    if hasattr(activation, "name"):
        return activation.name
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _layer_io(layer, which):
    """What Keras's ``layer.input`` / ``layer.output`` give: the first call's
    tensors, or for a functional model the tensors it was built from."""
    Functional, _ = _graph_model_classes()
    if isinstance(layer, Functional):
        return layer._inputs_struct if which == "input" else layer._outputs_struct
    return getattr(layer, which)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{key}: {value}" for key, value in shape.items())
    else:
        text = f"{shape}"
    return text.replace("{", "").replace("}", "")


def _cell(text, bgcolor="white", colspan=None, color=None, bold=False):
    span = f' colspan="{colspan}"' if colspan is not None else ""
    font_color = f' color="{color}"' if color else ""
    size = 16 if bgcolor == "black" else 14
    body = f"<b>{text}</b>" if bold else text
    if bgcolor == "black":  # the title row: Keras writes colspan before bgcolor there
        return (f'<td{span} bgcolor="black"><font point-size="{size}"{font_color}>'
                f"{body}</font></td>")
    return (f'<td bgcolor="{bgcolor}"{span}><font point-size="{size}"{font_color}>'
            f"{body}</font></td>")


def make_layer_label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes,
                     show_trainable):
    """The HTML-like Graphviz label of one layer's node, cell for cell as
    Keras 3 writes it."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    if show_layer_names:
        title = f"<b>{_text(layer.name)}</b> ({_text(class_name)})"
    else:
        title = f"<b>{_text(class_name)}</b>"
    rows = [_cell(title, bgcolor="black", colspan=colspan, color="white")]
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        rows.append(_cell(f"Activation: <b>{_text(_activation_name(layer))}</b>",
                          colspan=colspan))

    cols = []
    if show_shapes:
        input_shape = output_shape = None
        try:
            input_shape = tree.map_structure(lambda t: t.shape, _layer_io(layer, "input"))
            output_shape = tree.map_structure(lambda t: t.shape, _layer_io(layer, "output"))
        except (ValueError, AttributeError):
            pass
        if class_name != "InputLayer":
            cols.append(_cell(f"Input shape: <b>{_text(_format_shape(input_shape))}</b>"))
        cols.append(_cell(f"Output shape: <b>{_text(_format_shape(output_shape))}</b>"))
    if show_dtype:
        dtype = None
        try:
            dtype = tree.map_structure(lambda t: t.dtype, _layer_io(layer, "output"))
        except (ValueError, AttributeError):
            pass
        cols.append(_cell(f"Output dtype: <b>{_text(dtype or '?')}</b>"))
    if show_trainable and hasattr(layer, "trainable") and layer.weights:
        if layer.trainable:
            cols.append(_cell("Trainable", bgcolor="forestgreen", color="white", bold=True))
        else:
            cols.append(_cell("Non-trainable", bgcolor="firebrick", color="white", bold=True))

    table = ['<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">']
    table += [f"<tr>{row}</tr>" for row in rows]
    if cols:
        table.append(f"<tr>{''.join(cols)}</tr>")
    table.append("</table>>")
    return "".join(table)


def _make_node(pydot, layer, label_options):
    node = pydot.Node(str(id(layer)), label=make_layer_label(layer, **label_options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _add_edge(pydot, dot, source, destination):
    source_id, destination_id = str(id(source)), str(id(destination))
    if not dot.get_edge(source_id, destination_id):
        edge = pydot.Edge(source_id, destination_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


# -- which layers, which edges ------------------------------------------------------------

def _layers_in_range(model, layers, layer_range):
    """``layers`` cut to ``layer_range``: two layer names or regular
    expressions (matched at the start of the name, as ``re.match``), the
    first and the last layer drawn, both included."""
    if (not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2
            or not all(isinstance(name, str) for name in layer_range)):
        raise ValueError(f"`layer_range` must be a list or tuple of two layer names (or "
                         f"regular expressions matching them). Received: "
                         f"layer_range={layer_range!r}")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        raise ValueError(f"`layer_range` {list(layer_range)!r} does not match the layers of "
                         f"model {model.name!r}: {[layer.name for layer in layers]}")
    if min(first) > max(last):
        return layers[min(last):max(first) + 1]
    return layers[min(first):max(last) + 1]


def _resolve_source(layer, output_index):
    """The layer inside (nested) models that makes output ``output_index`` of
    ``layer``: models have no box of their own once expanded."""
    graph_models = _graph_model_classes()
    while isinstance(layer, graph_models):
        history = layer.outputs[output_index]._keras_history
        layer, output_index = history.layer, history.tensor_index
    return layer


def _resolve_destination(layer, input_index):
    """The box inside (nested) models that input ``input_index`` of
    ``layer`` goes to: a functional model's InputLayer, or a Sequential's
    first layer."""
    Functional, Sequential = _graph_model_classes()
    while isinstance(layer, (Functional, Sequential)):
        if isinstance(layer, Functional):
            layer = layer.inputs[input_index]._keras_history.layer
        else:
            layer = layer.layers[0]
    return layer


def _connections(model, layers):
    """(source layer, destination layer, output index, input index) for every
    connection between ``layers`` in ``model``'s graph, in Keras's order."""
    Functional, Sequential = _graph_model_classes()
    if isinstance(model, Sequential):
        stack = model.layers
        for before, after in zip(stack, stack[1:]):
            yield before, after, 0, 0
        return
    node_ids = {id(node) for node in model._nodes}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in node_ids:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                history = tensor._keras_history
                if history is None:
                    continue
                yield history.layer, layer, history.tensor_index, input_index


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """Convert a model to a ``pydot.Dot`` graph, as ``keras.utils.model_to_dot``.

    Args:
        model: a built model (Sequential, functional or subclassed; a
            subclassed model is drawn as one node).
        show_shapes: whether to show each layer's input and output shapes.
        show_dtype: whether to show each layer's output dtype.
        show_layer_names: whether to show layer names (else class names only).
        rankdir: Graphviz's ``rankdir``: ``"TB"`` draws top to bottom, ``"LR"``
            left to right.
        expand_nested: whether to draw nested models as clusters of their
            own layers (else as one node each).
        dpi: image resolution, in dots per inch.
        subgraph: return a ``pydot.Cluster`` (used for nested models) instead
            of a ``pydot.Dot``.
        show_layer_activations: whether to show the activation of layers that
            have an ``activation`` attribute.
        show_trainable: whether to mark layers with weights as trainable or not.
        splines: how edges are drawn (Graphviz's ``splines``): ``"ortho"``
            (right angles), ``"curved"``, ``"polyline"``, ``"spline"``, ``"line"``.
        layer_range: (keyword) two layer names or regular expressions, the
            first and last layer to draw; edges are drawn between drawn
            layers only. Keras 2 had this argument; Keras 3 refuses it.

    Returns:
        A ``pydot.Dot``, or a ``pydot.Cluster`` when ``subgraph=True``.
    """
    layer_range = kwargs.pop("layer_range", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    _check_built(model)
    pydot = _pydot_or_raise("model_to_dot")
    Functional, Sequential = _graph_model_classes()

    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")

    label_options = {"show_layer_names": show_layer_names,
                     "show_layer_activations": show_layer_activations,
                     "show_dtype": show_dtype, "show_shapes": show_shapes,
                     "show_trainable": show_trainable}

    if not isinstance(model, (Functional, Sequential)):
        dot.add_node(_make_node(pydot, model, label_options))  # subclassed: one box
        return dot
    layers = model.layers if isinstance(model, Sequential) else model._functional_layers
    if layer_range is not None:
        layers = _layers_in_range(model, layers, layer_range)
    drawn = {id(layer) for layer in layers}

    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(model_to_dot(
                layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                subgraph=True, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable))
        else:
            dot.add_node(_make_node(pydot, layer, label_options))

    for source, destination, output_index, input_index in _connections(model, layers):
        if id(source) not in drawn or id(destination) not in drawn:
            continue
        if expand_nested:
            source = _resolve_source(source, output_index)
            destination = _resolve_destination(destination, input_index)
        _add_edge(pydot, dot, source, destination)
    return dot


def _in_notebook():
    return "IPython.core.magics.namespace" in sys.modules


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw a model with Graphviz and save the picture, as ``keras.utils.plot_model``.

    Example:

    ```python
    model = brickwork.Sequential([brickwork.Input((8,)), brickwork.layers.Dense(4)])
    brickwork.utils.plot_model(model, to_file="model.png", show_shapes=True)
    ```

    Args:
        model: a built model.
        to_file: where to save the picture; its extension picks the format
            (``.png``, ``.svg``, ``.pdf``, ``.dot``, ...; none means PNG).
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
        dpi, show_layer_activations, show_trainable, splines, layer_range:
            as in ``model_to_dot``. Note that ``show_layer_names`` is False
            here by default, as in Keras.

    Returns:
        An ``IPython.display.Image`` of the picture where IPython is installed
        (so that a notebook shows it), else None.

    Raises:
        ImportError: pydot or Graphviz's ``dot`` program is missing (in a
            notebook the message is printed instead, as Keras does).
    """
    layer_range = kwargs.pop("layer_range", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    _check_built(model)
    pydot = _import_pydot()
    if pydot is None:
        message = "You must install pydot (`pip install pydot`) for `plot_model` to work."
    else:
        problem = _graphviz_problem(pydot)
        message = None if problem is None else (
            f"You must install {GRAPHVIZ_HELP} for `plot_model` to work "
            f"(pydot could not run it: {problem}).")
    if message is not None:
        if _in_notebook():  # as Keras: a notebook without Graphviz still runs on
            print(message)
            return None
        raise ImportError(message)

    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines, layer_range=layer_range)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


__all__ = ["model_to_dot", "plot_model", "check_pydot", "check_graphviz"]
