"""Model-level benchmarks: one training step and one inference batch.

Workloads whose layers are not available in this checkout are skipped.
Each workload also has a ``torch`` row, the same model in PyTorch (the
models of ``benchmarks/workloads``, as ``compare_torch.py`` times them), so
that the dashboard shows brickwork against PyTorch on one graph; it is
skipped where torch is not installed, and in smoke mode.
"""
import os
import pathlib
import sys

import brickwork as bw
from brickwork import layers

from .common import BACKENDS, SMOKE, host_rng, size, synchronize, use

TORCH = "torch"


BATCH = size(128, 4)
SEQUENCE, RECURRENT_BATCH = size(100, 6), size(64, 3)
CONV_HW, CONV_BATCH = size(56, 8), size(32, 2)


def _mlp():
    return bw.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"),
                          layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])


def _seed_cnn():
    return bw.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")])


def _recurrent(cell):
    return bw.Sequential([layers.Input((SEQUENCE,), dtype="int32"), layers.Embedding(10000, 128),
                          getattr(layers, cell)(128), layers.Dense(1, activation="sigmoid")])


def _conv_layer():
    return bw.Sequential([layers.Input((CONV_HW, CONV_HW, 64)), layers.Conv2D(64, 3, padding="same")])


def _int_sequences(rng, batch):
    return rng.integers(1, 10000, (batch, SEQUENCE)).astype("int32"), rng.integers(0, 2, (batch, 1))


WORKLOADS = {
    # name: (builder, loss, data maker(rng) -> (x, y))
    "mlp": (_mlp, "sparse_categorical_crossentropy",
            lambda rng: (rng.random((BATCH, 784), dtype="float32"), rng.integers(0, 10, BATCH))),
    "seed_cnn": (_seed_cnn, "sparse_categorical_crossentropy",
                 lambda rng: (rng.random((BATCH, 28, 28, 1), dtype="float32"),
                              rng.integers(0, 10, BATCH))),
    "lstm": (lambda: _recurrent("LSTM"), "binary_crossentropy", lambda rng: _int_sequences(rng, RECURRENT_BATCH)),
    "gru": (lambda: _recurrent("GRU"), "binary_crossentropy", lambda rng: _int_sequences(rng, RECURRENT_BATCH)),
    "conv2d_3x3_64": (_conv_layer, "mse",
                      lambda rng: (rng.random((CONV_BATCH, CONV_HW, CONV_HW, 64), dtype="float32"),
                                   rng.random((CONV_BATCH, CONV_HW, CONV_HW, 64), dtype="float32"))),
}


def _torch_steps(workload):
    """(train step, inference step) of ``workload`` in PyTorch, on this
    suite's shapes (the NumPy inputs transposed to NCHW for convolutions)."""
    try:
        import torch
    except ImportError as missing:
        raise NotImplementedError("torch is not installed (pip install torch)") from missing
    if SMOKE:
        raise NotImplementedError("the torch rows are not run in smoke mode")
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    import workloads
    from workloads import cnn, mlp, recurrent
    torch.set_num_threads(len(os.sched_getaffinity(0)))  # as many as OpenBLAS uses
    x, y = WORKLOADS[workload][2](host_rng())
    if workload == "mlp":
        return (workloads.torch_train_step(mlp.torch_model(), x, y),
                workloads.torch_inference(mlp.torch_model(), x))
    if workload == "seed_cnn":
        nchw = x.transpose(0, 3, 1, 2).copy()
        return (workloads.torch_train_step(cnn.torch_seed_cnn(), nchw, y),
                workloads.torch_inference(cnn.torch_seed_cnn(), nchw))
    if workload in ("lstm", "gru"):
        model = recurrent.torch_model(workload)
        return (recurrent.torch_train_step(model, x, y.astype("float32")),
                workloads.torch_inference(model, x.astype("int64")))
    return cnn.torch_conv(True), cnn.torch_conv(False)  # conv2d_3x3_64: same shapes


class Models:
    params = [sorted(WORKLOADS), BACKENDS + [TORCH]]
    param_names = ["workload", "backend"]
    timeout = 300

    def setup(self, workload, backend_name):
        if backend_name == TORCH:
            self.torch_train, self.torch_inference = _torch_steps(workload)
            for step in (self.torch_train, self.torch_inference):
                step()  # warm-up
            return
        use(backend_name)
        build, loss, make_data = WORKLOADS[workload]
        try:
            self.model = build()
        except AttributeError as missing:  # a layer family not in this checkout yet
            raise NotImplementedError(f"{workload}: {missing}") from missing
        self.model.compile(optimizer="adam", loss=loss)
        self.x, self.y = make_data(host_rng())
        self.model.train_on_batch(self.x, self.y)  # warm-up: builds optimizer state
        synchronize()

    def time_train_step(self, workload, backend_name):
        if backend_name == TORCH:
            return self.torch_train()
        self.model.train_on_batch(self.x, self.y)
        synchronize()

    def time_inference(self, workload, backend_name):
        if backend_name == TORCH:
            return self.torch_inference()
        self.model.predict_on_batch(self.x)
        synchronize()

    def peakmem_train_step(self, workload, backend_name):
        if backend_name == TORCH:
            return self.torch_train()
        self.model.train_on_batch(self.x, self.y)
