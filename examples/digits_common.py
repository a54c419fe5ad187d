"""What the digits examples share: the data split, the command line, and
training with early stopping followed by a test-set report.

The digits (1,797 images of 8x8 pixels) ship inside scikit-learn, so nothing
is downloaded.
"""
import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import brickwork as bw


def split(features, seed):
    """``features(digits)`` for every digit, split 75/25 with every class in both parts."""
    digits = load_digits()
    return train_test_split(features(digits), digits.target.astype("int64"), test_size=0.25,
                            random_state=seed, stratify=digits.target)


def parse_args(doc, argv, epochs):
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default) or cupy")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    if args.backend:
        bw.backend.set_backend(args.backend)
    bw.utils.set_random_seed(args.seed)
    return args


def train_and_report(model, data, args, optimizer="adam", patience=8):
    """Fit with a validation split and early stopping, then print and return
    the test accuracy (checked against ``predict``)."""
    x_train, x_test, y_train, y_test = data
    model.summary()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_split=0.1,
              verbose=args.verbose,
              callbacks=[bw.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                    restore_best_weights=True)])
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert np.isclose((predicted == y_test).mean(), accuracy)
    print(f"backend: {bw.backend.backend()}  test loss: {loss:.4f}  "
          f"test accuracy: {accuracy:.4f} ({len(y_test)} digits)")
    return accuracy
