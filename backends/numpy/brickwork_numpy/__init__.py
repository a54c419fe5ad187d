"""brickwork's NumPy backend: every kernel of ``brickwork.hookspecs`` on the CPU."""
