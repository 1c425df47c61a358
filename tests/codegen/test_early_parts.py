"""Compiling ahead of need (codegen/llvm/early_parts.py, runtime/early_objects.py): the kernel
parts a lowering starts compiling while it still lowers are exactly the parts the finished
module is cut into, and its compile takes their objects instead of compiling them again; the
module text printed from the early parts' texts is llvmlite's; early jobs leave a compile thread
to the lowering thread, shorten the switch interval only while they run, and a job still queued
is compiled by the compile that asks for it; the runtime glue a lowering declares starts
compiling at once; llvmlite's quick calls keep the GIL and make the same objects."""
import ctypes
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import llvmlite.binding.ffi as llvm_ffi

import autograph_jit as tf
from autograph_jit.codegen.llvm import early_parts, module_split
from autograph_jit.runtime import cpu_engine, early_objects, llvm_opt, llvm_pool, llvm_worker

from .._train_step import train_step

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def in_process(monkeypatch):
    """Every module compiles in this process (early jobs are for in-process compiles only), on
    two compile threads."""
    monkeypatch.setenv("AUTOGRAPH_JIT_LLVM_WORKER", "0")
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "2")
    if not llvm_pool.concurrent_jobs():
        pytest.skip("this llvmlite runs LLVM calls one at a time")


