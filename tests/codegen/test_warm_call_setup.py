"""The CPU backend's one-time setup stays off a first call's path (issue 14, "fit call to first
step"):

- the native warm call's setup (~110 ms of CPU when nothing is cached) is made by the prewarm
  thread only once a first call asks for it, so that call returns at once; the second call
  waits for it and switches to the native warm call, the executable's scratch lock becoming the
  native one (`ScratchLock.upgrade`), with the same results;
- a lowering only declares the runtime glue it calls (BLAS wrappers, the parallel-for); it is
  compiled, or loaded, when the module is linked (`lowering_cache.link_symbols`);
- a process that ends before compiling anything does not make the native setup at exit.
Processes that need the setup unmade run as subprocesses with their own cache directory."""
import json
import os
import subprocess
import sys

from autograph_jit.codegen.llvm import native_call

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(code, cache_dir):
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(cache_dir), AUTOGRAPH_JIT_CACHE="1",
               PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


_SWITCH = """
import json, threading, time
import numpy as np
from autograph_jit.codegen.llvm import native_call
release = threading.Event()
made_on = []
make = native_call._Setup.__init__
def held(self):          # the background thread makes the setup only when the test says so
    made_on.append(threading.current_thread().name)
    release.wait()
    make(self)
native_call._Setup.__init__ = held
import autograph_jit as tf
v = tf.Variable(0.0)
@tf.function
def step(x):
    v.assign_add(tf.reduce_sum(x))
    return v * 2.0
x = tf.constant(np.array([1.0, 2.0], np.float32))
out = {"first": float(step(x))}
exe = step.get_concrete_function(x).native_executables[0]
out["pending"] = native_call.setup_pending()
out["native_before"] = type(step._native).__name__
out["cached_before"] = len(step._fast_cache)
out["word_before"] = exe._lock.word is not None
threading.Timer(0.3, release.set).start()
start = time.perf_counter()
out["second"] = float(step(x))       # waits for the setup, then makes the native warm call
out["waited"] = time.perf_counter() - start
out["after"] = [float(step(x)) for _ in range(3)]
out["native_after"] = type(step._native).__name__
out["word_after"] = exe._lock.word is not None
out["made_on"] = made_on
out["v"] = float(v.numpy())
print(json.dumps(out))
"""


def test_a_first_call_does_not_wait_for_the_native_setup_and_a_second_call_does(tmp_path):
    out = _run(_SWITCH, tmp_path)
    # after the first call: the setup is pending (the prewarm thread starts it only now),
    # nothing is cached, the executable's scratch lock is a Python lock
    assert out["pending"] and out["first"] == 6.0, out
    assert out["native_before"] != "builtin_function_or_method" and out["cached_before"] == 0
    assert not out["word_before"]
    # the second call waited for the prewarm thread's setup, then made the native warm call
    # on the executable's upgraded lock; every result is right across the switch
    assert out["made_on"] == ["autograph_jit-prewarm"] and out["waited"] >= 0.25, out
    assert out["native_after"] == "builtin_function_or_method" and out["word_after"], out
    assert out["second"] == 12.0 and out["after"] == [18.0, 24.0, 30.0], out
    assert out["v"] == 15.0, out


_EXIT = """
import json
from autograph_jit.codegen.llvm import native_call
made = []
make = native_call._Setup.__init__
native_call._Setup.__init__ = lambda self: (made.append(1), make(self))[1]
import atexit
import autograph_jit as tf
f = tf.function(lambda x: x + 1.0)   # starts the prewarm thread; never called
atexit.register(lambda: print(json.dumps({"made": len(made)})))   # (runs after the backend's)
"""


def test_a_process_that_compiles_nothing_does_not_make_the_native_setup_at_exit(tmp_path):
    assert _run(_EXIT, tmp_path) == {"made": 0}


