"""Train a small convolutional network on scikit-learn's handwritten digits.

The digits (1,797 grayscale images of 8x8 pixels) ship inside scikit-learn,
so nothing is downloaded. The network follows the seeds' CNN (convolution,
max pooling, convolution, dense head with dropout), scaled to 8x8 images with
'same' padding; it reaches about 98% accuracy on the held-out quarter of the
images in well under a minute on a CPU.

    python examples/digits_cnn.py [--backend numpy|cupy] [--epochs 30]
"""
import argparse
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import brickwork as bw
from brickwork import layers


def load_data(seed):
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (n, 8, 8, 1), 0..1
    y = digits.target.astype("int64")
    return train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)


def build_model():
    return bw.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="digits_cnn")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default) or cupy")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    if args.backend:
        bw.backend.set_backend(args.backend)
    bw.utils.set_random_seed(args.seed)

    x_train, x_test, y_train, y_test = load_data(args.seed)
    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1,
              verbose=args.verbose,
              callbacks=[bw.callbacks.EarlyStopping(monitor="val_loss", patience=6,
                                                    restore_best_weights=True)])
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert np.isclose((predicted == y_test).mean(), accuracy)
    print(f"backend: {bw.backend.backend()}  test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.97 else 1)
