"""asv benchmarks for brickwork; every benchmark is parametrized by backend."""
