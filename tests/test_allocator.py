"""The NumPy backend's allocator tuning: large freed arrays are reused from
the heap instead of coming back from the OS (and being faulted in) each time."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="mallopt tuning is glibc-only")

# Allocates and frees a 40 MB array (above glibc's largest dynamic mmap
# threshold, 32 MiB) ten times after the NumPy kernels are loaded; prints
# the page faults that took, then the allocator line of `brickwork info`.
SCRIPT = """
import resource
import numpy as np
from brickwork import backend
from brickwork_numpy import allocator
backend.set_backend("numpy")
for _ in range(3):
    np.ones(10_000_000, np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    np.ones(10_000_000, np.float32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(allocator.describe())
"""


def run(**environment):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES",
                        "BRICKWORK_MALLOC_TUNING")}
    env.update(environment)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return int(out[0]), out[1]


def test_large_arrays_are_reused_without_page_faults():
    faults, status = run()
    assert "keeps freed blocks" in status
    # A fresh 40 MB array faults in at least 20 pages (2 MiB huge pages),
    # up to ~9,800 (4 KiB pages).
    assert faults < 100, faults


def test_switch_off_leaves_glibc_defaults():
    faults, status = run(BRICKWORK_MALLOC_TUNING="0")
    assert "BRICKWORK_MALLOC_TUNING=0" in status
    assert faults > 10 * 20, faults


def test_users_own_glibc_settings_stand():
    _, status = run(MALLOC_TRIM_THRESHOLD_="131072")
    assert "MALLOC_TRIM_THRESHOLD_ set" in status
