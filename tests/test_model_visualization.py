"""Pictures of models (``utils.model_to_dot``, ``utils.plot_model``) and
``brickwork.visualization`` (boxes, masks, galleries).

The dot sources are compared with what Keras 3 makes of the same models
(``fixtures/keras_plot_model.json``, written by
``fixtures/make_keras_plot_model.py``, whose model builders are used here
with brickwork). Tests that need pydot, Graphviz's ``dot`` or matplotlib
skip, with the reason, where one is missing; CI installs all three.
"""
import importlib.util
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import types

import numpy as np
import pytest

import brickwork
from brickwork import layers
from brickwork import visualization
from brickwork.utils import model_to_dot, plot_model

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
KERAS = json.loads((FIXTURES / "keras_plot_model.json").read_text())

_spec = importlib.util.spec_from_file_location("make_keras_plot_model",
                                               FIXTURES / "make_keras_plot_model.py")
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)


def _has(module):
    return importlib.util.find_spec(module) is not None


needs_pydot = pytest.mark.skipif(
    not _has("pydot"), reason="pydot is not installed (`pip install pydot`; the dev extra has it)")
needs_dot = pytest.mark.skipif(
    not _has("pydot") or shutil.which("dot") is None,
    reason="pydot or Graphviz's `dot` is not installed (`apt-get install graphviz`)")
needs_matplotlib = pytest.mark.skipif(
    not _has("matplotlib"),
    reason="matplotlib is not installed (`pip install matplotlib`; the dev extra has it)")


@pytest.fixture
def agg():
    """matplotlib on the Agg backend; every figure closed afterwards."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


def build(name):
    return builders.MODELS[name](brickwork)


def names(dot, model):
    """A pydot graph described by layer names, as the fixture stores it."""
    return builders.describe(dot, model)


def connections(model):
    """(source, destination) layer names of every connection in a functional
    model's graph, from its nodes."""
    pairs = []
    for node in model._nodes:
        for tensor in node.input_tensors:
            pair = (tensor._keras_history.layer.name, node.layer.name)
            if pair not in pairs:
                pairs.append(pair)
    return pairs


# -- model_to_dot: the same graphs as Keras ---------------------------------------------

@needs_pydot
@pytest.mark.parametrize("case", KERAS["plot_model"],
                         ids=lambda c: f"{c['model']}-{'-'.join(sorted(c['kwargs'])) or 'defaults'}")
def test_dot_source_is_keras(case):
    model = build(case["model"])
    dot = model_to_dot(model, **case["kwargs"])
    assert names(dot, model) == {k: case[k] for k in ("nodes", "edges", "clusters")}
    assert builders.normalize(dot.to_string(), model) == case["source"]


@needs_pydot
@pytest.mark.parametrize("name", ["functional_multi", "embedding_int"])
def test_edges_are_the_model_connections(name):
    model = build(name)
    described = names(model_to_dot(model), model)
    assert [tuple(edge) for edge in described["edges"]] == connections(model)
    assert set(described["nodes"]) == {layer.name for layer in model.layers}


@needs_pydot
def test_residual_graph_edges_and_shared_layer_drawn_once():
    x = brickwork.Input((6,), name="x")
    shared = layers.Dense(6, name="shared")
    a = shared(x)
    b = shared(a)  # the same layer twice in a row: one box, a loop edge
    added = layers.Add(name="add")([x, b])
    outputs = [layers.Dense(1, name="left")(added), layers.Dense(2, name="right")(added)]
    model = brickwork.Model(x, outputs, name="residual")
    described = names(model_to_dot(model, show_shapes=True), model)
    assert sorted(described["nodes"]) == ["add", "left", "right", "shared", "x"]
    assert sorted(map(tuple, described["edges"])) == sorted(connections(model))
    assert ("shared", "shared") in map(tuple, described["edges"])
    # A shared layer shows its first call's shapes, as Keras.
    assert "Input shape: <b>(None, 6)</b>" in described["nodes"]["shared"]
    assert "Input shape: <b>[(None, 6), (None, 6)]</b>" in described["nodes"]["add"]
    assert "Output shape: <b>(None, 6)</b>" in described["nodes"]["add"]


