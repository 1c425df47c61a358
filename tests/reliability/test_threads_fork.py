"""Fork safety: a child forked while other threads compile, trace or hold this library's locks
compiles and runs its next functions (its own worker pool included) instead of deadlocking.
Each case runs in a subprocess with a timeout, so a hang fails the test, not the run."""
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

_COMMON = textwrap.dedent("""
    import os, sys, threading, time
    import numpy as np
    import autograph_jit as tf

    def run_child(body):
        '''Fork; the child runs body() and exits 0 (or 3 on an error); the parent gives it 60 s.'''
        pid = os.fork()
        if pid == 0:
            try:
                body()
                os._exit(0)
            except BaseException as e:
                os.write(2, repr(e).encode())
                os._exit(3)
        deadline = time.time() + 60
        while time.time() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return "hang"

    def child_work():
        @tf.function
        def fresh(x):                     # a new trace and compile
            return tf.exp(x) * 3.0 + 2.0
        big = tf.constant(np.zeros(1 << 21, np.float32))
        assert float(fresh(big)[5]) == 5.0   # large enough for a parallel loop (own pool)
        assert float(fresh(big)[7]) == 5.0   # and its warm call
        v = tf.Variable(1.0)
        @tf.function
        def bump():
            v.assign_add(1.0)
            return v.read_value()
        assert float(bump()) == 2.0 and float(bump()) == 3.0
        assert tf.random.uniform([3], seed=1).shape == (3,)
""")


def _run(tmp_path, script):
    path = tmp_path / "fork_case.py"
    path.write_text(_COMMON + textwrap.dedent(script))
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                         timeout=240)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout.split()


def test_child_forked_while_another_thread_compiles_can_compile(tmp_path):
    out = _run(tmp_path, """
        warm = tf.function(lambda x: x + 1.0)
        warm(tf.constant([1.0]))

        def long_program(x):
            for i in range(300):
                x = tf.sin(x) * 1.0001 + float(i)
            return x
        slow = tf.function(long_program)
        started = threading.Event()

        def compile_in_thread():
            started.set()
            slow(tf.constant(np.ones(1000, np.float32)))
        t = threading.Thread(target=compile_in_thread)
        t.start()
        started.wait()
        time.sleep(0.3)          # well inside its trace or compile
        codes = [run_child(child_work)]
        codes.append(run_child(lambda: slow(tf.constant(np.ones(10, np.float32)))))
        t.join()
        print(*codes)
    """)
    assert out == ["0", "0"]


def test_a_fork_waits_for_a_module_another_thread_is_importing_so_the_child_can_import_it(
        tmp_path):
    # (the compiler imports parts of itself on first use: a fork in the middle of such an
    # import used to leave the child waiting on that module's import lock forever)
    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(0.6)\nVALUE = 7\n")
    out = _run(tmp_path, f"""
        sys.path.insert(0, {str(tmp_path)!r})
        t = threading.Thread(target=lambda: __import__("slow_module"))
        t.start()
        time.sleep(0.2)                 # well inside the module's body
        began = time.time()
        code = run_child(lambda: __import__("slow_module").VALUE == 7 or os._exit(4))
        waited = time.time() - began
        t.join()
        print(code, waited > 0.2)
    """)
    assert out == ["0", "True"]


def test_child_forked_while_a_thread_holds_every_lock_can_compile_and_run(tmp_path):
    out = _run(tmp_path, """
        from autograph_jit.runtime import cpu_engine, resident, rng
        from autograph_jit.tracing import concrete, context

        v = tf.Variable(0.0)
        @tf.function
        def step(x):
            v.assign_add(tf.reduce_sum(x))
            return v.read_value()
        x = tf.constant(np.ones(4, np.float32))
        step(x)
        exe_locks = [e._lock for e in step.get_concrete_function(x).native_executables]
        traced = tf.function(lambda a: a * 2.0)
        holding, release = threading.Event(), threading.Event()

        def hold():
            with traced._trace_lock, concrete._CPU_SETUP, rng._lock, resident._lock, \\
                    context._count_lock:
                for lock in exe_locks:
                    assert lock.acquire()
                context.TRACING[0] += 1
                holding.set()
                release.wait()
                context.TRACING[0] -= 1
                for lock in exe_locks:
                    lock.release()

        t = threading.Thread(target=hold)
        t.start()
        holding.wait()

        def child():
            child_work()
            assert float(traced(tf.constant([2.0]))[0]) == 4.0
            assert float(step(x)) == 8.0          # the variable's warm call, scratch lock free
            assert context.TRACING[0] == 0        # the native warm call is not kept off
        codes = [run_child(child)]
        release.set()
        t.join()
        print(*codes)
    """)
    assert out == ["0"]


def test_fork_waits_for_a_compile_holding_the_llvm_lock(tmp_path):
    out = _run(tmp_path, """
        from autograph_jit.runtime import cpu_engine
        tf.function(lambda x: x + 1.0)(tf.constant([1.0]))
        holding, finished = threading.Event(), []

        def hold():
            with cpu_engine.llvm_lock:
                holding.set()
                time.sleep(0.3)
                finished.append(True)   # the last thing before the lock is let go
        t = threading.Thread(target=hold)
        t.start()
        holding.wait()

        def child():
            assert finished == [True], "forked while another thread was inside LLVM"
            child_work()
        code = run_child(child)
        t.join()
        print(code)
    """)
    assert out == ["0"]
