"""SwapEMAWeights during fit against Keras 3 (fixtures/make_keras_api_more.py)
and RemoteMonitor against a local HTTP server (127.0.0.1, started here):
the requests match what Keras sends."""
import http.server
import inspect
import json
import pathlib
import threading
import urllib.parse

import numpy as np
import pytest

import brickwork
from brickwork import callbacks, layers, optimizers

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REF = json.loads((FIXTURES / "keras_api_more.json").read_text())["callbacks"]
ARR = np.load(FIXTURES / "keras_api_more.npz")
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]


def _model(use_ema=True):
    model = brickwork.Sequential([layers.Input((4,)), layers.Dense(2)])
    model.set_weights([ARR["swap/kernel"], np.zeros(2, "float32")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1, use_ema=use_ema, ema_momentum=0.8),
                  loss="mse")
    return model


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_in_fit_matches_keras(swap_on_epoch):
    expected = REF["swap_ema_weights"][f"swap_on_epoch_{swap_on_epoch}"]
    model = _model()
    seen = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.layers[0].kernel.numpy().copy()))
    history = model.fit(ARR["swap/x"], ARR["swap/y"],
                        validation_data=(ARR["swap/vx"], ARR["swap/vy"]), epochs=3, batch_size=8,
                        shuffle=False, verbose=0,
                        callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch), record])
    np.testing.assert_allclose(history.history["loss"], expected["history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(np.array(seen), expected["kernel_at_epoch_end"], rtol=1e-5,
                               atol=1e-7)
    if swap_on_epoch:
        # the averages stay in the model after the last epoch, as in Keras
        np.testing.assert_allclose(model.layers[0].kernel.numpy(), expected["final_kernel"],
                                   rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(model.optimizer._model_variables_moving_average[0].numpy(),
                                   expected["final_average"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_validation_in_fit_matches_keras(swap_on_epoch):
    expected = REF["swap_ema_weights"][f"swap_on_epoch_{swap_on_epoch}"]
    model = _model()
    history = model.fit(ARR["swap/x"], ARR["swap/y"],
                        validation_data=(ARR["swap/vx"], ARR["swap/vy"]), epochs=3, batch_size=8,
                        shuffle=False, verbose=0,
                        callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
    np.testing.assert_allclose(history.history["val_loss"], expected["history"]["val_loss"],
                               rtol=1e-5)


def test_evaluate_and_predict_use_the_averages_and_restore():
    model = _model()
    # train_on_batch, not fit: fit ends by putting the averages in (as Keras's).
    for start in range(0, len(ARR["swap/x"]), 8):
        model.train_on_batch(ARR["swap/x"][start:start + 8], ARR["swap/y"][start:start + 8])
    trained = model.layers[0].kernel.numpy().copy()
    average = model.optimizer._model_variables_moving_average[0].numpy().copy()
    assert not np.allclose(trained, average)
    swap = callbacks.SwapEMAWeights()
    seen = []
    probe = callbacks.LambdaCallback(
        on_predict_batch_end=lambda batch, logs: seen.append(
            model.layers[0].kernel.numpy().copy()))
    model.predict(ARR["swap/vx"], verbose=0, callbacks=[swap, probe])
    np.testing.assert_array_equal(seen[0], average)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), trained)
    ema_loss = _model(use_ema=False)
    ema_loss.set_weights([v.numpy() for v in model.optimizer._model_variables_moving_average])
    expected = ema_loss.evaluate(ARR["swap/vx"], ARR["swap/vy"], verbose=0)
    got = model.evaluate(ARR["swap/vx"], ARR["swap/vy"], verbose=0, callbacks=[swap])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), trained)


def test_swap_ema_weights_needs_use_ema():
    model = _model(use_ema=False)
    model.fit(ARR["swap/x"], ARR["swap/y"], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(ARR["swap/vx"], ARR["swap/vy"], verbose=0,
                       callbacks=[callbacks.SwapEMAWeights()])


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).received.append({"path": self.path,
                                    "content_type": self.headers["Content-Type"],
                                    "body": body, "x_token": self.headers.get("X-Token")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.received
    httpd.shutdown()
    httpd.server_close()


def test_remote_monitor_sends_what_keras_sends(server):
    root, received = server
    logs = {"loss": np.float32(0.25), "acc": np.array(0.5), "lr": 0.1}
    callbacks.RemoteMonitor(root=root).on_epoch_end(3, logs)
    callbacks.RemoteMonitor(root=root, path="/p/", field="f", send_as_json=True,
                            headers={"X-Token": "t"}).on_epoch_end(4, logs)
    expected = REF["remote_monitor"]
    assert [r["path"] for r in received] == [e["path"] for e in expected]
    assert [r["content_type"] for r in received] == [e["content_type"] for e in expected]
    assert [r["x_token"] for r in received] == [e["x_token"] for e in expected]
    # the form body: the field's JSON text, decoded, is the same
    form = urllib.parse.parse_qs(received[0]["body"])
    keras_form = urllib.parse.parse_qs(expected[0]["body"])
    assert list(form) == list(keras_form) == ["data"]
    assert json.loads(form["data"][0]) == json.loads(keras_form["data"][0])
    assert received[0]["body"] == expected[0]["body"]
    assert json.loads(received[1]["body"]) == json.loads(expected[1]["body"])


def test_remote_monitor_in_fit(server):
    root, received = server
    model = _model(use_ema=False)
    model.fit(ARR["swap/x"], ARR["swap/y"], epochs=2, verbose=0,
              callbacks=[callbacks.RemoteMonitor(root=root, send_as_json=True)])
    assert [json.loads(r["body"])["epoch"] for r in received] == [0, 1]
    assert all("loss" in json.loads(r["body"]) for r in received)


def test_remote_monitor_unreachable_server_warns():
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        callbacks.RemoteMonitor(root="http://127.0.0.1:9").on_epoch_end(0, {"loss": 1.0})


@pytest.mark.parametrize("name", ["SwapEMAWeights", "RemoteMonitor"])
def test_signature_matches_keras_listing(name):
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in inspect.signature(getattr(callbacks, name)).parameters.values()]
    assert got == LISTING["callbacks"][name]["parameters"]


def test_swap_ema_weights_with_multi_optimizer():
    model = brickwork.Sequential([layers.Input((4,)), layers.Dense(2)])
    model.set_weights([ARR["swap/kernel"], np.zeros(2, "float32")])
    ema = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    plain = optimizers.SGD(learning_rate=0.1)
    model.compile(optimizer=optimizers.MultiOptimizer(
        optimizers.OptimizerMap(plain, {".*kernel": ema})), loss="mse")
    model.fit(ARR["swap/x"], ARR["swap/y"], epochs=1, batch_size=8, shuffle=False, verbose=0)
    trained = [w.numpy().copy() for w in model.trainable_weights]
    average = ema._model_variables_moving_average[0].numpy().copy()
    seen = []
    probe = callbacks.LambdaCallback(on_test_begin=lambda logs: seen.append(
        [w.numpy().copy() for w in model.trainable_weights]))
    model.evaluate(ARR["swap/vx"], ARR["swap/vy"], verbose=0,
                   callbacks=[callbacks.SwapEMAWeights(), probe])
    np.testing.assert_array_equal(seen[0][0], average)  # the kernel's average in
    np.testing.assert_array_equal(seen[0][1], trained[1])  # the bias has no average
    for w, t in zip(model.trainable_weights, trained):
        np.testing.assert_array_equal(w.numpy(), t)
    plain_model = _model(use_ema=False)
    plain_model.compile(optimizer=optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.SGD())), loss="mse")
    plain_model.fit(ARR["swap/x"], ARR["swap/y"], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="at least one inner optimizer"):
        plain_model.evaluate(ARR["swap/vx"], ARR["swap/vy"], verbose=0,
                             callbacks=[callbacks.SwapEMAWeights()])


def test_fit_with_ema_ends_with_the_averaged_weights():
    model = _model()
    model.fit(ARR["swap/x"], ARR["swap/y"], epochs=1, batch_size=8, shuffle=False, verbose=0)
    for variable, average in zip(model.trainable_weights,
                                 model.optimizer._model_variables_moving_average):
        np.testing.assert_array_equal(variable.numpy(), average.numpy())