def _dense_step(hidden, classes, features=64, conv=False, lstm=False):
    """A Keras training step (dense, convolutional or recurrent) as a tf.function, its data."""
    rng = np.random.default_rng(0)
    if lstm:   # (a graph loop writing a TensorArray: the entry calls a helper of its own)
        layers = [tf.keras.Input((12, 6)), tf.keras.layers.LSTM(hidden),
                  tf.keras.layers.Dense(classes)]
        x = rng.standard_normal((32, 12, 6)).astype(np.float32)
    elif conv:
        layers = [tf.keras.Input((12, 12, 1)), tf.keras.layers.Conv2D(4, 3, activation="relu"),
                  tf.keras.layers.MaxPooling2D(), tf.keras.layers.Flatten(),
                  tf.keras.layers.Dense(classes)]
        x = rng.standard_normal((16, 12, 12, 1)).astype(np.float32)
    else:
        layers = [tf.keras.Input((features,)), tf.keras.layers.Dense(hidden, "relu"),
                  tf.keras.layers.Dense(classes)]
        x = rng.standard_normal((32, features)).astype(np.float32)
    step = train_step(tf.keras.Sequential(layers), tf.keras.optimizers.Adam(1e-3),
                      tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return step, x, rng.integers(0, classes, len(x))


@pytest.mark.parametrize("shape", [dict(hidden=128, classes=10, features=784),
                                   dict(hidden=32, classes=4, conv=True),
                                   dict(hidden=16, classes=3, lstm=True)],
                         ids=["mlp", "cnn", "lstm"])
def test_parts_started_while_lowering_are_the_parts_the_module_is_cut_into(
        in_process, monkeypatch, shape):
    started, taken = [], []
    real_start, real_take = cpu_engine.compile_early, early_objects.take
    monkeypatch.setattr(cpu_engine, "compile_early",
                        lambda text, **kw: started.append(text) or real_start(text, **kw))
    monkeypatch.setattr(early_objects, "take",
                        lambda key: taken.append(key[1]) or real_take(key))
    step, x, y = _dense_step(**shape)
    step(x, y)
    exe = step.get_concrete_function(x, y).native_executables[-1]
    parts = module_split.split_module(exe.ir_text)
    assert parts is not None and started
    assert all(text in parts[1:] for text in started)   # byte for byte: no wasted compile
    assert set(started) <= set(taken)                    # the module's compile asked for each
    assert exe.compiled.parts == len(parts)


def test_a_step_compiled_from_early_parts_trains_as_one_compiled_without_them(
        in_process, monkeypatch):
    def losses():
        tf.keras.utils.set_random_seed(3)
        step, x, y = _dense_step(hidden=128, classes=10, features=784)
        return [float(step(x, y)) for _ in range(4)]
    with_early = losses()
    monkeypatch.setattr(llvm_worker, "early_possible", lambda: False)
    assert losses() == with_early


def test_the_module_text_printed_from_early_parts_is_llvmlites(in_process, monkeypatch):
    texts = {}
    real = early_parts.EarlyParts.module_text

    def both(self):
        texts["early"], texts["llvmlite"] = real(self), str(self.module)
        return texts["early"]
    monkeypatch.setattr(early_parts.EarlyParts, "module_text", both)
    step, x, y = _dense_step(hidden=64, classes=10, features=300)
    step(x, y)
    assert texts and texts["early"] == texts["llvmlite"]


def _blocking_jobs(n):
    """n jobs that each wait for a release; (jobs, running now, release)."""
    running, release, lock = [0, 0], threading.Event(), threading.Lock()

    def job():
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return sys.getswitchinterval()
    return [job] * n, running, release


def test_early_jobs_leave_one_compile_thread_to_the_lowering_thread(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "3")
    if not llvm_pool.concurrent_jobs():
        pytest.skip("this llvmlite runs LLVM calls one at a time")
    jobs, running, release = _blocking_jobs(4)
    keys = [("test-limit", k) for k in range(4)]
    for key, job in zip(keys, jobs):
        assert early_objects.start(key, job)
    threading.Event().wait(0.2)
    assert running[0] == 2                      # 3 threads: 2 for early jobs
    assert early_objects.take(keys[3]) is None  # still queued: its compile runs it itself
    first = [early_objects.take(key) for key in keys[:2]]
    release.set()
    assert all(f.result(10) == early_objects.SWITCH_INTERVAL for f in first)
    threading.Event().wait(0.2)                 # the third starts when a thread is free
    assert early_objects.take(keys[2]).result(10) == early_objects.SWITCH_INTERVAL
    assert running[1] == 2


def test_the_switch_interval_is_set_back_when_the_early_jobs_end(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "2")
    if not llvm_pool.concurrent_jobs():
        pytest.skip("this llvmlite runs LLVM calls one at a time")
    before = sys.getswitchinterval()
    jobs, _, release = _blocking_jobs(1)
    early_objects.start(("test-interval", 0), jobs[0])
    assert sys.getswitchinterval() == early_objects.SWITCH_INTERVAL
    release.set()
    assert early_objects.take(("test-interval", 0)).result(10) == early_objects.SWITCH_INTERVAL
    for _ in range(100):
        if sys.getswitchinterval() == before:
            break
        threading.Event().wait(0.01)
    assert sys.getswitchinterval() == before
    # someone else's setting made while the jobs ran is theirs to keep
    jobs, _, release = _blocking_jobs(1)
    early_objects.start(("test-interval", 1), jobs[0])
    try:
        sys.setswitchinterval(0.002)
        release.set()
        early_objects.take(("test-interval", 1)).result(10)
        threading.Event().wait(0.05)
        assert sys.getswitchinterval() == 0.002
    finally:
        sys.setswitchinterval(before)


def test_a_compile_takes_the_object_started_early_instead_of_making_it_again(
        in_process, monkeypatch):
    info = cpu_engine.host_info()
    text = ('define float @scale(float %x) {\n  %y = fmul float %x, 3.0\n  ret float %y\n}\n'
            f'; unique: {id(monkeypatch)}\n')
    calls = []
    real = llvm_worker._compile_on_thread
    monkeypatch.setattr(llvm_worker, "_compile_on_thread",
                        lambda *a: calls.append(a[0]) or real(*a))
    assert llvm_worker.start_early(text, 3, info["cpu"], info["features"])
    job = early_objects._jobs[(3, text)]
    for _ in range(500):
        if job[1] is not None and job[1].done():
            break
        threading.Event().wait(0.01)
    assert job[1].done()                    # made by the early job before anyone asked
    (obj, _, _), = llvm_worker.compile_objects([text], 3, info["cpu"], info["features"])[0]
    assert calls == [text]                  # and taken here: not made again
    assert (3, text) not in early_objects._jobs
    assert obj == llvm_opt.compile_object(text, 3, info["cpu"], info["features"])[0]


def test_quick_llvm_calls_keep_the_gil_and_objects_stay_the_same():
    info = cpu_engine.host_info()
    text = 'define i64 @twice(i64 %x) {\n  %y = shl i64 %x, 1\n  ret i64 %y\n}\n'
    before = llvm_worker._compile_on_thread(text, 3, info["cpu"], info["features"])[0]
    llvm_pool._keep_gil_for_quick_calls()
    keeps = lambda name: bool(getattr(llvm_ffi.lib, name)._cfn._flags_
                              & ctypes._FUNCFLAG_PYTHONAPI)
    assert keeps("LLVMPY_DisposeString") and keeps("LLVMPY_GetBufferSize")
    assert not keeps("LLVMPY_ParseAssembly")   # the calls that take time still let it go
    assert llvm_worker._compile_on_thread(text, 3, info["cpu"], info["features"])[0] == before


def test_a_lowering_that_declares_blas_and_the_parallel_for_starts_their_glue_at_once(
        tmp_path):
    """In a fresh process (the glue installs once per process): the link takes the glue objects
    the lowering started, and the function computes what NumPy does."""
    script = r'''
import json, sys
import numpy as np
import autograph_jit as tf
from autograph_jit.runtime import early_objects
taken = []
real = early_objects.take
def take(key):
    future = real(key)
    taken.append(future is not None and key[0] < 0)   # (GLUE and PLUMBING levels are < 0)
    return future
early_objects.take = take
x = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
f = tf.function(lambda a: tf.nn.relu(tf.matmul(a, a)) * 2.0)
ok = bool(np.allclose(f(x).numpy(), np.maximum(x @ x, 0) * 2.0, rtol=1e-4, atol=1e-3))
print(json.dumps({"glue_taken": sum(taken), "ok": ok}))
'''
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path), AUTOGRAPH_JIT_LLVM_WORKER="0",
               AUTOGRAPH_JIT_COMPILE_THREADS="2", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["glue_taken"] >= 1


def test_an_early_job_dropped_before_it_ran_gives_its_thread_back(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", "2")
    if not llvm_pool.concurrent_jobs():
        pytest.skip("this llvmlite runs LLVM calls one at a time")
    before = sys.getswitchinterval()
    busy = threading.Event()
    holders = [llvm_pool.submit(busy.wait, 10) for _ in range(2)]   # both threads taken
    early_objects.start(("test-drop", "first"), lambda: "first")     # submitted, waiting
    for k in range(early_objects.KEPT):                              # pushes "first" out
        early_objects.start(("test-drop", k), lambda: "later")
    assert early_objects.take(("test-drop", "first")) is None
    busy.set()
    for h in holders:
        h.result(10)
    for k in range(early_objects.KEPT):
        early_objects.take(("test-drop", k))
    done = threading.Event()
    early_objects.start(("test-drop", "after"), done.set)            # a thread is free for it
    assert done.wait(10)
    early_objects.take(("test-drop", "after")).result(10)
    for _ in range(100):
        if sys.getswitchinterval() == before:
            break
        threading.Event().wait(0.01)
    assert sys.getswitchinterval() == before

