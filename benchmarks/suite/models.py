"""Model-level benchmarks: one training step and one inference batch.

Workloads whose layers are not available in this checkout are skipped.
"""
import brickwork as bw
from brickwork import layers

from .common import BACKENDS, host_rng, size, synchronize, use


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


class Models:
    params = [sorted(WORKLOADS), BACKENDS]
    param_names = ["workload", "backend"]
    timeout = 300

    def setup(self, workload, backend_name):
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
        self.model.train_on_batch(self.x, self.y)
        synchronize()

    def time_inference(self, workload, backend_name):
        self.model.predict_on_batch(self.x)
        synchronize()

    def peakmem_train_step(self, workload, backend_name):
        self.model.train_on_batch(self.x, self.y)
