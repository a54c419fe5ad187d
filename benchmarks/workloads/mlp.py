"""A multilayer perceptron 784-512-512-10 (relu, softmax), batch 128."""
from __future__ import annotations

from . import Case, data, labels, torch_inference, torch_train_step

BATCH = 128


def brickwork_model():
    import brickwork as bw
    from brickwork import layers
    model = bw.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"),
                           layers.Dense(512, activation="relu"),
                           layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def torch_model():
    import torch.nn as nn
    # Logits out: CrossEntropyLoss applies the softmax, as Keras' fused loss does.
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def _bw_predict_one(x):
    model = brickwork_model()
    return lambda: model.predict_on_batch(x)


def cases():
    x, y = data((BATCH, 784)), labels(BATCH)

    def bw_train():
        model = brickwork_model()
        return lambda: model.train_on_batch(x, y)

    def bw_predict():
        model = brickwork_model()
        return lambda: model.predict_on_batch(x)
    return [
        Case(f"mlp 784-512-512-10 train step b{BATCH}", bw_train,
             lambda: torch_train_step(torch_model(), x, y), target=1.0),  # issue 9
        Case(f"mlp 784-512-512-10 inference b{BATCH}", bw_predict,
             lambda: torch_inference(torch_model(), x)),
        Case("mlp 784-512-512-10 inference b1", lambda: _bw_predict_one(x[:1]),
             lambda: torch_inference(torch_model(), x[:1]), target=1.5),
    ]