@needs_pydot
def test_labels_show_what_is_asked():
    model = build("functional_multi")
    plain = names(model_to_dot(model), model)["nodes"]["out1"]
    for word in ("shape", "dtype", "Activation", "rainable"):
        assert word not in plain
    assert "<b>out1</b> (Dense)" in plain

    marked = names(model_to_dot(model, show_shapes=True, show_dtype=True,
                                show_layer_activations=True, show_trainable=True),
                   model)["nodes"]
    assert "Input shape: <b>(None, 16)</b>" in marked["out1"]
    assert "Output shape: <b>(None, 1)</b>" in marked["out1"]
    assert "Output dtype: <b>float32</b>" in marked["out1"]
    assert "Activation: <b>sigmoid</b>" in marked["out1"]
    assert "<b>Trainable</b>" in marked["out1"]
    # No activation, no weights: no such cells. An InputLayer has no input shape.
    assert "Activation" not in marked["concat"] and "rainable" not in marked["concat"]
    assert "Input shape" not in marked["in_a"] and "Output shape: <b>(None, 4)</b>" in marked["in_a"]

    model.get_layer("out1").trainable = False
    frozen = names(model_to_dot(model, show_trainable=True), model)["nodes"]
    assert "<b>Non-trainable</b>" in frozen["out1"] and 'bgcolor="firebrick"' in frozen["out1"]

    no_names = names(model_to_dot(model, show_layer_names=False), model)["nodes"]["out1"]
    assert "<b>Dense</b>" in no_names and "out1" not in no_names


@needs_pydot
def test_int_dtype_and_graph_attributes():
    model = build("embedding_int")
    dot = model_to_dot(model, show_dtype=True, rankdir="LR", dpi=72, splines="line")
    assert "Output dtype: <b>int32</b>" in names(dot, model)["nodes"]["tokens"]
    assert "Output dtype: <b>float32</b>" in names(dot, model)["nodes"]["embed"]
    assert (dot.get("rankdir"), dot.get("dpi"), dot.get("splines")) == ("LR", 72, "line")
    assert dot.get("concentrate") is True
    defaults = model_to_dot(model)
    assert (defaults.get("rankdir"), defaults.get("dpi"), defaults.get("splines")) == (
        "TB", 200, "ortho")


@needs_pydot
def test_nested_models_collapsed_and_expanded():
    model = build("nested")
    collapsed = names(model_to_dot(model), model)
    assert list(collapsed["nodes"]) == ["x", "inner", "wrapper", "head"]
    assert "(Functional)" in collapsed["nodes"]["inner"]
    assert "(Sequential)" in collapsed["nodes"]["wrapper"]
    assert collapsed["clusters"] == []

    expanded = names(model_to_dot(model, expand_nested=True), model)
    assert list(expanded["nodes"]) == ["x", "head"]
    inner, wrapper = expanded["clusters"]
    assert (inner["name"], inner["label"]) == ("cluster_inner", "inner")
    assert list(inner["nodes"]) == ["inner_in", "inner_dense", "inner_out"]
    assert wrapper["clusters"][0]["name"] == "cluster_core"  # a model inside a Sequential
    # Edges go into and out of the boxes inside the clusters.
    assert expanded["edges"] == [["x", "inner_in"], ["inner_out", "core_in"],
                                 ["wrapper_out", "head"]]
    assert wrapper["edges"] == [["core_dense", "wrapper_out"]]

    cluster = model_to_dot(model.get_layer("inner"), subgraph=True)
    assert cluster.get_name() == "cluster_inner" and cluster.get("style") == "dashed"


@needs_pydot
def test_subclassed_model_is_one_node_and_unbuilt_models_are_refused():
    model = build("subclassed")
    described = names(model_to_dot(model, expand_nested=True, show_shapes=True), model)
    assert list(described["nodes"]) == ["two_layers"] and described["edges"] == []
    assert "Output shape: <b>?</b>" in described["nodes"]["two_layers"]

    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(brickwork.Sequential([layers.Dense(2)]))
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model_to_dot(model, show_everything=True)


