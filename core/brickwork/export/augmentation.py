"""Converters for the image augmentation layers, as they run at inference.

Almost every augmentation layer draws no transformation at inference and
returns its images cast to the compute dtype: that is a Cast (or nothing).
AutoContrast acts at inference too and is written op by op (CLAHE, which
also does, has its own module, export.clahe). RandomCrop
returns its images uncropped at inference while declaring a cropped output
shape; it exports only where the two agree. A Pipeline is its layers'
converters in turn. The dict form (images with labels, boxes or masks)
is a nest of inputs that these converters refuse.
"""
from __future__ import annotations

from brickwork import layers as L
from brickwork.export.graph import LayerCall, converter, find_converter, refuse

# Identity at inference, apart from the cast to the compute dtype.
IDENTITY_AT_INFERENCE = (
    L.AugMix, L.CutMix, L.Equalization, L.MixUp, L.RandAugment, L.RandomBrightness,
    L.RandomColorDegeneration, L.RandomColorJitter, L.RandomContrast, L.RandomElasticTransform,
    L.RandomErasing, L.RandomFlip, L.RandomGaussianBlur, L.RandomGrayscale, L.RandomHue,
    L.RandomInvert, L.RandomPerspective, L.RandomPosterization, L.RandomRotation,
    L.RandomSaturation, L.RandomSharpness, L.RandomShear, L.RandomTranslation, L.RandomZoom,
    L.Solarization,
)


def images_only(call):
    """The one image input of an augmentation layer's call."""
    if len(call.inputs) != 1:
        call.refuse("it is called on the dict form (images with labels, bounding boxes or "
                    "segmentation masks); ONNX export takes the layer on images alone")
    if len(call.input_shapes[0]) != 4:
        call.refuse(f"its input has shape {call.input_shapes[0]}; export needs a batch of "
                    f"images (rank 4)")
    return call.inputs[0]


def as_float(call, x, index=0):
    """``x`` cast to float32 when its Keras dtype is another."""
    dtypes = call.input_dtypes
    if dtypes and str(dtypes[index]) != "float32":
        return call.graph.op("Cast", [x], call.hint, to=call.graph.onnx.TensorProto.FLOAT)
    return x


@converter(*IDENTITY_AT_INFERENCE)
def inference_identity(call):
    x = as_float(call, images_only(call))
    return [call.graph.op("Identity", [x], call.hint)]


@converter(L.MaxNumBoundingBoxes)
def max_num_bounding_boxes(call):
    # The images pass unchanged (not even cast); only boxes would change.
    return [call.graph.op("Identity", [images_only(call)], call.hint)]


@converter(L.RandomCrop)
def random_crop(call):
    x = images_only(call)
    if tuple(call.input_shapes[0]) != tuple(call.output_shapes[0]):
        call.refuse(f"at inference it returns its input images uncropped (as Keras 3), but it "
                    f"declares the cropped output shape {call.output_shapes[0]} for input "
                    f"shape {call.input_shapes[0]}, so no graph matches both; drop the layer "
                    f"from the inference model (or feed images of size "
                    f"({call.layer.height}, {call.layer.width}))")
    return [call.graph.op("Identity", [as_float(call, x)], call.hint)]


def _to_range(g, x, source, target, hint):
    """Map values linearly from ``source`` to ``target`` (as the layers' helper)."""
    if source[0] == target[0] and source[1] == target[1]:
        return x
    low, high = float(source[0]), float(source[1])
    x = g.op("Div", [g.op("Sub", [x, g.constant(low, f"{hint}/low")], hint),
                     g.constant(high - low, f"{hint}/spread")], hint)
    x = g.op("Mul", [x, g.constant(float(target[1]) - float(target[0]), f"{hint}/scale")], hint)
    return g.op("Add", [x, g.constant(float(target[0]), f"{hint}/offset")], hint)


@converter(L.AutoContrast)
def auto_contrast(call):
    layer, g, h = call.layer, call.graph, call.hint
    original = as_float(call, images_only(call))
    images = _to_range(g, original, layer.value_range, (0, 255), h)
    axes = g.ints([layer._height_axis % 4, layer._width_axis % 4], f"{h}/axes")
    low = g.op("ReduceMin", [images, axes], h, keepdims=1)
    high = g.op("ReduceMax", [images, axes], h, keepdims=1)
    spread = g.op("Sub", [high, low], h)
    flat = g.op("Equal", [spread, g.constant(0.0, f"{h}/zero")], h)
    scale = g.op("Div", [g.constant(255.0, f"{h}/top"),
                         g.op("Where", [flat, g.constant(1.0, f"{h}/one"), spread], h)], h)
    stretched = g.op("Mul", [g.op("Sub", [images, low], h), scale], h)
    stretched = g.op("Clip", [stretched, g.constant(0.0, f"{h}/min"),
                              g.constant(255.0, f"{h}/max")], h)
    results = _to_range(g, stretched, (0, 255), layer.value_range, h)
    return [g.op("Where", [flat, original, results], h)]


def emit_inner(call, inner, inputs, input_shapes, output_shapes, hint):
    """Run ``inner``'s converter (a layer held by ``call.layer``) on ONNX values."""
    found = find_converter(inner)
    if found is None:
        refuse(inner, f"this layer class has no ONNX converter (inside "
                      f"{type(call.layer).__name__} {call.layer.name!r})")
    inner_call = LayerCall(call.graph, inner, list(inputs), list(input_shapes),
                           list(output_shapes), (tuple(inputs), {}),
                           input_dtypes=call.input_dtypes)
    inner_call.hint = hint
    return found[0](inner_call)


@converter(L.Pipeline)
def pipeline(call):
    x, shape = call.inputs[0], tuple(call.input_shapes[0])
    if len(call.inputs) != 1:
        call.refuse("it is called on a nest of inputs (the dict form); ONNX export takes a "
                    "Pipeline on images alone")
    for inner in call.layer.layers:
        out_shape = tuple(inner.compute_output_shape(shape))
        x = emit_inner(call, inner, [x], [shape], [out_shape], f"{call.hint}/{inner.name}")[0]
        shape = out_shape
        call.input_dtypes = ["float32"]  # after the first layer's cast
    return [x]
