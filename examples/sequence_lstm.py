"""Embedding -> LSTM -> Dense on scikit-learn's handwritten digits, read as sequences.

Each 8x8 digit is read row by row, top to bottom, as a sequence of 8 tokens:
a row's 8 pixels are thresholded to ink / no ink and packed into one byte, so
every row becomes a token in [0, 256). The model embeds the tokens, runs an
LSTM over the 8 steps and classifies the last state into the 10 digits. The
data ships with scikit-learn (no download). Prints the test accuracy (about
0.93 after 30 epochs; about 1 CPU-minute).

    python examples/sequence_lstm.py [--epochs 30]
"""
from __future__ import annotations

import argparse

import numpy as np

import brickwork as bw
from brickwork import layers


def row_tokens(images):
    """``(n, 64)`` pixel intensities 0..16 -> ``(n, 8)`` row tokens 0..255."""
    ink = (images.reshape(-1, 8, 8) >= 6).astype("int32")
    return (ink << np.arange(7, -1, -1)).sum(axis=-1).astype("int32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = row_tokens(digits.data)
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.25,
                                                        random_state=0, stratify=digits.target)
    bw.utils.set_random_seed(0)
    model = bw.Sequential([
        layers.Input((8,), dtype="int32"),
        layers.Embedding(256, 32),
        layers.LSTM(64),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=bw.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.1,
              verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f}, {len(x_test)} digits)")


if __name__ == "__main__":
    main()
