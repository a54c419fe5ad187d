"""``fit`` gives Keras 3's numbers: same initial weights, data and shuffle=False.

The reference comes from real Keras 3 (torch backend, float32), produced by
``fixtures/make_keras_reference.py``; see ``fixtures/keras_fit_cases.json``.
"""
import json
import pathlib

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CASES = json.loads((FIXTURES / "keras_fit_cases.json").read_text())["cases"]
REFERENCE = np.load(FIXTURES / "keras_fit_reference.npz")
TARGETS = {"onehot": "y_onehot", "int": "y_int", "reg": "y_reg", "bin": "y_bin"}


class BatchLogRecorder(bw.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def build_case_model(case):
    n0, n1, n2 = case["layer_sizes"]
    model = bw.Sequential([layers.Input((n0,)),
                           layers.Dense(n1, activation=case.get("hidden_activation", "relu")),
                           layers.Dense(n2, activation=case["output_activation"])])
    model.set_weights([REFERENCE[f"initial/{case['layout']}/{i}"] for i in range(4)])
    return model


def resolve_loss(spec):
    return spec if isinstance(spec, str) else bw.losses.get(spec)


def fit_case(case):
    model = build_case_model(case)
    model.compile(optimizer=bw.optimizers.get(case["optimizer"]), loss=resolve_loss(case["loss"]),
                  metrics=case.get("metrics"))
    x = REFERENCE["data/x"]
    y = REFERENCE[f"data/{TARGETS[case['target']]}"]
    kwargs = {}
    if case.get("sample_weight"):
        kwargs["sample_weight"] = REFERENCE["data/sample_weight"]
    if case.get("class_weight"):
        kwargs["class_weight"] = {int(k): v for k, v in case["class_weight"].items()}
    if case.get("validation_split"):
        kwargs["validation_split"] = case["validation_split"]
    recorder = BatchLogRecorder()
    history = model.fit(x, y, batch_size=case["batch_size"], epochs=case["epochs"],
                        shuffle=case["shuffle"], verbose=0, callbacks=[recorder], **kwargs)
    return model, history, recorder, x, y


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fit_matches_keras(case):
    name = case["name"]
    model, history, recorder, x, y = fit_case(case)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, REFERENCE[f"{name}/final/{i}"], atol=1e-4, rtol=1e-4,
                                   err_msg=f"weight {i} after fit")
    assert sorted(history.history) == sorted(case["history_keys"])
    for key in case["history_keys"]:
        np.testing.assert_allclose(history.history[key], REFERENCE[f"{name}/history/{key}"],
                                   rtol=1e-4, atol=1e-5, err_msg=f"history[{key!r}]")
    for key in case["batch_log_keys"]:
        got = [logs[key] for logs in recorder.logs]
        np.testing.assert_allclose(got, REFERENCE[f"{name}/batch_logs/{key}"].reshape(-1),
                                   rtol=1e-4, atol=1e-5, err_msg=f"batch logs[{key!r}]")
    assert model.optimizer.iterations.numpy() == case["optimizer_iterations_after_fit"]
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    for key in case["evaluate_keys"]:
        np.testing.assert_allclose(evaluated[key], REFERENCE[f"{name}/evaluate/{key}"],
                                   rtol=1e-4, atol=1e-5, err_msg=f"evaluate[{key!r}]")
    np.testing.assert_allclose(model.predict(x[:5], verbose=0), REFERENCE[f"{name}/predict"],
                               atol=1e-4, rtol=1e-4)