@needs_pydot
def test_layer_range():
    model = build("sequential_mlp")
    described = names(model_to_dot(model, layer_range=["drop", "probs"]), model)
    assert list(described["nodes"]) == ["drop", "probs"]
    assert described["edges"] == [["drop", "probs"]]
    # Regular expressions, either order.
    described = names(model_to_dot(model, layer_range=("pro.*", "hid")), model)
    assert list(described["nodes"]) == ["hidden", "drop", "probs"]

    functional = build("functional_multi")
    described = names(model_to_dot(functional, layer_range=["shared", "out1"]), functional)
    assert list(described["nodes"]) == ["shared", "concat", "out1"]
    assert described["edges"] == [["shared", "concat"], ["concat", "out1"]]

    for bad in (["hidden"], ["hidden", 3], "hidden"):
        with pytest.raises(ValueError, match="layer_range"):
            model_to_dot(model, layer_range=bad)
    with pytest.raises(ValueError, match="does not match"):
        model_to_dot(model, layer_range=["nope", "probs"])


@needs_pydot
def test_odd_layer_names_are_escaped():
    x = brickwork.Input((2,), name="a&b")
    model = brickwork.Model(x, layers.Dense(1, name="c<d>")(x))
    dot = model_to_dot(model)
    nodes = [n.get("label") for n in dot.get_nodes() if n.get("label")]
    assert any("<b>a&amp;b</b>" in label for label in nodes)
    assert any("<b>c&lt;d&gt;</b>" in label for label in nodes)
    if shutil.which("dot"):
        assert b"c&lt;d&gt;" in dot.create(format="svg")  # Graphviz reads the labels


# -- plot_model: pictures -------------------------------------------------------------

def png_size(path):
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data.rstrip(b"\x00")[-8:-4] == b"IEND"
    return width, height


@needs_dot
def test_plot_model_writes_png(tmp_path):
    model = build("nested")
    target = tmp_path / "model.png"
    assert plot_model(model, to_file=target, show_shapes=True, expand_nested=True) is None \
        or _has("IPython")
    width, height = png_size(target)
    assert 200 < width < 8000 and 500 < height < 20000

    small = tmp_path / "small.png"
    plot_model(model, to_file=str(small), show_shapes=True, expand_nested=True, dpi=50)
    small_width, small_height = png_size(small)
    assert small_width < width and small_height < height
    # Top to bottom is tall; left to right is wide.
    wide = tmp_path / "wide.png"
    plot_model(build("sequential_mlp"), to_file=wide, rankdir="LR", dpi=50)
    tall = tmp_path / "tall.png"
    plot_model(build("sequential_mlp"), to_file=tall, dpi=50)
    assert png_size(wide)[0] > png_size(wide)[1] and png_size(tall)[1] > png_size(tall)[0]


@needs_dot
def test_plot_model_other_formats(tmp_path):
    model = build("functional_multi")
    plot_model(model, to_file=tmp_path / "model.svg", show_layer_names=True)
    svg = (tmp_path / "model.svg").read_text()
    assert "<svg" in svg and "shared" in svg and "Concatenate" in svg
    # plot_model hides names by default, as Keras.
    plot_model(model, to_file=tmp_path / "anonymous.svg")
    assert ">shared<" not in (tmp_path / "anonymous.svg").read_text()
    plot_model(model, to_file=tmp_path / "model")  # no extension: PNG
    png_size(tmp_path / "model")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        plot_model(model, to_file=tmp_path / "x.png", colour=True)


def _without_pydot(monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)  # `import pydot` raises ImportError


def test_missing_pydot_is_named(monkeypatch, tmp_path):
    _without_pydot(monkeypatch)
    model = build("sequential_mlp")
    with pytest.raises(ImportError, match=re.escape("pip install pydot") + ".*`plot_model`"):
        plot_model(model, to_file=tmp_path / "m.png")
    with pytest.raises(ImportError, match=re.escape("pip install pydot") + ".*`model_to_dot`"):
        model_to_dot(model)
    from brickwork import model_visualization
    assert not model_visualization.check_pydot() and not model_visualization.check_graphviz()
    assert not (tmp_path / "m.png").exists()


@needs_pydot
def test_missing_graphviz_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # pydot finds no `dot`
    model = build("sequential_mlp")
    with pytest.raises(ImportError) as raised:
        plot_model(model, to_file=tmp_path / "m.png")
    message = str(raised.value)
    assert "apt-get install graphviz" in message and "https://graphviz.org/download/" in message
    assert "`plot_model`" in message and "dot" in message
    assert not (tmp_path / "m.png").exists()
    from brickwork import model_visualization
    assert model_visualization.check_pydot() and not model_visualization.check_graphviz()
    model_to_dot(model)  # the graph itself needs no Graphviz

    # In a notebook the message is printed instead, as Keras does.
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace",
                        types.ModuleType("IPython.core.magics.namespace"))
    printed = []
    monkeypatch.setattr("builtins.print", lambda *args, **kw: printed.append(" ".join(args)))
    assert plot_model(model, to_file=tmp_path / "m.png") is None
    assert printed and "apt-get install graphviz" in printed[0]


