"""Converters for the custom layers that ``brickwork.applications`` models
hold: ConvNeXt's LayerScale and StochasticDepth (the identity at inference)
and Inception-ResNet-v2's CustomScaleLayer."""
from __future__ import annotations

from brickwork.applications.convnext import LayerScale, StochasticDepth
from brickwork.applications.inception_resnet_v2 import CustomScaleLayer
from brickwork.export.graph import converter


@converter(LayerScale)
def layer_scale(call):
    return [call.graph.op("Mul", [call.inputs[0], call.weight(call.layer.gamma, "gamma")],
                          call.hint)]


@converter(StochasticDepth, ignores_mask=True)
def stochastic_depth(call):
    return [call.graph.op("Identity", [call.inputs[0]], call.hint)]


@converter(CustomScaleLayer)
def custom_scale(call):
    g, h = call.graph, call.hint
    residual = g.op("Mul", [call.inputs[1], g.constant(float(call.layer.scale), f"{h}/scale")], h)
    return [g.op("Add", [call.inputs[0], residual], h)]
