"""Train a small convolutional network on scikit-learn's handwritten digits.

The network follows the seeds' CNN (convolution, max pooling, convolution,
dense head with dropout), scaled to 8x8 images with 'same' padding; it
reaches about 98% accuracy on the held-out quarter of the images in well
under a minute on a CPU.

    python examples/digits_cnn.py [--backend numpy|cupy] [--epochs 30]
"""
import sys

import brickwork as bw
from brickwork import layers
from digits_common import parse_args, split, train_and_report


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
    args = parse_args(__doc__, argv, epochs=30)
    images = lambda digits: (digits.images / 16.0).astype("float32")[..., None]  # noqa: E731
    return train_and_report(build_model(), split(images, args.seed), args, patience=6)


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.97 else 1)
