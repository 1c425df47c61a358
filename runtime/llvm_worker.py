"""The LLVM compile worker: a child process that optimizes IR and emits object code for the CPU
engine, so that the memory LLVM's optimizer never gives back stays out of this process.

Why: each module LLVM optimizes leaves about 70 KB behind in the process that ran the optimizer
(llvmlite's new pass manager; nothing frees it), so 1,000 retraces grew a process by 70 MB. The
worker (runtime/llvm_opt.py run as a script: standard library and llvmlite only) gets the IR text
and returns the object code; this process loads it through MCJIT's object-cache path (the disk
cache's path), which does not grow.

Policy (`status()` reports it, `cf.explain()` shows it):
- The first AUTOGRAPH_JIT_LLVM_WORKER_AFTER modules of a process (default 8) compile in-process:
  a short script never starts a process, and its first call is not slowed. The worker starts in
  the background while module AFTER compiles, so it is warm when module AFTER+1 needs it. 0 uses
  it from the first module.
- A worker is recycled (asked to exit, a fresh one started at once in the background) after
  AUTOGRAPH_JIT_LLVM_WORKER_MODULES modules (default 200) or once its own memory passes
  AUTOGRAPH_JIT_LLVM_WORKER_MAX_MB (default 400). So the parent's growth is bounded by AFTER
  modules and the worker's by those limits.
- AUTOGRAPH_JIT_LLVM_WORKER=0 switches it off. Then, or when no worker can start (no usable
  Python executable, a failed start), compilation runs in-process and `status()["reason"]` says
  why; a failed start also warns once (RuntimeWarning). Never silently.
- LLVM errors in the worker come back as RuntimeError with LLVM's message. A worker that dies
  mid-request is replaced and the request retried once; a second death raises RuntimeError (LLVM
  crashed on this module: the process survives, where in-process LLVM would have aborted it).
- A forked child does not share its parent's worker: it forgets it (closes its copies of the
  pipes) and starts its own when it needs one (runtime/forksafe.py). A spawned or unpickled copy
  starts with nothing to inherit.

Early objects: `start_early(text, level, ...)` queues one module text to compile on the compile
threads ahead of need (runtime/early_objects.py: a part of a module that is still being lowered,
the glue a lowering declared), and `compile_objects` takes the result for a job with that very
text and level instead of compiling it again. Only where the policy compiles in-process (a
module for the worker is compiled there, in order).
"""
import atexit
import concurrent.futures
import os
import subprocess
import sys
import time
import warnings

from . import early_objects, forksafe, llvm_opt, llvm_pool

_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llvm_opt.py")
_lock = forksafe.Lock()
_state = {"worker": None, "modules": 0, "in_worker": 0, "in_process": 0, "started": 0,
          "recycled": 0, "broken": None, "warned": False, "last_rss": 0}
_retired = []  # workers asked to exit, reaped later without blocking


def _env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _limits():
    return {"after": _env_int("AUTOGRAPH_JIT_LLVM_WORKER_AFTER", 8),
            "modules": max(1, _env_int("AUTOGRAPH_JIT_LLVM_WORKER_MODULES", 200)),
            "max_mb": _env_int("AUTOGRAPH_JIT_LLVM_WORKER_MAX_MB", 400)}


def _switched_off():
    return os.environ.get("AUTOGRAPH_JIT_LLVM_WORKER", "1").lower() in ("0", "false", "off", "no")