def test_import_brickwork_loads_neither_pydot_nor_matplotlib():
    code = ("import sys, brickwork; brickwork.utils.plot_model; brickwork.visualization; "
            "print(sorted(m for m in ('pydot', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(pathlib.Path(__file__).parent), check=True)
    assert out.stdout.strip() == "[]"


# -- visualization: boxes -------------------------------------------------------------

VIS = KERAS["visualization"]
IMAGES = np.array(VIS["images"], dtype="uint8")  # (2, 12, 16, 3)


@pytest.mark.parametrize("key", sorted(VIS["box_pixels"]))
def test_boxes_on_the_pixels_keras_draws(key):
    """Keras draws with OpenCV; the same pixels, without it."""
    fmt, thickness = key.split("/")
    boxes = {k: np.array(v) for k, v in VIS["boxes"].items()}
    boxes["boxes"] = boxes["boxes"].astype("float32")
    if fmt == "rel_xyxy":
        boxes["boxes"] = boxes["boxes"] / np.array([16, 12, 16, 12], "float32")
    drawn = visualization.draw_bounding_boxes(IMAGES.copy(), boxes, fmt, color=(255, 0, 0),
                                              line_thickness=int(thickness))
    changed = np.argwhere((drawn != IMAGES).any(axis=-1)).tolist()
    assert sorted(changed) == sorted(VIS["box_pixels"][key])
    assert (drawn[(drawn != IMAGES).any(axis=-1)] == [255, 0, 0]).all()


def test_box_outline_exact_pixels_and_formats():
    images = np.zeros((1, 20, 30, 3), dtype="uint8")
    expected = np.zeros((20, 30), dtype=bool)
    expected[4, 5:21] = expected[15, 5:21] = True   # top and bottom: y 4 and 15, x 5..20
    expected[4:16, 5] = expected[4:16, 20] = True   # left and right
    same_box = {"xyxy": [5, 4, 20, 15], "yxyx": [4, 5, 15, 20], "xywh": [5, 4, 15, 11],
                "center_xywh": [12.5, 9.5, 15, 11], "center_yxhw": [9.5, 12.5, 11, 15],
                "rel_xyxy": [5 / 30, 4 / 20, 20 / 30, 15 / 20],
                "rel_yxyx": [4 / 20, 5 / 30, 15 / 20, 20 / 30],
                "rel_xywh": [5 / 30, 4 / 20, 15 / 30, 11 / 20],
                "rel_center_xywh": [12.5 / 30, 9.5 / 20, 15 / 30, 11 / 20]}
    for fmt, box in same_box.items():
        boxes = {"boxes": np.array([[box, [0, 0, 29, 19]]], "float32") + 1e-4,
                 "labels": np.array([[3, -1]])}  # label -1: not drawn
        drawn = visualization.draw_bounding_boxes(images, boxes, fmt.upper(), color=(9, 8, 7),
                                                  line_thickness=1)
        assert drawn.dtype == np.uint8 and drawn.shape == images.shape
        np.testing.assert_array_equal(drawn[0].any(axis=-1), expected, err_msg=fmt)
        assert (drawn[0][expected] == [9, 8, 7]).all()
    assert (images == 0).all()  # the input is left alone

    with pytest.raises(ValueError, match="Invalid bounding box format"):
        visualization.draw_bounding_boxes(images, boxes, "xyzw")
    with pytest.raises(TypeError, match="should be a dict"):
        visualization.draw_bounding_boxes(images, [box], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        visualization.draw_bounding_boxes(images, {"boxes": boxes["boxes"]}, "xyxy")
    with pytest.raises(ValueError, match="batched 4D"):
        visualization.draw_bounding_boxes(images[0], boxes, "xyxy")


def test_box_images_float_and_channels_first():
    images = np.full((1, 3, 10, 12), 0.5, dtype="float32")  # channels first, in [0, 1]
    boxes = {"boxes": np.array([[[1, 2, 8, 7]]], "float32"), "labels": np.array([[0]])}
    drawn = visualization.draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0),
                                              line_thickness=1, data_format="channels_first")
    assert drawn.shape == (1, 3, 10, 12) and drawn.dtype == np.uint8
    assert drawn[0, :, 2, 1].tolist() == [255, 0, 0]  # a corner (x=1, y=2)
    assert drawn[0, :, 4, 4].tolist() == [127, 127, 127]  # inside: 0.5 * 255


