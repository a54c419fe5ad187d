"""The seed CNN (28x28x1: Conv2D(32,3) - MaxPool - Conv2D(64,3) - MaxPool -
Flatten - Dense(64) - Dropout(0.5) - Dense(10, softmax)), batch 128, and a
single Conv2D 3x3 64->64 'same' on 32x56x56 (forward, forward+backward)."""
from __future__ import annotations

from . import (Case, data, labels, torch_inference, torch_input, torch_on_device,
               torch_train_step)

BATCH = 128
CONV_SHAPE = (32, 56, 56, 64)


def seed_cnn():
    import brickwork as bw
    from brickwork import layers
    model = bw.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def torch_seed_cnn():
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, 10))


def brickwork_conv(backward):
    import brickwork as bw
    from brickwork import layers, ops
    from brickwork.variables import Variable
    layer = layers.Conv2D(64, 3, padding="same")
    x = data(CONV_SHAPE)
    layer.build(x.shape)
    if not backward:
        return lambda: layer(x)
    x_var = Variable(x)

    def step():
        with bw.GradientTape() as tape:
            loss = ops.sum(layer(x_var))
        return tape.gradient(loss, [x_var] + layer.trainable_weights)
    return step


def torch_conv(backward):
    import torch
    conv = torch_on_device(torch.nn.Conv2d(64, 64, 3, padding=1))
    b, h, w, c = CONV_SHAPE
    x = torch_input(data((b, c, h, w)))
    if not backward:
        def forward():
            with torch.no_grad():
                return conv(x)
        return forward
    x.requires_grad_(True)

    def step():
        conv.zero_grad(set_to_none=True)
        x.grad = None
        conv(x).sum().backward()
    return step


def _bw_predict_one(x):
    model = seed_cnn()
    return lambda: model.predict_on_batch(x)


def cases():
    x, y = data((BATCH, 28, 28, 1)), labels(BATCH)
    x_nchw = x.transpose(0, 3, 1, 2).copy()

    def bw_train():
        model = seed_cnn()
        return lambda: model.train_on_batch(x, y)

    def bw_predict():
        model = seed_cnn()
        return lambda: model.predict_on_batch(x)
    return [
        Case(f"seed cnn train step b{BATCH}", bw_train,
             lambda: torch_train_step(torch_seed_cnn(), x_nchw, y), target=1.0),  # issue 9 (issue 4: 1.2)
        Case(f"seed cnn inference b{BATCH}", bw_predict,
             lambda: torch_inference(torch_seed_cnn(), x_nchw)),
        # One sample: the fixed cost per predict_on_batch and per layer call
        # (issue 22: within 1.5x of torch).
        Case("seed cnn inference b1", lambda: _bw_predict_one(x[:1]),
             lambda: torch_inference(torch_seed_cnn(), x_nchw[:1]), target=1.5),
        Case("conv2d 3x3 64->64 32x56x56 forward", lambda: brickwork_conv(False),
             lambda: torch_conv(False), target=1.5),
        Case("conv2d 3x3 64->64 32x56x56 fwd+bwd", lambda: brickwork_conv(True),
             lambda: torch_conv(True), target=1.5),
    ]
