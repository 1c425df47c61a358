"""cuBLAS's ctypes glue (runtime/gpu/cublas.py) where there is no GPU: finding the library the
way CUDA users' installs have it, loading it on first use only, errors by cuBLAS status name,
and the real-library code path end to end against stand-ins (fake_libcuda.c's host "device"
memory, fake_libcublas.c's column-major loops): `tf.function(backend="gpu")` matmuls on the
"cuda" device kind run through the same ctypes calls as on a GPU and match NumPy. Each
end-to-end case runs in a new process (the libraries load once per process)."""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from autograph_jit import errors
from autograph_jit.runtime.gpu import cublas

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler to build the stand-ins")


def test_mode_reads_the_switch_and_refuses_unknown_values(monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_JIT_GPU_MATMUL", raising=False)
    assert cublas.mode() == "auto"
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", " Kernel ")
    assert cublas.mode() == "kernel"
    monkeypatch.setenv("AUTOGRAPH_JIT_GPU_MATMUL", "fast")
    with pytest.raises(errors.InvalidArgumentError, match="auto"):
        cublas.mode()


def test_candidates_follow_the_override_then_wheels_next_to_torch_and_cuda_home(
        monkeypatch, tmp_path):
    wheel = tmp_path / "site" / "nvidia" / "cublas" / "lib"
    wheel.mkdir(parents=True)
    (wheel / "libcublas.so.12").write_bytes(b"")
    cu13 = tmp_path / "site" / "nvidia" / "cu13" / "lib"
    cu13.mkdir(parents=True)
    (cu13 / "libcublas.so.13").write_bytes(b"")
    home = tmp_path / "cuda" / "lib64"
    home.mkdir(parents=True)
    (home / "libcublas.so").write_bytes(b"")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site")] + sys.path)
    monkeypatch.setenv("CUDA_HOME", str(tmp_path / "cuda"))
    monkeypatch.delenv("AUTOGRAPH_JIT_LIBCUBLAS", raising=False)
    monkeypatch.setattr(cublas.ctypes.util, "find_library", lambda name: "libcublas.so.12")
    found = cublas.candidates()
    assert found[0] == "libcublas.so.12"
    assert found.index(str(wheel / "libcublas.so.12")) < found.index(str(home / "libcublas.so"))
    assert str(cu13 / "libcublas.so.13") in found
    monkeypatch.setenv("AUTOGRAPH_JIT_LIBCUBLAS", "/opt/x/libcublas.so.12")
    assert cublas.candidates() == ["/opt/x/libcublas.so.12"]


def test_a_library_that_does_not_load_is_an_unavailable_error_naming_the_switch(
        monkeypatch, tmp_path):
    bad = tmp_path / "libcublas.so.12"
    bad.write_bytes(b"not an ELF file")
    monkeypatch.setenv("AUTOGRAPH_JIT_LIBCUBLAS", str(bad))
    monkeypatch.setattr(cublas, "_lib", None)
    with pytest.raises(errors.UnavailableError) as e:
        cublas.load()
    assert str(bad) in str(e.value) and "AUTOGRAPH_JIT_GPU_MATMUL=kernel" in str(e.value)
    assert not cublas.loaded()


def test_status_codes_become_tf_errors_by_cublas_name():
    e = cublas.error_for(7, "cublasSgemm_v2", extra="m=1 n=2 k=3")
    assert isinstance(e, errors.InvalidArgumentError)
    assert "cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE: m=1 n=2 k=3" in str(e)
    assert isinstance(cublas.error_for(3, "x"), errors.ResourceExhaustedError)
    assert isinstance(cublas.error_for(1, "cublasCreate_v2"), errors.UnavailableError)
    assert isinstance(cublas.error_for(15, "x"), errors.UnimplementedError)
    assert "CUBLAS_STATUS_99" in str(cublas.error_for(99, "x"))


def test_colmajor_mapping_swaps_the_operands_and_dims_once():
    a = cublas.Operand(0x1000, 4, trans=False, batch_stride=8)
    b = cublas.Operand(0x2000, 2, trans=True, batch_stride=0)
    c = cublas.Operand(0x3000, 3, batch_stride=6)
    g = cublas.colmajor_args(2, 3, 4, a, b, c)
    assert (g["transa"], g["transb"]) == (cublas.OP_T, cublas.OP_N)
    assert (g["m"], g["n"], g["k"]) == (3, 2, 4)
    assert (g["A"], g["lda"], g["strideA"]) == (0x2000, 2, 0)
    assert (g["B"], g["ldb"], g["strideB"]) == (0x1000, 4, 8)
    assert (g["C"], g["ldc"], g["strideC"]) == (0x3000, 3, 6)


SCRIPT = textwrap.dedent("""
    import ctypes, json, os, sys
    import numpy as np
    import autograph_jit as tf
    from autograph_jit.runtime.gpu import cublas, get_device
    out = {"loaded_at_import": cublas.loaded(),
           "mapped_at_import": os.environ["AUTOGRAPH_JIT_LIBCUBLAS"] in open("/proc/self/maps").read()}
    fake = ctypes.CDLL(os.environ["AUTOGRAPH_JIT_LIBCUBLAS"])
    log = (ctypes.c_int64 * 20).in_dll(fake, "gemm_log")
    rng = np.random.default_rng(0)
    def check(name, f, *arrays, want):
        got = f(*[tf.constant(a) for a in arrays]).numpy()
        out[name] = [float(np.abs(got - want).max()), got.dtype.name, list(log)[:12]]
        return f
    a = rng.standard_normal((5, 7)).astype(np.float32)
    b = rng.standard_normal((7, 3)).astype(np.float32)
    f = check("plain", tf.function(lambda x, y: tf.matmul(x, y), backend="gpu"), a, b, want=a @ b)
    out["explain"] = [l.strip() for l in f.get_concrete_function(tf.constant(a), tf.constant(b))
                      .explain().splitlines() if "gpu matmul" in l]
    out["stream"] = ctypes.c_void_p.in_dll(fake, "stream_set").value
    out["modes"] = [ctypes.c_int.in_dll(fake, "pointer_mode").value,
                    ctypes.c_int.in_dll(fake, "math_mode").value]
    check("trans", tf.function(lambda x, y: tf.matmul(x, y, transpose_a=True, transpose_b=True),
                               backend="gpu"), a.T.copy(), b.T.copy(), want=a @ b)
    check("view", tf.function(lambda x, y: tf.matmul(tf.transpose(x), y), backend="gpu"),
          a.T.copy(), b, want=a @ b)
    a64 = rng.standard_normal((2, 3, 4, 5))
    b64 = rng.standard_normal((5, 6))
    check("batched64", tf.function(lambda x, y: tf.matmul(x, y), backend="gpu"), a64, b64,
          want=a64 @ b64)
    out["library"] = cublas.library_path()
    print("RESULT " + json.dumps(out))
""")


def _build(tmp_path, name):
    lib = tmp_path / f"lib{name}.so"
    subprocess.run([CC, "-shared", "-fPIC", "-O1", "-o", str(lib),
                    os.path.join(HERE, f"fake_{name}.c")], check=True)
    return str(lib)


def _run(tmp_path, script, **env_extra):
    env = dict(os.environ, AUTOGRAPH_JIT_LIBCUDA=_build(tmp_path, "libcuda"),
               AUTOGRAPH_JIT_LIBCUBLAS=_build(tmp_path, "libcublas"), PYTHONPATH=ROOT,
               AUTOGRAPH_JIT_GPU="cuda", AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"),
               **env_extra)
    env.pop("AUTOGRAPH_JIT_GPU_MATMUL", None)
    path = tmp_path / "case.py"      # (a file: AutoGraph reads the lambdas' source)
    path.write_text(script)
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@needs_cc
def test_real_library_path_end_to_end_against_stand_ins(tmp_path):
    done = _run(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stdout + done.stderr
    got = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert got["loaded_at_import"] is False and got["mapped_at_import"] is False
    assert got["library"].endswith("liblibcublas.so")
    assert got["stream"] is None and got["modes"] == [0, 0]    # legacy stream, host, no TF32
    for case in ("plain", "trans", "view", "batched64"):
        assert got[case][0] < 1e-5, (case, got[case])
    # plain: C^T = B^T A^T, (m, n, k) = (3, 5, 7), ld = row lengths
    assert got["plain"][2][:8] == [0, 0, 3, 5, 7, 3, 7, 3]
    assert got["trans"][2][:2] == [1, 1]
    assert got["view"][2][:2] == [0, 1] and got["view"][2][6] == 5   # the transpose view: op T
    assert got["batched64"][1] == "float64"
    assert got["batched64"][2][8:12] == [0, 20, 24, 6]    # B broadcast: stride 0; C 4x6
    assert any("cuBLAS cublasSgemm_v2" in line and "liblibcublas.so" in line
               for line in got["explain"]), got["explain"]


FORCED = textwrap.dedent("""
    import os, numpy as np
    import autograph_jit as tf
    from autograph_jit import errors
    os.environ["AUTOGRAPH_JIT_GPU_MATMUL"] = sys_mode = os.environ["MODE"]
    f = tf.function(lambda x, y: tf.matmul(x, y), backend="gpu")
    x = tf.constant(np.ones((4, 4), np.float32))
    try:
        f(x, x)
        print("RESULT ran", [l.strip() for l in f.get_concrete_function(x, x).explain()
                             .splitlines() if "gpu matmul" in l])
    except errors.UnavailableError as e:
        print("RESULT unavailable", e)
""")


@needs_cc
@pytest.mark.parametrize("mode", ["auto", "cublas"])
def test_cublas_that_cannot_start_falls_back_under_auto_and_raises_when_forced(tmp_path, mode):
    done = _run(tmp_path, FORCED, MODE=mode, FAKE_CUBLAS_NO_INIT="1")
    assert done.returncode == 0, done.stdout + done.stderr
    result = done.stdout.split("RESULT ", 1)[1]
    if mode == "auto":
        assert result.startswith("ran") and "generated kernel" in result
        assert "CUBLAS_STATUS_NOT_INITIALIZED" in result
    else:
        assert result.startswith("unavailable") and "AUTOGRAPH_JIT_GPU_MATMUL=cublas" in result
        assert "CUBLAS_STATUS_NOT_INITIALIZED" in result


def test_importing_the_package_loads_no_cublas():
    code = ("import autograph_jit, autograph_jit.runtime.gpu.cublas as c, "
            "autograph_jit.codegen.gpu.k_matmul; import sys; "
            "print(c.loaded(), 'libcublas' in open('/proc/self/maps').read())")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr


del ctypes  # (imported for the stand-ins' types in SCRIPT's namespace only)