@needs_matplotlib
def test_box_labels_are_written_above_the_box():
    images = np.zeros((1, 80, 120, 3), dtype="uint8")
    boxes = {"boxes": np.array([[[10, 50, 100, 75]]], "float32"), "labels": np.array([[1]]),
             "confidences": np.array([[0.87]])}
    bare = visualization.draw_bounding_boxes(images, boxes, "xyxy", color=(0, 255, 0),
                                             line_thickness=1)
    labelled = visualization.draw_bounding_boxes(images, boxes, "xyxy", color=(0, 255, 0),
                                                 line_thickness=1, font_scale=0.5,
                                                 class_mapping={1: "cat"})
    text = (labelled != bare).any(axis=-1)[0]
    rows, cols = np.nonzero(text)
    assert rows.size > 30
    assert rows.max() < 50 - 8 + 4 and rows.min() > 20  # just above the box's top (y 50)
    assert cols.min() >= 10  # from the box's left edge
    assert (labelled[0][text][:, [0, 2]] == 0).all()  # in the box colour (green, blended)


# -- visualization: masks -------------------------------------------------------------

def test_masks_blend_like_keras():
    masks = np.array(VIS["masks"], dtype="int32")
    blended = visualization.draw_segmentation_masks(IMAGES, masks, num_classes=4, alpha=0.6)
    np.testing.assert_array_equal(blended, np.array(VIS["masks_blended_alpha_0.6"]))
    assert blended.dtype == np.uint8
    painted = visualization.draw_segmentation_masks(
        IMAGES, masks, num_classes=4, blend=False,
        color_mapping={0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255)})
    np.testing.assert_array_equal(painted, np.array(VIS["masks_unblended_colors"]))


def test_masks_blended_with_alpha():
    images = np.full((1, 4, 5, 3), 100, dtype="uint8")
    masks = np.zeros((1, 4, 5), dtype="int32")
    masks[0, 1:3, 1:4] = 2
    masks[0, 0, 0] = -1
    colors = {1: (10, 20, 30), 2: (200, 0, 50)}
    out = visualization.draw_segmentation_masks(images, masks, num_classes=3, alpha=0.25,
                                                color_mapping=colors)
    expected = np.floor(np.float32(100) * 0.75 + np.array([200, 0, 50], "float32") * 0.25)
    assert (out[0, 1:3, 1:4] == expected).all()
    background = np.ones((4, 5), bool)
    background[1:3, 1:4] = False
    assert (out[0][background] == 100).all()  # class 0 has no colour here; -1 is ignored
    # Inferred number of classes: every class present is drawn.
    inferred = visualization.draw_segmentation_masks(images, masks, color_mapping=colors,
                                                     alpha=0.25)
    np.testing.assert_array_equal(inferred, out)
    # The default palette paints class 0 black, as Keras; ignore_index=0 keeps it.
    default = visualization.draw_segmentation_masks(images, masks, alpha=0.5)
    assert (default[0, 3, 3] == 50).all()
    kept = visualization.draw_segmentation_masks(images, masks, alpha=0.5, ignore_index=0)
    assert (kept[0, 3, 3] == 100).all()
    # (batch, height, width, 1) masks and channels first.
    four_d = visualization.draw_segmentation_masks(images, masks[..., None], num_classes=3,
                                                   alpha=0.25, color_mapping=colors)
    np.testing.assert_array_equal(four_d, out)
    first = visualization.draw_segmentation_masks(
        images.transpose(0, 3, 1, 2), masks[:, None], num_classes=3, alpha=0.25,
        color_mapping=colors, data_format="channels_first")
    np.testing.assert_array_equal(first, out)
    with pytest.raises(TypeError, match="integer dtype"):
        visualization.draw_segmentation_masks(images, masks.astype("float32"))


# -- visualization: galleries ---------------------------------------------------------

