"""A new process's first `fit` (issue 14, "fit call to first step"): what a warm disk cache lets
it skip, and that skipping never changes a result or loads a stale entry.

- a warm process loads the step from the caches without importing the lowerer, the kernel
  emitters or the vector-math generator, and trains bit for bit as the cold one;
- SciPy's BLAS is loaded only for a module that calls a serial product (runtime/blas.py);
- the source stamp behind every key sees an edit made between two processes;
- the native warm call's IR text is kept under its sources' stamp (runtime/resident.py);
- graph cache entries are written beside the first step, are on disk when fit returns, and a
  process killed mid-write leaves no entry (keras/models/graph_cache.py).
Every process runs with its own cache directory (tmp_path)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from autograph_jit.keras.models import graph_cache
from autograph_jit.runtime import cache_files, resident

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_FIT = """
import json, os, sys
import numpy as np
import autograph_jit as tf
from autograph_jit.keras.models import graph_cache
r = np.random.default_rng(0)
x = r.normal(size=(256, 96)).astype(np.float32)
y = r.integers(0, 10, 256).astype(np.int32)
tf.keras.utils.set_random_seed(1)
model = tf.keras.Sequential([tf.keras.Input(shape=(96,)),
                             tf.keras.layers.Dense(80, activation="relu"),
                             tf.keras.layers.Dense(10)])
model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
loss = model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False).history["loss"][0]
print(json.dumps({"loss": loss, "stats": graph_cache.STATS,
                  "weights": [w.tolist() for w in model.get_weights()],
                  "modules": sorted(m for m in sys.modules
                                    if m.startswith(("autograph_jit.codegen", "scipy")))}))
"""


def _run(code, cache_dir, *args, expect_rc=0):
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(cache_dir), AUTOGRAPH_JIT_CACHE="1",
               PYTHONPATH=ROOT)
    env.pop("AUTOGRAPH_JIT_GRAPH_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == expect_rc, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]) if expect_rc == 0 else None


def _entries(cache_dir, suffix):
    return [os.path.join(r, f) for r, _, fs in os.walk(cache_dir) for f in fs
            if f.endswith(suffix)]


def test_a_warm_process_loads_the_step_without_the_lowerer_and_trains_bit_for_bit(tmp_path):
    cold = _run(_FIT, tmp_path)
    assert cold["stats"]["stores"] >= 1 and cold["stats"]["hits"] == 0, cold["stats"]
    assert "autograph_jit.codegen.llvm.lower" in cold["modules"]
    warm = _run(_FIT, tmp_path)
    assert warm["stats"]["hits"] >= 1 and warm["stats"]["misses"] == 0, warm["stats"]
    assert warm["loss"] == cold["loss"] and warm["weights"] == cold["weights"]
    for module in ("lower", "dispatch", "k_conv", "k_array", "vecmath"):
        assert f"autograph_jit.codegen.llvm.{module}" not in warm["modules"], module


_MATMUL = """
import json, sys
import numpy as np
import autograph_jit as tf
from autograph_jit.runtime import blas
m, k, n = (int(v) for v in sys.argv[1:4])
a = np.linspace(-1, 1, m * k, dtype=np.float32).reshape(m, k)
b = np.linspace(1, -1, k * n, dtype=np.float32).reshape(k, n)
f = tf.function(lambda p, q: tf.nn.relu(p @ q))
got = f(tf.constant(a), tf.constant(b)).numpy()
print(json.dumps({"close": bool(np.allclose(got, np.maximum(a @ b, 0), rtol=1e-4, atol=1e-4)),
                  "scipy": sorted(m for m in sys.modules if m.startswith("scipy")),
                  "scipy_blas": bool(blas._addresses)}))