class _Worker:
    """One child process running `llvm_opt.serve` over pipes."""

    def __init__(self):
        if not sys.executable or not os.access(sys.executable, os.X_OK):
            raise OSError(f"no usable Python executable (sys.executable={sys.executable!r})")
        env = dict(os.environ)
        # llvmlite must import in the child as it does here, whatever the child's site setup
        llvmlite_dir = os.path.dirname(os.path.dirname(os.path.abspath(llvm_opt.llvm.__file__)))
        env["PYTHONPATH"] = os.pathsep.join(
            [llvmlite_dir] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        # -P: the script's folder (ours) is not put on the child's sys.path
        flags = ["-P"] if sys.version_info >= (3, 11) else []
        self.proc = subprocess.Popen([sys.executable, "-u", *flags, _SCRIPT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, close_fds=True)
        self.modules = 0
        self.ready = False
        self.pid = self.proc.pid

    def _handshake(self):
        if not self.ready:
            tag, _pid = llvm_opt.read_frame(self.proc.stdout)
            if tag != "ready":
                raise EOFError(f"unexpected greeting {tag!r}")
            self.ready = True

    def request(self, message):
        """Send one request and wait for its reply; EOFError/OSError when the worker died."""
        self._handshake()
        llvm_opt.write_frame(self.proc.stdin, message)
        return llvm_opt.read_frame(self.proc.stdout)

    def retire(self):
        """Ask the worker to exit (it also exits on EOF); reaped later by _reap."""
        for step in (lambda: llvm_opt.write_frame(self.proc.stdin, None),
                     self.proc.stdin.close, self.proc.stdout.close):
            try:
                step()
            except (OSError, ValueError):
                pass
        _retired.append(self)

    def exit_description(self):
        code = self.proc.poll()
        if code is None:
            return "its pipe closed"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _reap():
    for w in list(_retired):
        if w.proc.poll() is not None:
            _retired.remove(w)


def _start():
    """A new worker (not yet ready: it initializes in the background), or None with the reason
    recorded (and warned once) when none can start."""
    try:
        w = _Worker()
    except OSError as e:
        _give_up(f"the LLVM compile worker could not start ({e})")
        return None
    _state["worker"] = w
    _state["started"] += 1
    return w


def _give_up(reason):
    _state["broken"] = reason
    if not _state["warned"]:
        _state["warned"] = True
        warnings.warn(f"autograph_jit: {reason}; LLVM optimizes in this process, which keeps "
                      "about 70 KB per compiled module (set AUTOGRAPH_JIT_LLVM_WORKER=0 to "
                      "choose this and silence the warning)", RuntimeWarning, stacklevel=4)


def early_possible():
    """Whether `start_early` would queue anything now: the next module compiles in-process and
    the compile threads run jobs concurrently."""
    in_process = _switched_off() or _state["broken"] or _state["modules"] < _limits()["after"]
    return in_process and llvm_pool.concurrent_jobs()


def start_early(ir_text, opt_level, cpu, features):
    """Queue `ir_text` to compile at `opt_level` on the compile threads ahead of need, so that a
    later `compile_objects` job with the same text and level takes its result (see the module
    docstring). Returns whether it was queued (or was already)."""
    if not early_possible():
        return False
    return early_objects.start((opt_level, ir_text),
                               lambda: _compile_on_thread(ir_text, opt_level, cpu, features))


def _wanted(after):
    """Should this module go to the worker? Also starts the worker ahead of need."""
    if _switched_off() or _state["broken"]:
        return False  # (it could not start, or never worked, in this process: not retried)
    n = _state["modules"]
    if _state["worker"] is None and n >= after - 1:
        _start()  # ahead of need: it initializes while this module compiles
    return n >= after and _state["worker"] is not None


def compile_object(ir_text, opt_level, cpu, features):
    """Optimize `ir_text` and emit object code, in the worker when the policy says so.

    Args:
      ir_text: LLVM IR text of one module.
      opt_level: 0..3.
      cpu, features: the host target the object is for.
    Returns:
      (object bytes, optimized IR text, optimize seconds, emit seconds, where) with `where`
      "worker" or "in-process".
    Raises:
      RuntimeError: LLVM rejects the IR, or crashed on it twice in a worker.
    """
    with _lock:
        _reap()
        after = _limits()["after"]
        use_worker = _wanted(after)
        _state["modules"] += 1
        if use_worker:
            result = _in_worker((ir_text, opt_level, cpu, features))
            if result is not None:
                _state["in_worker"] += 1
                return (*result, "worker")
        _state["in_process"] += 1
    return (*llvm_opt.compile_object(ir_text, opt_level, cpu, features), "in-process")


def compile_objects(ir_texts, opt_level, cpu, features, meanwhile=None):
    """compile_object for one module, whole (one text) or in parts (codegen/llvm/
    module_split.py), counted as one module by the policy (parts leave up to MAX_PARTS, 16,
    times a whole module's ~70 KB here, so the first AFTER modules keep at most ~9 MB): in the
    worker one after another, or in this process each in its own LLVM context, outside the CPU
    engine's llvm_lock — several parts on the compile threads (runtime/llvm_pool.py), one in
    the calling thread.

    `opt_level` is one level for every text, or a list of one per text. `meanwhile()`, when
    given, runs on the calling thread while the compile threads work
    (before the compiles otherwise), and its exception is raised after them.

    A job whose text and level an early start began (`start_early`) takes that result.

    Returns:
      ([(object bytes, optimize seconds, emit seconds)] in part order, where), `where` "worker"
      or "in-process" (threads: the optimize and emit seconds overlap).
    Raises:
      RuntimeError: LLVM rejects a part, or crashed on one twice in a worker.
    """
    levels = list(opt_level) if isinstance(opt_level, (list, tuple)) else \
        [opt_level] * len(ir_texts)
    early = [early_objects.take((level, text)) for text, level in zip(ir_texts, levels)]
    if any(early):
        results, where = compile_objects([t for t, f in zip(ir_texts, early) if f is None],
                                         [v for v, f in zip(levels, early) if f is None],
                                         cpu, features, meanwhile)
        concurrent.futures.wait([f for f in early if f is not None])
        made = iter(results)
        return [next(made) if f is None else f.result() for f in early], where
    jobs = list(zip(ir_texts, levels))
    results = None
    with _lock:
        _reap()
        use_worker = _wanted(_limits()["after"])
        _state["modules"] += 1
        if use_worker:
            results = []
            for text, level in jobs:
                result = _in_worker((text, level, cpu, features))
                if result is None:
                    results = None
                    break
                results.append((result[0], result[2], result[3]))
            else:
                _state["in_worker"] += 1
        if results is None:
            _state["in_process"] += 1
    if results is not None:  # (meanwhile may compile too: never under _lock)
        if meanwhile is not None:
            meanwhile()
        return results, "worker"
    return (llvm_pool.map_ordered(lambda job: _compile_on_thread(job[0], job[1], cpu, features),
                                  jobs, meanwhile=meanwhile), "in-process")


def _compile_on_thread(ir_text, opt_level, cpu, features):
    """llvm_opt.compile_object on a compile thread: its own LLVM context and target machines,
    and LLVM's two long calls without llvmlite's lock (runtime/llvm_pool.py)."""
    t0 = time.perf_counter()
    mod = llvm_opt.parse(ir_text, context=llvm_opt.llvm.create_context())
    machine = lambda level: llvm_pool.target_machine(
        ("cpu", cpu, features, level), lambda: llvm_opt.new_target_machine(cpu, features, level))
    llvm_opt.optimize(mod, machine(3), opt_level, run=llvm_pool.run_passes)
    t1 = time.perf_counter()
    obj = llvm_pool.emit_object(machine(llvm_opt.codegen_level(opt_level)), mod)
    return obj, t1 - t0, time.perf_counter() - t1


def _in_worker(message):
    """The worker's (obj, optimized, t_opt, t_emit), or None when no worker could run it."""
    limits = _limits()
    deaths = []
    while len(deaths) < 2:
        w = _state["worker"] or _start()
        if w is None:
            return None
        try:
            reply = w.request(message)
        except (EOFError, OSError, ValueError):
            deaths.append(w.exit_description())
            _state["worker"] = None
            w.retire()
            continue
        w.modules += 1
        if reply[0] == "error":
            _maybe_recycle(w, limits)
            raise RuntimeError(reply[1].removeprefix("RuntimeError: "))
        _, obj, optimized, t_opt, t_emit, rss = reply
        _state["last_rss"] = rss
        _maybe_recycle(w, limits)
        return obj, optimized, t_opt, t_emit
    if not _state["in_worker"]:  # it never worked here: stop trying, say why
        _give_up(f"the LLVM compile worker died before compiling anything ({deaths[0]})")
        return None
    raise RuntimeError(f"LLVM crashed compiling this module in the compile worker, twice "
                       f"({', '.join(deaths)}); this process is unharmed. This is a bug in the "
                       f"generated code: please report it with the function that triggers it.")


def _maybe_recycle(w, limits):
    if w.modules >= limits["modules"] or _state["last_rss"] > limits["max_mb"] * 2 ** 20:
        _state["worker"] = None
        _state["recycled"] += 1
        w.retire()
        _start()  # the next one warms up while the caller loads this module's object


def status():
    """Where LLVM optimization runs in this process.

    Returns:
      A dict: `mode` ("worker" once a worker is in use, "in-process" otherwise), `reason` (why
      in-process, or None), `pid` of the current worker (or None), counts `modules`,
      `in_worker`, `in_process`, `started`, `recycled`, the worker's last reported
      `worker_rss_mb`, and the `limits` (after, modules, max_mb).

    Example: `runtime.llvm_worker.status()["recycled"]`.
    """
    w = _state["worker"]
    limits = _limits()
    if _switched_off():
        reason = "switched off by AUTOGRAPH_JIT_LLVM_WORKER=0"
    elif _state["broken"]:
        reason = _state["broken"]
    elif not _state["in_worker"]:
        reason = f"the first {limits['after']} modules of a process compile in-process"
    else:
        reason = None
    return {"mode": "worker" if w is not None and _state["in_worker"] else "in-process",
            "reason": reason, "pid": w.pid if w is not None else None,
            "modules": _state["modules"], "in_worker": _state["in_worker"],
            "in_process": _state["in_process"], "started": _state["started"],
            "recycled": _state["recycled"], "worker_rss_mb": round(_state["last_rss"] / 2 ** 20, 1),
            "limits": limits}


def describe():
    """One line for cf.explain(): where LLVM optimization runs, and why."""
    s = status()
    if s["mode"] == "worker":
        return (f"LLVM optimization: in a worker process (pid {s['pid']}; {s['in_worker']} "
                f"modules there, recycled {s['recycled']} times, every "
                f"{s['limits']['modules']} modules or {s['limits']['max_mb']} MB)")
    return f"LLVM optimization: in this process ({s['reason']})"


def shutdown():
    """Ask the current worker to exit (at interpreter exit; a later compile starts a new one).
    A thread still compiling keeps its worker; the worker exits when this process's end closes
    its pipe."""
    if not _lock.acquire(timeout=1.0):
        return
    try:
        w = _state["worker"]
        _state["worker"] = None
        if w is not None:
            w.retire()
        deadline = time.monotonic() + 1.0
        while _retired and time.monotonic() < deadline:
            _reap()
            if _retired:
                time.sleep(0.01)
    finally:
        _lock.release()


@forksafe.in_child
def _forget_parent_worker():
    """In a forked child: the worker and its pipes are the parent's. Close this process's copies
    (the parent's stay open) and start a fresh worker on demand."""
    for w in [_state["worker"], *_retired]:
        if w is None:
            continue
        for stream in (w.proc.stdin, w.proc.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        w.proc.returncode = 0  # not our child: never wait for it here
    _retired.clear()
    _state.update(worker=None, started=0, in_worker=0, recycled=0, last_rss=0, broken=None)


atexit.register(shutdown)
