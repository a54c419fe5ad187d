"""NumPy kernel modules; each declares ``BRICKWORK_BACKEND = "numpy"``."""
