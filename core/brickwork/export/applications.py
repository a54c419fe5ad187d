"""Converters for the custom layers that ``brickwork.applications`` models
hold: ConvNeXt's LayerScale and StochasticDepth (the identity at inference)
and Inception-ResNet-v2's CustomScaleLayer.

The export package imports no application module (applications build
models, and models export: importing them here would close a cycle), so
the converters are registered by :func:`register_loaded` for the
application modules already loaded, which any model holding these layers
has done.
"""
from __future__ import annotations

import sys

from brickwork.export.graph import converter


def layer_scale(call):
    return [call.graph.op("Mul", [call.inputs[0], call.weight(call.layer.gamma, "gamma")],
                          call.hint)]


def stochastic_depth(call):
    return [call.graph.op("Identity", [call.inputs[0]], call.hint)]


def custom_scale(call):
    g, h = call.graph, call.hint
    residual = g.op("Mul", [call.inputs[1], g.constant(float(call.layer.scale), f"{h}/scale")], h)
    return [g.op("Add", [call.inputs[0], residual], h)]


# module -> [(class name, converter, ignores_mask)]
_CONVERTERS = {
    "brickwork.applications.convnext": [("LayerScale", layer_scale, False),
                                        ("StochasticDepth", stochastic_depth, True)],
    "brickwork.applications.inception_resnet_v2": [("CustomScaleLayer", custom_scale, False)],
}


def register_loaded():
    """Register the converters of the application modules loaded so far."""
    for module_name, entries in _CONVERTERS.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for class_name, function, ignores_mask in entries:
            converter(getattr(module, class_name), ignores_mask=ignores_mask)(function)
