"""``brickwork.config``: global settings under Keras' ``keras.config`` names."""
from brickwork.dtype_policies import dtype_policy, set_dtype_policy

__all__ = ["dtype_policy", "set_dtype_policy"]