"""


def test_scipys_blas_loads_only_for_a_module_with_a_serial_product(tmp_path):
    # a square product runs on NumPy's BLAS: neither the lowering nor a lowering-cache hit
    # (the second process) loads SciPy or its BLAS
    for _ in range(2):
        out = _run(_MATMUL, tmp_path / "square", "128", "128", "128")
        assert out == {"close": True, "scipy": [], "scipy_blas": False}, out
    # a thin product (32 rows) runs on the serial wrappers over SciPy's BLAS, cold and warm:
    # the library is loaded, and SciPy's Python package still is not
    for _ in range(2):
        out = _run(_MATMUL, tmp_path / "thin", "32", "784", "128")
        assert out["close"] and out["scipy_blas"], out
        assert "scipy.linalg" not in out["scipy"], out


def test_install_for_installs_the_serial_wrappers_only_when_named():
    from autograph_jit.runtime import blas
    table = blas.install_for(["ag_matmul_f32", "ag_parallel_for"])
    assert set(table) == {"ag_matmul_f32", "ag_matmul_f64", "ag_matvec_f32", "ag_matvec_f64"}
    serial = blas.install_for(["ag_matmul_serial_f64"])
    assert {"ag_matmul_serial_f32", "ag_matmul_serial_f64"} <= set(serial)
    assert all(serial.values())


_STAMP = """
import sys
from autograph_jit.runtime import cache_files
print('"' + cache_files.source_stamp([sys.argv[1]], once_per_process=True) + '"')
"""


def test_an_edit_between_two_processes_changes_the_once_per_process_stamp(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "sub" / "kernel.py").write_text("X = 1\n")
    first = _run(_STAMP, tmp_path / "c", str(pkg))
    assert _run(_STAMP, tmp_path / "c", str(pkg)) == first
    (pkg / "sub" / "kernel.py").write_text("X = 22\n")  # (size and mtime change)
    assert _run(_STAMP, tmp_path / "c", str(pkg)) != first


def test_once_per_process_stamps_share_each_folders_walk(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "codegen").mkdir(parents=True)
    (pkg / "a.py").write_text("")
    (pkg / "codegen" / "b.py").write_text("")
    walked = []
    scandir = os.scandir
    monkeypatch.setattr(cache_files.os, "scandir", lambda p: walked.append(p) or scandir(p))
    monkeypatch.setattr(cache_files, "_trees", {})
    whole = cache_files.source_stamp([str(pkg)], once_per_process=True)
    part = cache_files.source_stamp([str(pkg / "codegen")], once_per_process=True)
    assert len(walked) == 2  # pkg and pkg/codegen, once each
    assert part == cache_files.source_stamp([str(pkg / "codegen")])  # (the same digest)
    assert whole == cache_files.source_stamp([str(pkg)])
    (pkg / "a.py").write_text("edited")  # seen by a plain stamp at once, by the memo next process
    assert cache_files.source_stamp([str(pkg)]) != whole
    assert cache_files.source_stamp([str(pkg)], once_per_process=True) == whole


def test_a_stamp_begun_in_the_background_is_waited_for_not_walked_again(tmp_path, monkeypatch):
    import threading
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("")
    (pkg / "sub" / "b.py").write_text("")
    walked = []
    gate = threading.Event()
    scandir = os.scandir

    def slow_scandir(path):
        walked.append(path)
        assert gate.wait(30)  # (the background walk is still running when the caller asks)
        return scandir(path)
    monkeypatch.setattr(cache_files.os, "scandir", slow_scandir)
    monkeypatch.setattr(cache_files, "_trees", {})
    threading.Thread(target=cache_files.source_stamp, args=([str(pkg)],),
                     kwargs={"once_per_process": True}, daemon=True).start()
    threading.Timer(0.2, gate.set).start()
    got = cache_files.source_stamp([str(pkg)], once_per_process=True)
    assert sorted(walked) == sorted([str(pkg), str(pkg / "sub")])  # once each, by one thread
    assert got == cache_files.source_stamp([str(pkg)])


def test_resident_ir_text_is_read_back_under_the_same_stamp_only(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    made = []

    def make(text):
        return lambda: made.append(text) or text
    assert resident._text("probe", make("; one\n"), "a" * 64) == "; one\n"
    assert resident._text("probe", make("; other\n"), "a" * 64) == "; one\n"  # from disk
    assert resident._text("probe", make("; two\n"), "b" * 64) == "; two\n"    # new stamp
    assert made == ["; one\n", "; two\n"]
    for path in _entries(tmp_path, ".ir"):  # a damaged entry is made again, never read
        with open(path, "r+b") as fh:
            fh.seek(-3, os.SEEK_END)
            fh.write(b"xyz")
    assert resident._text("probe", make("; three\n"), "a" * 64) == "; three\n"


def test_a_graph_cache_entry_is_written_after_the_first_step_and_on_disk_when_fit_returns(
        tmp_path, monkeypatch):
    import threading

    import autograph_jit as tf
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    release = threading.Event()
    write = graph_cache._write

    def slow_write(path, key, data):
        assert release.wait(60)
        write(path, key, data)
    monkeypatch.setattr(graph_cache, "_write", slow_write)
    seen = []

    class FirstStep(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if not seen:
                seen.append(_entries(tmp_path, ".graph"))  # the writer is still waiting
                release.set()
    tf.keras.backend.clear_session()
    model = tf.keras.Sequential([tf.keras.Input(shape=(6,)), tf.keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(48, dtype=np.float32).reshape(8, 6) / 48
    model.fit(x, x[:, :3], batch_size=4, epochs=1, verbose=0, shuffle=False,
              callbacks=[FirstStep()])
    assert seen == [[]]
    entries = _entries(tmp_path, ".graph")
    assert len(entries) >= 1
    for path in entries:
        assert graph_cache._read(path, os.path.basename(path)[:-len(".graph")]) is not None


_CRASH = """
import os, sys
import numpy as np
import autograph_jit as tf
from autograph_jit.runtime import cpu_engine
if sys.argv[1] == "crash":
    def crash(src, dst):  # the process dies between writing the temporary file and renaming it
        if dst.endswith(".graph"):
            os._exit(3)
        return os.rename(src, dst)
    cpu_engine.os.replace = crash
