"""Workloads for ``compare_torch.py``: one module per model family, each with
``cases()`` returning :class:`Case` objects."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Case:
    """One timed computation. ``brickwork`` and ``torch`` build it (outside
    the timing) and return a zero-argument function that runs it once."""

    name: str
    brickwork: Callable[[], Callable[[], object]]
    torch: Callable[[], Callable[[], object]]
    target: float | None = None  # the brickwork/torch ratio to stay under


#: Where the torch side of a case is built: compare_torch sets "cuda" while
#: it builds the torch steps of its GPU table.
TORCH_DEVICE = "cpu"


def torch_input(array):
    """A NumPy array as a torch tensor on :data:`TORCH_DEVICE`."""
    import torch
    return torch.from_numpy(array).to(TORCH_DEVICE)


def torch_on_device(model):
    return model.to(TORCH_DEVICE)


def data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def labels(batch, classes=10, seed=1):
    return np.random.default_rng(seed).integers(0, classes, size=batch)


def torch_train_step(model, x, y):
    """An Adam training step of a PyTorch model on logits + cross-entropy."""
    import torch
    model = torch_on_device(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch_input(x), torch_input(y).long()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        optimizer.step()
    return step


def torch_inference(model, x):
    import torch
    xt = torch_input(x)
    model = torch_on_device(model)
    model.eval()

    def step():
        with torch.no_grad():
            return model(xt)
    return step
