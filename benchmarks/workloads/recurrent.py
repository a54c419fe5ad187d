"""Embedding(10000, 128) -> LSTM(128) or GRU(128) -> Dense(1, sigmoid),
sequences of 100 tokens, batch 64: binary cross-entropy, Adam."""
from __future__ import annotations

import numpy as np

from . import Case, torch_inference, torch_input, torch_on_device

VOCAB, EMBED, UNITS, STEPS, BATCH = 10000, 128, 128, 100, 64


def tokens(seed=0, batch=BATCH, steps=STEPS):
    return np.random.default_rng(seed).integers(0, VOCAB, size=(batch, steps)).astype("int32")


def targets(seed=1, batch=BATCH):
    return np.random.default_rng(seed).integers(0, 2, size=(batch, 1)).astype("float32")


def brickwork_model(kind, steps=STEPS):
    import brickwork as bw
    from brickwork import layers
    recurrent = layers.LSTM(UNITS) if kind == "lstm" else layers.GRU(UNITS)
    model = bw.Sequential([layers.Input((steps,), dtype="int32"), layers.Embedding(VOCAB, EMBED),
                           recurrent, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def torch_model(kind):
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            rnn = nn.LSTM if kind == "lstm" else nn.GRU
            self.rnn = rnn(EMBED, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, 1)

        def forward(self, x):
            _, state = self.rnn(self.embedding(x))
            h = state[0] if kind == "lstm" else state
            return torch.sigmoid(self.dense(h[0]))
    return Net()


def torch_train_step(model, x, y):
    import torch
    model = torch_on_device(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCELoss()
    xt, yt = torch_input(x).long(), torch_input(y)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        optimizer.step()
    return step


def cases():
    x, y = tokens(), targets()
    result = []
    for kind in ("lstm", "gru"):
        def bw_train(kind=kind):
            model = brickwork_model(kind)
            return lambda: model.train_on_batch(x, y)

        def bw_predict(kind=kind):
            model = brickwork_model(kind)
            return lambda: model.predict_on_batch(x)

        def torch_predict(kind=kind, x=x):
            import torch
            model = torch_on_device(torch_model(kind))
            model.eval()
            xt = torch_input(x).long()

            def step():
                with torch.no_grad():
                    return model(xt)
            return step
        name = f"embedding->{kind}({UNITS})->dense t{STEPS} b{BATCH}"
        # Targets: LSTM 1.0 (issue 9), GRU 1.2 (issue 5).
        result.append(Case(f"{name} train step", bw_train,
                           lambda kind=kind: torch_train_step(torch_model(kind), x, y),
                           1.0 if kind == "lstm" else 1.2))
        result.append(Case(f"{name} inference", bw_predict, torch_predict))

        def bw_predict_one(kind=kind):
            model = brickwork_model(kind)
            return lambda: model.predict_on_batch(x[:1])
        result.append(Case(f"embedding->{kind}({UNITS})->dense t{STEPS} b1 inference",
                           bw_predict_one, lambda kind=kind: torch_predict(kind, x[:1]),
                           target=1.5))
    return result


assert torch_inference  # the shared helper takes float inputs; token ids need the above


if __name__ == "__main__":
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(subprocess.call([sys.executable, os.path.join(here, "compare_torch.py"),
                              "--only", "recurrent", *sys.argv[1:]]))
