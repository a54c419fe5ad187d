"""Training runs that tests/test_distribution.py starts, under ``mpiexec -n 2``
or as one plain process, and compares.

    python tests/distribution/worker.py CASE OUT_DIR [extra]

Rank 0 (or the one process) writes ``OUT_DIR/<name>.npz`` for each model:
final weights, the loss history, evaluate's and predict's results. The
cases build their data and models from fixed seeds, so the one-process run
and the two-process run train on the same global batches.
"""
import json
import os
import sys
import warnings

import numpy as np

import brickwork as keras

CASE, OUT = sys.argv[1], sys.argv[2]
EXTRA = sys.argv[3] if len(sys.argv) > 3 else ""
DISTRIBUTED = CASE != "single"

if DISTRIBUTED:
    keras.distribution.initialize()
    keras.distribution.set_distribution(keras.distribution.DataParallel(bucket_size_mb=0.0005))
    RANK = keras.distribution.distribution().process_id
else:
    RANK = 0


def data(seed, shape, n, classes=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n,) + shape).astype("float32")
    if classes:
        y = rng.integers(0, classes, size=n)
    else:
        y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dropout(0.3),
        keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def lstm():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(8, dropout=0.2),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


class CustomStep(keras.Model):
    """Keras's "customizing what happens in fit()" pattern: its own tape and
    apply_gradients; the optimizer sums the gradients over the processes."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.out = keras.layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def cnn_synchronized_bn():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3),
        keras.layers.BatchNormalization(synchronized=True), keras.layers.Activation("relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def custom_step():
    keras.utils.set_random_seed(4)
    model = CustomStep()
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5), loss="mse")
    return model


def save(name, model, history, **more):
    if RANK != 0:
        return
    arrays = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    for key, values in history.history.items():
        arrays[f"h_{key}"] = np.asarray(values, dtype="float64")
    arrays.update({k: np.asarray(v) for k, v in more.items()})
    np.savez(os.path.join(OUT, f"{name}.npz"), **arrays)


def everyone(value):
    """``value`` of every process, on rank 0 (one process: ``[value]``)."""
    if not DISTRIBUTED:
        return [value]
    from mpi4py import MPI
    return MPI.COMM_WORLD.gather(value, root=0)


def train_all():
    # MLP: 43 rows in batches of 8, so the last batch (3 rows) splits 2/1;
    # validation data, CSVLogger (rank 0 only) and EarlyStopping.
    x, y = data(10, (6,), 43, classes=3)
    vx, vy = data(11, (6,), 12, classes=3)
    model = mlp()
    csv = keras.callbacks.CSVLogger(os.path.join(OUT, "mlp.csv"))
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=0.2, patience=0)
    history = model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                        validation_data=(vx, vy), callbacks=[csv, stop])
    def batches():   # a generator: every process reads it whole and keeps its rows
        for start in range(0, 12, 4):
            yield vx[start:start + 4], vy[start:start + 4]
    save("mlp", model, history, evaluate=model.evaluate(vx, vy, batch_size=5, verbose=0),
         evaluate_generator=model.evaluate(batches(), verbose=0),
         predict=model.predict(x, batch_size=7, verbose=0))
    opened = everyone(csv.model is not None)
    epochs = everyone(len(history.history["loss"]))
    losses = everyone(history.history["loss"])

    # Rank 1 changes a weight before fit: rank 0 names it, and both go on
    # from rank 0's weights.
    model = mlp()
    model.build((None, 6))
    if RANK == 1:
        model.layers[1].bias.assign(np.ones(3, "float32"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x[:8], y[:8], batch_size=8, verbose=0)
    named = [str(w.message) for w in caught if "differ from rank 0" in str(w.message)]
    biases = everyone(np.asarray(model.layers[1].bias).tolist())
    if RANK == 0:
        with open(os.path.join(OUT, "ranks.json"), "w") as f:
            json.dump({"csv_opened": opened, "epochs": epochs, "losses": losses,
                       "weights_warning": named, "biases": biases}, f)

    # CNN with Dropout, shuffled each epoch (rank 0's shuffle seed).
    x, y = data(20, (8, 8, 1), 32, classes=2)
    model = cnn()
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=True, verbose=0)
    save("cnn", model, history)

    # LSTM with input dropout, from a PyDataset (streamed batches are split too).
    x, y = data(30, (5, 3), 24)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 6:(index + 1) * 6], y[index * 6:(index + 1) * 6]
    model = lstm()
    history = model.fit(Batches(), epochs=3, verbose=0)
    save("lstm", model, history)

    # A custom train_step (its own tape and apply_gradients), batches of 8 split 4/4.
    x, y = data(40, (6,), 32)
    model = custom_step()
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    save("custom_step", model, history)

    # BatchNormalization(synchronized=True): statistics of both processes' rows.
    x, y = data(50, (6, 6, 2), 32, classes=2)
    model = cnn_synchronized_bn()
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    save("synchronized_bn", model, history)


def resumable(fail_at_epoch):
    """The MLP for 4 epochs with BackupAndRestore; rank 1 raises as epoch
    ``fail_at_epoch`` begins (when given). By then rank 0 has written the
    backup of the epoch before: the processes pass a collective after each
    epoch's callbacks, so the crash cannot cut rank 0's writing short."""
    x, y = data(10, (6,), 40, classes=3)
    model = mlp()

    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == fail_at_epoch and RANK == 1:
                raise RuntimeError(f"crash injected at epoch {epoch}")
    backup = keras.callbacks.BackupAndRestore(os.path.join(OUT, "backup"))
    history = model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                        callbacks=[backup, Crash()])
    save("resumed" if fail_at_epoch is None else "crashed", model, history)


if CASE == "single":
    train_all()
    x, y = data(10, (6,), 40, classes=3)
    model = mlp()
    save("uninterrupted", model, model.fit(x, y, batch_size=8, epochs=4, shuffle=False,
                                           verbose=0))
elif CASE == "train":
    train_all()
elif CASE == "crash":
    resumable(fail_at_epoch=2)
elif CASE == "resume":
    resumable(fail_at_epoch=None)
elif CASE == "mismatch":
    keras.utils.set_random_seed(1)
    units = 16 if RANK == 0 else 12
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(units),
                              keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data(10, (6,), 16)
    model.fit(x, np.repeat(y, 3, axis=1), batch_size=8, verbose=0)
else:
    raise SystemExit(f"unknown case {CASE!r}")