_LINK = """
import json, traceback
import numpy as np
from autograph_jit.runtime import resident
installs = []
install = resident.install
def spy(key, *args, **kwargs):
    stack = [f.name for f in traceback.extract_stack()]
    installs.append([key, "lower_function" in stack, "link_symbols" in stack])
    return install(key, *args, **kwargs)
resident.install = spy
import autograph_jit as tf
from autograph_jit import codegen
codegen.prewarm = lambda blas=False: None      # (no prewarm thread: this thread installs all)
a = np.linspace(-1, 1, 64 * 256, dtype=np.float32).reshape(64, 256)
f = tf.function(lambda p, q: tf.exp(p @ q) * 2.0)
got = f(tf.constant(a), tf.constant(a.T)).numpy()
print(json.dumps({"installs": installs,
                  "close": bool(np.allclose(got, np.exp(a @ a.T) * 2, rtol=1e-4))}))
"""


def test_a_lowering_declares_the_runtime_glue_and_the_link_installs_it(tmp_path):
    out = _run(_LINK, tmp_path)
    assert out["close"], out
    glue = [row for row in out["installs"] if row[0].startswith(("blas", "ag_parallel_for"))]
    assert any(row[0].startswith("blas wrappers") for row in glue), out
    assert all(not in_lowering and in_link for _, in_lowering, in_link in glue), out


def test_a_scratch_lock_is_upgraded_to_the_native_word_only_while_no_call_holds_it(monkeypatch):
    native_call.prepare()
    monkeypatch.setattr(native_call, "setup_if_made", lambda: False)
    lock = native_call.ScratchLock()           # made while the setup is "pending"
    monkeypatch.undo()
    assert lock.word is None
    old_acquire = lock.acquire
    assert old_acquire()
    assert not lock.upgrade() and lock.word is None   # a call holds it: not now
    lock.release()
    assert lock.upgrade() and lock.word is not None
    assert not old_acquire()   # a call that read the old acquire finds it busy, for good
    assert lock.acquire() and lock.word[0] == 1 and not lock.acquire()
    lock.release()
    assert lock.word[0] == 0 and lock.upgrade()


def test_a_scratch_lock_stays_a_python_lock_when_the_native_pieces_are_unavailable(monkeypatch):
    monkeypatch.setattr(native_call, "_setup", lambda: None)
    lock = native_call.ScratchLock()
    assert lock.word is None and not lock.upgrade()
    assert lock.acquire() and not lock.acquire()
    lock.release()
    assert lock.acquire()
    lock.release()


_WHO_INSTALLS = """
import json, threading
import numpy as np
from autograph_jit.runtime import resident
who = {}
install = resident.install
def spy(key, *args, **kwargs):
    who.setdefault(key, threading.current_thread().name)
    return install(key, *args, **kwargs)
resident.install = spy
import autograph_jit as tf
from autograph_jit import codegen
codegen.prewarm()
a = np.linspace(-1, 1, 32 * 784, dtype=np.float32).reshape(32, 784)
b = np.linspace(1, -1, 784 * 128, dtype=np.float32).reshape(784, 128)
f = tf.function(lambda p, q: tf.nn.relu(p @ q))
f(tf.constant(a), tf.constant(b))
codegen.wait_prewarm()
print(json.dumps(who))
"""


def test_the_prewarm_thread_leaves_glue_the_disk_cache_holds_to_whoever_needs_it(tmp_path):
    # (loading a cached module costs its user ~1 ms; made on the prewarm thread it costs more,
    # since that thread takes the GIL back from the caller after every call into LLVM)
    _run(_WHO_INSTALLS, tmp_path)          # cold: everything compiled, by some thread
    warm = _run(_WHO_INSTALLS, tmp_path)
    glue = {k: v for k, v in warm.items() if k.startswith(("blas", "ag_parallel_for",
                                                            "python call"))}
    assert glue and all(v != "autograph_jit-prewarm" for v in glue.values()), warm


def test_the_glue_a_module_links_to_is_made_by_the_link_not_the_prewarm_thread(tmp_path):
    # (made beside a trace, each call into LLVM waits a GIL switch interval, and the hand-offs
    # cost the tracing thread more than the glue costs the link)
    cold = _run(_WHO_INSTALLS, tmp_path)
    linked = {k: v for k, v in cold.items() if k.startswith(("blas", "ag_parallel_for"))}
    assert linked and all(v == "MainThread" for v in linked.values()), cold