@needs_matplotlib
def test_image_gallery_figure(agg, tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3)).astype("uint8")
    fig = visualization.plot_image_gallery(images, show=False)
    assert len(fig.axes) == 3 * 2  # ceil(sqrt(5)) rows, as many columns as needed
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(shown) == 5
    np.testing.assert_array_equal(shown[4], images[4])

    fig = visualization.plot_image_gallery(images, rows=1, cols=2, show=False,
                                           y_true=[0, 1, 1, 0, 0], y_pred=np.array([1, 1]),
                                           label_map={0: "cat", 1: "dog"})
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["Label: cat  Pred: dog",
                                                   "Label: dog  Pred: dog"]

    # value_range maps to [0, 255]; one channel is shown in grey.
    grey = np.linspace(0, 1, 2 * 16).reshape(2, 4, 4, 1).astype("float32")
    fig = visualization.plot_image_gallery(grey, value_range=(0, 1), show=False)
    array = fig.axes[0].images[0].get_array()
    assert array.shape == (4, 4) and array.max() <= 255 and array[-1, -1] > 100

    target = tmp_path / "gallery.png"
    fig = visualization.plot_image_gallery(images, path=target)
    width, height = png_size(target)
    assert 50 < width < 1000 and 50 < height < 1000
    with pytest.raises(ValueError, match="either `path`"):
        visualization.plot_image_gallery(images, path=target, show=True)
    with pytest.raises(ValueError, match="label_map"):
        visualization.plot_image_gallery(images, y_true=[0] * 5, show=False)


@needs_matplotlib
def test_bounding_box_gallery(agg):
    images = np.zeros((2, 20, 20, 3), dtype="uint8")
    y_true = {"boxes": np.array([[[2, 2, 10, 10]], [[5, 5, 15, 15]]], "float32"),
              "labels": np.array([[0], [0]])}
    y_pred = {"boxes": np.array([[[3, 3, 12, 12]], [[1, 1, 4, 4]]], "float32"),
              "labels": np.array([[0], [-1]])}
    fig = visualization.plot_bounding_box_gallery(images, "xyxy", y_true=y_true, y_pred=y_pred,
                                                  legend=True, rows=1, cols=2, show=False,
                                                  line_thickness=1)
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Ground Truth", "Prediction"]
    first = fig.axes[0].images[0].get_array()
    assert first[2, 2].tolist() == [0, 188, 212] and first[3, 12].tolist() == [255, 235, 59]
    second = fig.axes[1].images[0].get_array()
    assert second[1, 1].tolist() == [0, 0, 0]  # a prediction labelled -1 is not drawn
    # Images in [0, 1] are scaled before the boxes are drawn on them.
    fig = visualization.plot_bounding_box_gallery(images.astype("float32") + 0.5, "xyxy",
                                                  y_true=y_true, value_range=(0, 1),
                                                  show=False, line_thickness=1)
    array = fig.axes[0].images[0].get_array()
    assert array[0, 0].tolist() == [127, 127, 127] and array[2, 2].tolist() == [0, 188, 212]
    with pytest.raises(ValueError, match="Only pass `legend` OR `legend_handles`"):
        visualization.plot_bounding_box_gallery(images, "xyxy", legend=True,
                                                legend_handles=[object()], show=False)


@needs_matplotlib
def test_segmentation_mask_gallery(agg):
    images = np.full((3, 6, 6, 3), 200, dtype="uint8")
    y_true = np.zeros((3, 6, 6), "int32")
    y_true[:, :3] = 1
    y_pred = np.ones((3, 6, 6, 1), "int32")
    fig = visualization.plot_segmentation_mask_gallery(images, 2, y_true=y_true, y_pred=y_pred,
                                                       alpha=0.5, show=False)
    assert len(fig.axes) == 3 * 3  # a row per image: image, true masks, predicted masks
    shown = [ax.images[0].get_array() for ax in fig.axes]
    np.testing.assert_array_equal(shown[0], images[0])
    np.testing.assert_array_equal(shown[1], visualization.draw_segmentation_masks(
        images, y_true, num_classes=2, alpha=0.5)[0])
    np.testing.assert_array_equal(shown[2], visualization.draw_segmentation_masks(
        images, y_pred, num_classes=2, alpha=0.5)[0])
    only_images = visualization.plot_segmentation_mask_gallery(images, 2, show=False)
    assert len(only_images.axes) == 3
