import numpy as np

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "numpy"


@hookimpl
def random_generator(seed):
    return np.random.default_rng(seed)
