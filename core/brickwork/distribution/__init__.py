"""Data-parallel training across processes: Keras 3's ``keras.distribution``.

A training script becomes data-parallel with two lines, started with
``mpiexec -n N python train.py``:

```python
import brickwork as keras
keras.distribution.set_distribution(keras.distribution.DataParallel())
```

MPI (through mpi4py: ``pip install "brickwork[mpi]"``) joins the processes
and sums gradients between CPUs; NCCL (through CuPy) sums them between
GPUs. ``docs/distributed.md`` describes the semantics and the costs.
"""
from brickwork.distribution.distribution_lib import (DataParallel, DeviceMesh,  # noqa: F401
                                                     TensorLayout, distribute_tensor,
                                                     distribution, get_device_count,
                                                     initialize, list_devices,
                                                     set_distribution)

__all__ = ["DataParallel", "DeviceMesh", "TensorLayout", "distribute_tensor", "distribution",
           "get_device_count", "initialize", "list_devices", "set_distribution"]
