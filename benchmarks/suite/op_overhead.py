"""What ``brickwork.ops`` adds to the array call under it, on tiny arrays
where the call itself costs almost nothing (issue 16: at most about 2 us).

Each op is timed twice: through ``brickwork.ops`` (``time_op``) and as the
bare call of the backend's array library (``time_bare``); the difference is
the dispatch, dtype and autodiff bookkeeping of the op.
"""
from brickwork import ops

from .common import BACKENDS, host_rng, use

# name: (brickwork op call, bare array call), each given (xp, a, b)
OPS = {
    "add": (lambda xp, a, b: ops.add(a, b), lambda xp, a, b: xp.add(a, b)),
    "multiply": (lambda xp, a, b: ops.multiply(a, b), lambda xp, a, b: xp.multiply(a, b)),
    "exp": (lambda xp, a, b: ops.exp(a), lambda xp, a, b: xp.exp(a)),
    "sum": (lambda xp, a, b: ops.sum(a, axis=-1), lambda xp, a, b: xp.sum(a, axis=-1)),
    "matmul": (lambda xp, a, b: ops.matmul(a, b), lambda xp, a, b: xp.matmul(a, b)),
    "reshape": (lambda xp, a, b: ops.reshape(a, (-1,)), lambda xp, a, b: xp.reshape(a, (-1,))),
    "concatenate": (lambda xp, a, b: ops.concatenate([a, b], axis=0),
                    lambda xp, a, b: xp.concatenate([a, b], axis=0)),
    "where": (lambda xp, a, b: ops.where(a > 0, a, b), lambda xp, a, b: xp.where(a > 0, a, b)),
}


class OpOverhead:
    params = [sorted(OPS), BACKENDS]
    param_names = ["op", "backend"]

    def setup(self, op, backend_name):
        backend = use(backend_name)
        self.xp = backend.xp
        rng = host_rng()
        self.a = ops.convert_to_tensor(rng.standard_normal((4, 4)).astype("float32"))
        self.b = ops.convert_to_tensor(rng.standard_normal((4, 4)).astype("float32"))
        self.through_ops, self.bare = OPS[op]

    def time_op(self, op, backend_name):
        self.through_ops(self.xp, self.a, self.b)

    def time_bare(self, op, backend_name):
        self.bare(self.xp, self.a, self.b)
