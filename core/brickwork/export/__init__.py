"""Exporting models for inference: ``Model.export(path, format="onnx")``.

The ONNX exporter walks a Sequential or functional model's layer graph and
asks a converter per layer class (:func:`brickwork.export.graph.converter`)
to emit ONNX nodes with ``onnx.helper``; weights become initializers. The
batch dimension is dynamic (``"batch"``). Layers without a converter, and
subclassed models (whose ``call`` is arbitrary Python), are refused with an
error that names them.

Layout: channels_last convolutions and poolings are written as ONNX's
NCHW operators between two Transposes (the weights are transposed once, at
export); adjacent Transpose pairs that cancel are removed afterwards, so a
stack of convolutions stays in NCHW between its first and last layer.
"""
from __future__ import annotations

import os

import numpy as np

from brickwork.export.graph import (DEFAULT_OPSET, ExportError, OnnxGraph, converter,
                                    supported_layer_classes)

SUPPORTED_FORMATS = ("onnx",)

__all__ = ["export_onnx", "export_model", "converter", "supported_layer_classes", "ExportError",
           "DEFAULT_OPSET", "SUPPORTED_FORMATS"]


def _import_onnx():
    try:
        import onnx
    except ImportError as error:
        raise ImportError(f'Exporting to ONNX needs the `onnx` package: pip install '
                          f'"brickwork[onnx]" (it also brings onnxruntime, to run the file). '
                          f'({error})') from error
    # Registering the converters imports every layer family once.
    from brickwork.export import (attention, convolution, core_layers,  # noqa: F401
                                  normalization, recurrent)
    from brickwork.export import (adaptive_pooling, applications,  # noqa: F401
                                  attention_extra,
                                  augmentation, clahe, conv_lstm, misc_layers,
                                  operations, preprocessing, spectrogram)
    applications.register_loaded()
    return onnx


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None,
                 **kwargs):
    """``Model.export``: ``format="onnx"`` is written; the formats Keras
    writes through TensorFlow, OpenVINO, LiteRT or PyTorch are refused."""
    if format == "onnx":
        return export_onnx(model, filepath, verbose=verbose, input_signature=input_signature,
                           **kwargs)
    reasons = {
        "tf_saved_model": "a TensorFlow SavedModel needs TensorFlow",
        "litert": "LiteRT (TFLite) needs TensorFlow",
        "openvino": "OpenVINO needs the openvino library",
        "torch": "a torch.export program needs PyTorch",
    }
    why = reasons.get(format, "it is not a format Keras exports either")
    raise ValueError(
        f"brickwork cannot export format={format!r}: {why}, which brickwork does not use. "
        f"Supported formats: {', '.join(repr(f) for f in SUPPORTED_FORMATS)} — call "
        f"model.export(filepath, format=\"onnx\"). (Keras' default format is "
        f"'tf_saved_model'; brickwork keeps the signature but needs the format named.)")


def _signature_shapes(model, input_signature):
    """``(shape, dtype)`` per model input, from the model or ``input_signature``
    (KerasTensors, InputSpecs, objects with ``shape``/``dtype``, or shapes)."""
    model_inputs = [(tuple(t.shape), t.dtype) for t in model.inputs]
    if input_signature is None:
        return model_inputs
    def is_shape(value):
        return isinstance(value, (list, tuple)) and all(
            d is None or isinstance(d, int) for d in value)
    if is_shape(input_signature) or not isinstance(input_signature, (list, tuple, dict)):
        specs = [input_signature]
    elif isinstance(input_signature, dict):
        specs = [input_signature[t._keras_history.layer.name] for t in model.inputs]
    else:
        specs = list(input_signature)
    if len(specs) != len(model_inputs):
        raise ValueError(f"input_signature has {len(specs)} entries, but model {model.name!r} "
                         f"has {len(model_inputs)} inputs {[s for s, _ in model_inputs]}")
    result = []
    for spec, (shape, dtype) in zip(specs, model_inputs):
        spec_shape = getattr(spec, "shape", spec)
        spec_shape = tuple(None if d is None else int(d) for d in spec_shape)
        spec_dtype = getattr(spec, "dtype", None) or dtype
        if len(spec_shape) != len(shape) or any(
                a is not None and b is not None and a != b for a, b in zip(spec_shape, shape)):
            raise ValueError(f"input_signature shape {spec_shape} does not fit model "
                             f"{model.name!r}'s input shape {shape}")
        result.append((spec_shape, str(getattr(spec_dtype, "name", spec_dtype))))
    return result


def build_onnx_model(model, input_signature=None, opset_version=None):
    """The ``onnx.ModelProto`` of ``model`` (checked with onnx.checker)."""
    onnx = _import_onnx()
    from brickwork.dtypes import standardize_dtype
    from brickwork.export.optimize import remove_inverse_transposes
    from brickwork.export.walk import convert_model, graph_nodes
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not DEFAULT_OPSET <= opset <= newest:
        raise ValueError(f"opset_version={opset_version!r}: brickwork writes ONNX opsets "
                         f"{DEFAULT_OPSET} to {newest} (the installed onnx's newest).")
    graph_nodes(model)  # refuses subclassed and unbuilt models first
    graph = OnnxGraph(onnx)
    input_infos, input_names = [], []
    for tensor, (shape, dtype) in zip(model.inputs, _signature_shapes(model, input_signature)):
        name = graph.reserve(tensor._keras_history.layer.name)
        if str(dtype) == "string":
            from brickwork.export.exclusions import refuse_string_input
            refuse_string_input(model, name)
        dims = ["batch" if i == 0 and d is None else (f"{name}_dim{i}" if d is None else d)
                for i, d in enumerate(shape)]
        elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(standardize_dtype(dtype)))
        input_infos.append(onnx.helper.make_tensor_value_info(name, elem, dims))
        input_names.append(name)
    outputs = convert_model(graph, model, input_names)
    output_infos = []
    for tensor, value in zip(model.outputs, outputs):
        name = graph.unique(tensor._keras_history.layer.name)
        graph.nodes.append(onnx.helper.make_node("Identity", [value], [name],
                                                 name=graph.unique(f"{name}/output")))
        dims = [("batch" if i == 0 else f"{name}_dim{i}") if d is None else d
                for i, d in enumerate(tensor.shape)]
        elem = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(standardize_dtype(tensor.dtype)))
        output_infos.append(onnx.helper.make_tensor_value_info(name, elem, dims))
    nodes = remove_inverse_transposes(graph.nodes, {i.name for i in output_infos})
    onnx_graph = onnx.helper.make_graph(nodes, model.name, input_infos, output_infos,
                                        initializer=graph.initializers)
    onnx_model = onnx.helper.make_model(
        onnx_graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="brickwork", producer_version=_version())
    onnx_model.ir_version = min(onnx_model.ir_version, 10)
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def _version():
    try:
        from importlib.metadata import version
        return version("brickwork")
    except Exception:
        return "0"


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None,
                **kwargs):
    """Write ``model`` as an ONNX file at ``filepath`` (atomically: an error
    leaves any previous file as it was). Returns the ``onnx.ModelProto``."""
    if kwargs:
        raise TypeError(f"export(format='onnx') got unexpected keyword arguments "
                        f"{sorted(kwargs)}; it takes verbose, input_signature and "
                        f"opset_version.")
    from brickwork.saving.atomic import atomic_write
    onnx_model = build_onnx_model(model, input_signature, opset_version)
    filepath = os.fspath(filepath)
    with atomic_write(filepath) as file:
        file.write(onnx_model.SerializeToString())
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")
    return onnx_model
