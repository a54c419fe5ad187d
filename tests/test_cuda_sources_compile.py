"""Every CUDA source of the CuPy backend compiles with NVRTC (no GPU needed).

The backend keeps all its CUDA text in ``brickwork_cupy.cuda.SOURCES``;
here each source is compiled with raw NVRTC bindings (which need no CUDA
driver) for compute_80 and compute_90, with every template instantiation
the backend uses added as a name expression, so an error in any kernel
fails CI even though no GPU runs it. Skipped where CuPy or NVRTC cannot be
imported (the ``cupy-dev`` extra brings both), except when
``BRICKWORK_REQUIRE_NVRTC=1``: .ci/run sets it, so that CI fails rather than
skips when the compiler is missing.
"""
from __future__ import annotations

import os

import pytest

from brickwork_cupy import cuda

ARCHITECTURES = ("compute_80", "compute_90")


def _nvrtc():
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()  # loads libnvrtc: fails when the NVRTC wheel is missing
    except Exception as exc:
        reason = f"cupy/NVRTC not importable here: {type(exc).__name__}: {exc}"
        if os.environ.get("BRICKWORK_REQUIRE_NVRTC") == "1":
            pytest.fail(f"{reason} (BRICKWORK_REQUIRE_NVRTC=1; install the cupy-dev extra: "
                        f'pip install -e ".[cupy-dev]")')
        pytest.skip(reason)
    return nvrtc


def test_the_registry_lists_every_cuda_source():
    assert set(cuda.SOURCES) == {"activations", "losses", "optimizers"}
    for source in cuda.SOURCES.values():
        assert source.kernels, f"{source.name} lists no kernels"
        for kernel in source.kernels:
            assert f"__global__ void {kernel}(" in source.code, f"{source.name}: no kernel {kernel}"


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("source_name", sorted(cuda.SOURCES))
def test_cuda_source_compiles_with_nvrtc(source_name, architecture):
    nvrtc = _nvrtc()
    source = cuda.SOURCES[source_name]
    program = nvrtc.createProgram(source.code, f"{source.name}.cu", [], [])
    try:
        for expression in source.name_expressions:
            nvrtc.addNameExpression(program, expression)
        try:
            nvrtc.compileProgram(program, [f"--gpu-architecture={architecture}",
                                           *cuda.COMPILE_OPTIONS])
        except nvrtc.NVRTCError:
            pytest.fail(f"{source.name} does not compile for {architecture}:\n"
                        f"{nvrtc.getProgramLog(program)}")
        log = nvrtc.getProgramLog(program).strip()
        assert not log, f"{source.name} compiles with warnings for {architecture}:\n{log}"
        for expression in source.name_expressions:
            assert nvrtc.getLoweredName(program, expression), expression
        assert nvrtc.getPTX(program)
    finally:
        nvrtc.destroyProgram(program)


def test_a_broken_source_is_reported_with_the_compiler_log():
    nvrtc = _nvrtc()
    program = nvrtc.createProgram(cuda.COMMON_CODE + "__global__ void broken() { undefined_name; }",
                                  "broken.cu", [], [])
    try:
        with pytest.raises(nvrtc.NVRTCError):
            nvrtc.compileProgram(program, ["--gpu-architecture=compute_80", *cuda.COMPILE_OPTIONS])
        assert "undefined_name" in nvrtc.getProgramLog(program)
    finally:
        nvrtc.destroyProgram(program)
