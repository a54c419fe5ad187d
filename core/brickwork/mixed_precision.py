"""``brickwork.mixed_precision``: Keras' mixed-precision names.

``set_global_policy("mixed_float16")`` makes new layers compute in float16
on float32 variables; ``compile`` then wraps the optimizer in a
:class:`LossScaleOptimizer`.
"""
from brickwork.dtype_policies import DTypePolicy
from brickwork.dtype_policies import dtype_policy
from brickwork.dtype_policies import dtype_policy as global_policy
from brickwork.dtype_policies import set_dtype_policy
from brickwork.dtype_policies import set_dtype_policy as set_global_policy
from brickwork.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