tf.keras.utils.set_random_seed(1)
model = tf.keras.Sequential([tf.keras.Input(shape=(6,)), tf.keras.layers.Dense(3)])
model.compile(optimizer="sgd", loss="mse")
x = np.arange(48, dtype=np.float32).reshape(8, 6) / 48
h = model.fit(x, x[:, :3], batch_size=4, epochs=1, verbose=0, shuffle=False)
from autograph_jit.keras.models import graph_cache
print('{"loss": %r, "hits": %d}' % (h.history["loss"][0], graph_cache.STATS["hits"]))
"""


def test_a_process_killed_mid_write_leaves_no_graph_cache_entry(tmp_path):
    _run(_CRASH, tmp_path, "crash", expect_rc=3)
    assert _entries(tmp_path, ".graph") == []
    first = _run(_CRASH, tmp_path, "ok")   # traces again (nothing half-written to load)
    assert first["hits"] == 0 and _entries(tmp_path, ".graph")
    second = _run(_CRASH, tmp_path, "ok")
    assert second == {"loss": first["loss"], "hits": second["hits"]} and second["hits"] >= 1


def test_the_cpu_engine_finds_libm_and_libgcc_without_find_library(tmp_path):
    code = ("import ctypes.util, json\n"
            "def refuse(name):\n"
            "    raise AssertionError('find_library ' + name)\n"
            "ctypes.util.find_library = refuse\n"
            "from autograph_jit.runtime import cpu_engine\n"
            "print(json.dumps(sorted(cpu_engine.host_info())))\n")
    assert _run(code, tmp_path) == ["cpu", "data_layout", "features", "triple"]


_GC_CHILD = r"""
import gc, json, weakref
import autograph_jit
frozen = gc.get_freeze_count()


class Node:
    pass


a, b = Node(), Node()
a.other, b.other = b, a             # a cycle made after the import
probe = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps({"frozen": frozen, "cycle_after_import_collected": probe() is None}))
"""


@pytest.mark.parametrize("setting, frozen", [(None, True), ("0", False)])
def test_import_freezes_its_objects_out_of_the_collector_unless_switched_off(
        tmp_path, monkeypatch, setting, frozen):
    monkeypatch.delenv("AUTOGRAPH_JIT_GC_FREEZE", raising=False)
    if setting is not None:
        monkeypatch.setenv("AUTOGRAPH_JIT_GC_FREEZE", setting)
    out = _run(_GC_CHILD, tmp_path)
    assert (out["frozen"] > 10000) is frozen, out   # (the import's modules, classes, tables)
    assert out["cycle_after_import_collected"], out  # the collector still works for new objects
