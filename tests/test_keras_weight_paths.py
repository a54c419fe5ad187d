"""Keras's weight paths for every composite layer (issue 17 item 2).

Each ``.keras`` file in ``fixtures/keras_weight_paths`` was written by Keras
3 (``fixtures/make_keras_weight_paths.py``): brickwork loads it, predicts
Keras's outputs, and saves an archive whose ``model.weights.h5`` holds
exactly Keras's dataset paths and shapes. Set ``BRICKWORK_RESAVE_DIR`` to keep
the re-saved files, which the generator's ``--check`` mode loads in Keras.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import brickwork as keras

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_weight_paths")
with open(os.path.join(HERE, "cases.json")) as _f:
    CASES = json.load(_f)["cases"]
ARRAYS = np.load(os.path.join(HERE, "arrays.npz"))


def h5_paths(archive):
    with zipfile.ZipFile(archive) as zf:
        data = zf.read("model.weights.h5")
    found = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: found.append([name, list(obj.shape)])
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def predict(model, inputs):
    out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [keras.ops.convert_to_numpy(o) for o in out]


def check_outputs(name, outputs):
    case = CASES[name]
    assert len(outputs) == case["n_outputs"]
    for i, got in enumerate(outputs):
        want = ARRAYS[f"{name}/out/{i}"]
        assert got.shape == want.shape, (name, i)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=f"{name} output {i}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_file_loads_predicts_and_resaves_with_keras_paths(name, tmp_path):
    case = CASES[name]
    model = keras.saving.load_model(os.path.join(HERE, f"{name}.keras"))
    inputs = [ARRAYS[f"{name}/in/{i}"] for i in range(case["n_inputs"])]
    check_outputs(name, predict(model, inputs))

    resaved = tmp_path / f"{name}.keras"
    model.save(resaved)
    assert h5_paths(resaved) == case["h5_paths"]
    keep = os.environ.get("BRICKWORK_RESAVE_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
        model.save(os.path.join(keep, f"{name}.keras"))

    again = keras.saving.load_model(resaved)
    check_outputs(name, predict(again, inputs))


def test_multi_head_attention_weights_live_under_keras_public_names(tmp_path):
    q = keras.Input((4, 6))
    model = keras.Model(q, keras.layers.MultiHeadAttention(2, 3, name="mha")(q, q))
    model.save(tmp_path / "m.keras")
    groups = {path.split("/vars/")[0] for path, _ in h5_paths(tmp_path / "m.keras")}
    assert groups == {f"layers/multi_head_attention/{n}" for n in ("query_dense", "key_dense", "value_dense",
                                                   "output_dense")}
