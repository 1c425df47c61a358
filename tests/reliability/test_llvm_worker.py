"""LLVM optimization runs in a recycled worker process (runtime/llvm_worker.py), so the memory
LLVM's optimizer keeps per module (~70 KB, never freed) stays out of the user's process.

Each test runs in a child process: the worker's policy and counters are per process, and a child
makes a crash of the worker path a failure, not a dead test run. The long version (1,000
retraces of a function under a bounded RSS) is tests/reliability/test_soak.py's soak test.
"""
import json
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# IR for a small loop (y = x * k + 1) — a distinct module for each k
PRELUDE = textwrap.dedent('''
    import ctypes, gc, json, os, sys
    import numpy as np
    import autograph_jit  # noqa: F401
    from autograph_jit.runtime import cpu_engine, llvm_worker

    S = cpu_engine._init()

    def ir(k):
        return (f'target triple = "{S["triple"]}"\\n'
                f'target datalayout = "{S["data_layout"]}"\\n'
                "define void @f(ptr %a, ptr %b, i64 %n) {\\n"
                "entry:\\n  br label %loop\\n"
                "loop:\\n  %i = phi i64 [0, %entry], [%i2, %loop]\\n"
                "  %pa = getelementptr float, ptr %a, i64 %i\\n"
                "  %pb = getelementptr float, ptr %b, i64 %i\\n"
                "  %x = load float, ptr %pa\\n"
                f"  %y = fmul float %x, {float(k):e}\\n"
                "  %z = fadd float %y, 1.0\\n  store float %z, ptr %pb\\n"
                "  %i2 = add i64 %i, 1\\n  %c = icmp slt i64 %i2, %n\\n"
                "  br i1 %c, label %loop, label %exit\\n"
                "exit:\\n  ret void\\n}\\n")

    def run(k):
        """Compile module k, call it, check its result; the CompiledModule."""
        m = cpu_engine.compile_ir(ir(k), use_cache=False)
        f = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(
            m.address("f"))
        a = np.arange(37, dtype=np.float32)
        b = np.zeros(37, np.float32)
        f(a.ctypes.data, b.ctypes.data, 37)
        assert np.array_equal(b, a * np.float32(k) + 1), (k, b)
        return m

    def rss_mb():
        gc.collect()
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
''')


def child(body, env=None, timeout=300):
    """Run PRELUDE + body in a new Python; the JSON it prints last."""
    full_env = dict(os.environ, PYTHONPATH=ROOT, **(env or {}))
    p = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=ROOT,
                       env=full_env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"child failed ({p.returncode}):\n{p.stderr[-3000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr


def test_modules_compile_in_a_recycled_worker_and_the_parent_does_not_grow_per_module():
    out, _ = child('''
        for k in range(10):          # warm up: LLVM, the first worker, the allocator
            run(k)
        start = rss_mb()
        for k in range(10, 70):
            run(k)
        worker_growth = rss_mb() - start
        pids = llvm_worker.status()
        os.environ["AUTOGRAPH_JIT_LLVM_WORKER"] = "0"   # the same 60 modules in this process
        start = rss_mb()
        for k in range(70, 130):
            assert run(k).compiled_in == "in-process"
        print(json.dumps({"worker_growth": worker_growth, "status": pids,
                          "in_process_growth": rss_mb() - start}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0", "AUTOGRAPH_JIT_LLVM_WORKER_MODULES": "25"})
    status = out["status"]
    assert status["mode"] == "worker" and status["in_worker"] == 70, status
    # a new worker every 25 modules (started as the old one retires): 70 modules, 3 workers
    assert status["recycled"] == 2 and status["started"] == 3, status
    assert status["worker_rss_mb"] > 0, status
    # LLVM's optimizer keeps ~70 KB a module (60 modules: ~4 MB) in the process running it
    assert out["in_process_growth"] > 2.5, out
    assert out["worker_growth"] < 1.0, out


def test_the_first_modules_of_a_process_compile_in_process_then_the_worker_takes_over():
    out, _ = child('''
        where = [run(k).compiled_in for k in range(6)]
        print(json.dumps({"where": where, "after": llvm_worker.status()}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "3"})
    assert out["where"] == ["in-process"] * 3 + ["worker"] * 3
    assert out["after"]["in_process"] == 3 and out["after"]["in_worker"] == 3


def test_a_short_program_starts_no_worker_and_says_why_it_compiles_in_process():
    out, _ = child('''
        run(1)
        print(json.dumps(llvm_worker.status()))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "8"})
    assert out["started"] == 0 and out["mode"] == "in-process"
    assert "first 8 modules" in out["reason"]


def test_switched_off_it_compiles_in_process_and_reports_why():
    out, err = child('''
        where = [run(k).compiled_in for k in range(3)]
        print(json.dumps({"where": where, "status": llvm_worker.status(),
                          "line": llvm_worker.describe()}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER": "0", "AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0"})
    assert out["where"] == ["in-process"] * 3
    assert out["status"]["started"] == 0
    assert "AUTOGRAPH_JIT_LLVM_WORKER=0" in out["status"]["reason"] in out["line"]
    assert "RuntimeWarning" not in err  # chosen, so not warned about


def test_a_worker_that_cannot_start_falls_back_in_process_with_one_warning():
    out, err = child('''
        import warnings
        sys.executable = "/nonexistent/python"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            where = [run(k).compiled_in for k in range(3)]
        print(json.dumps({"where": where, "reason": llvm_worker.status()["reason"],
                          "warnings": [str(w.message) for w in caught]}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0"})
    assert out["where"] == ["in-process"] * 3
    assert "could not start" in out["reason"] and "/nonexistent/python" in out["reason"]
    assert len(out["warnings"]) == 1 and "70 KB" in out["warnings"][0], out


def test_a_killed_worker_is_replaced_and_the_module_still_compiles():
    out, _ = child('''
        import signal, time
        run(1)
        first = llvm_worker.status()["pid"]
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        m = run(2)
        print(json.dumps({"first": first, "where": m.compiled_in,
                          "status": llvm_worker.status()}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0"})
    assert out["where"] == "worker"
    assert out["status"]["pid"] != out["first"] and out["status"]["in_worker"] == 2


def test_llvm_rejecting_the_ir_in_the_worker_is_a_runtime_error_quoting_the_ir():
    out, _ = child('''
        run(1)
        try:
            cpu_engine.compile_ir(ir(2).replace("%z = fadd float %y, 1.0",
                                                "%z = fadd float %q, 1.0"), use_cache=False)
        except RuntimeError as e:
            message = str(e)
        print(json.dumps({"message": message, "status": llvm_worker.status(),
                          "after": run(3).compiled_in}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0"})
    assert "use of undefined value '%q'" in out["message"]
    assert "generated IR near line" in out["message"]
    assert out["after"] == "worker"  # the worker survives a rejected module


def test_a_forked_child_starts_its_own_worker_and_leaves_the_parents_alone():
    out, _ = child('''
        run(1)
        parent_worker = llvm_worker.status()["pid"]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                m = run(2)
                os.write(w, json.dumps([m.compiled_in, llvm_worker.status()["pid"]]).encode())
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        child_where, child_worker = json.loads(os.read(r, 1000))
        print(json.dumps({"parent_worker": parent_worker, "child_worker": child_worker,
                          "child_where": child_where, "parent_after": run(3).compiled_in,
                          "parent_worker_after": llvm_worker.status()["pid"]}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0"})
    assert out["child_where"] == "worker" and out["parent_after"] == "worker"
    assert out["child_worker"] not in (None, out["parent_worker"])
    assert out["parent_worker_after"] == out["parent_worker"]


def test_explain_says_where_llvm_optimization_ran():
    out, _ = child('''
        import autograph_jit as tf

        def f(x):
            return x * 2.0 + 1.0
        g = tf.function(f)
        g(tf.constant([1.0, 2.0]))
        print(json.dumps({"text": str(g.get_concrete_function(tf.constant([1.0, 2.0])).explain())}))
    ''', env={"AUTOGRAPH_JIT_LLVM_WORKER_AFTER": "0", "AUTOGRAPH_JIT_CACHE": "0"})
    assert "LLVM optimization: in a worker process" in out["text"]


def test_a_worker_whose_parent_left_before_it_was_ready_exits_quietly():
    # (a short program can end while the worker it started is still importing llvmlite: the
    # worker's "ready" then meets a closed pipe, and the user's terminal must see no traceback)
    script = os.path.join(ROOT, "runtime", "llvm_opt.py")
    p = subprocess.Popen([sys.executable, "-u", script], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()                     # gone before the worker writes "ready"
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0 and err == b"", err.decode(errors="replace")
