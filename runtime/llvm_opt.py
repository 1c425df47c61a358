"""LLVM optimization and object emission: IR text in, object code out — and, run as a script, the
compile worker's main loop (runtime/llvm_worker.py starts it).

LLVM's optimizer (through llvmlite's new pass manager) keeps about 70 KB of memory per module it
optimizes, and nothing frees it short of the process exiting. So the CPU engine optimizes and
emits object code in a worker process, recycled now and then, and only loads the object in its
own process (MCJIT's object-cache path, which does not grow). The same two functions run
in-process when no worker can run (runtime/llvm_worker.py says why).

Standalone on purpose: it imports only the standard library and llvmlite, so the worker starts
without importing autograph_jit (NumPy, the compiler) and a forked or spawned copy inherits no
state of ours.

Protocol (over the worker's stdin/stdout): frames of an 8-byte little-endian length and a pickle.
A request is `(ir_text, opt_level, cpu, features)` (opt_level 0..3, GLUE or PLUMBING); the
reply is `("ok", object_bytes, optimized_ir, optimize_seconds, emit_seconds, worker_rss_bytes)` or
`("error", message)`.
`None` asks the worker to exit.
"""
import os
import pickle
import re
import struct
import sys
import time

import llvmlite.binding as llvm

_HEADER = struct.Struct("<Q")
_targets = {}  # (cpu, features, opt) -> TargetMachine (in this process)

GLUE = -1
"""The `opt_level` of runtime glue on the per-call hot path (runtime/resident.py: the native warm
call's trampolines, the Python call's trampoline): code that moves pointers and integers and
does no floating-point arithmetic, so no pipeline can change what it computes. SROA,
instcombine and CFG simplification, then the code generator at -O1: the warm call runs within
~6% of -O3's code (0.186 against 0.176 µs) and the trampolines compile in 55 ms instead of
124 ms (2-core host).
Kernels, whose float results depend on how LLVM vectorizes, always get the full pipeline; a
module (or part of one) with no floating-point type in any function body gets PLUMBING."""

PLUMBING = -2
"""The `opt_level` of glue off the per-call hot path: code that runs once per kernel or per step,
around microseconds of work, and does no floating-point arithmetic — the parallel-for, the BLAS
wrappers, and a part of a split module with no floating-point type in any function body
(`integer_only`: the entry part, codegen/llvm/module_split.py). GLUE's short pipeline, then
the code generator at -O0 (fast instruction selection and register allocation): it emits the
object 3-4x faster (the MLP training step's entry part: 11.5 -> 3.1 ms; the parallel-for:
22 -> 12 ms), at a cost of nanoseconds per call. The native warm call's trampolines, where
nanoseconds count, stay at GLUE."""

_FLOAT_TYPE = re.compile(r"\b(?:half|bfloat|float|double|fp128|x86_fp80|ppc_fp128)\b")


def integer_only(ir_text):
    """Whether no function body in `ir_text` names a floating-point type (declarations,
    metadata and comments aside): then GLUE's short pipeline (PLUMBING's too) computes what
    -O3 computes."""
    inside = False
    for line in ir_text.splitlines():
        if line.startswith("define "):
            inside = True
        if inside:
            code = line.split(";", 1)[0]
            if _FLOAT_TYPE.search(code.split("!", 1)[0] if "!" in code else code):
                return False
            if line.startswith("}"):
                inside = False
    return True


def target_machine(cpu, features, opt_level):
    """The host TargetMachine for `cpu`/`features` at `opt_level` (cached per process).

    Args:
      cpu: LLVM's host CPU name (llvm.get_host_cpu_name()).
      features: the CPU feature string (llvm.get_host_cpu_features().flatten()).
      opt_level: 0..3, the code generator's optimization level.
    Returns:
      An llvmlite TargetMachine, built as the CPU engine's MCJIT engines build theirs, so the
      object it emits is the object MCJIT itself would emit.
    """
    key = (cpu, features, opt_level)
    tm = _targets.get(key)
    if tm is None:
        tm = new_target_machine(cpu, features, opt_level)
        _targets[key] = tm
    return tm


def new_target_machine(cpu, features, opt_level):
    """A fresh host TargetMachine (an MCJIT engine owns and frees the one it is given)."""
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=cpu, features=features,
                                        opt=max(0, min(int(opt_level), 3)), reloc="default",
                                        codemodel="jitdefault")


def parse(ir_text, context=None):
    """Parse and verify (into `context`, default LLVM's global one); an error quotes the
    offending lines (a backend bug, never user input)."""
    try:
        mod = llvm.parse_assembly(ir_text, context=context)
        mod.verify()
        return mod
    except RuntimeError as e:
        m = re.search(r"<string>:(\d+):", str(e))
        if m:
            lines = ir_text.splitlines()
            k = int(m.group(1))
            context = "\n".join(lines[max(0, k - 8):k + 1])
            raise RuntimeError(f"{e}\n--- generated IR near line {k} ---\n{context}") from None
        raise


def optimize(mod, tm, opt_level, run=None):
    """LLVM's new-pass-manager pipeline at `opt_level`, vectorizers on, for the host `tm`
    (GLUE and PLUMBING: the short pipeline of the GLUE docstring). `run(mpm, mod, pb)` runs it
    (default `mpm.run(mod, pb)`; runtime/llvm_pool.py passes its call without llvmlite's
    lock)."""
    if opt_level in (GLUE, PLUMBING):
        pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=1))
        mpm = llvm.create_new_module_pass_manager()
        mpm.add_sroa_pass()
        mpm.add_instruction_combine_pass()
        mpm.add_simplify_cfg_pass()
    elif opt_level <= 0:
        return
    else:
        pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pto.loop_unrolling = False  # costs ~30% of compile time, gains little after vectorization
        pto.loop_interleaving = True
        pb = llvm.create_pass_builder(tm, pto)
        mpm = pb.getModulePassManager()
    if run is None:
        mpm.run(mod, pb)
    else:
        run(mpm, mod, pb)


def codegen_level(opt_level):
    """The code generator's optimization level (0..3) for an `opt_level` (GLUE: 1, PLUMBING:
    0)."""
    if opt_level == GLUE:
        return 1
    return 0 if opt_level == PLUMBING else max(0, min(int(opt_level), 3))


def compile_object(ir_text, opt_level, cpu, features):
    """Parse, verify, optimize and emit object code for the host.

    Args:
      ir_text: LLVM IR text of one module.
      opt_level: 0..3, GLUE or PLUMBING.
      cpu, features: the host target (see target_machine).
    Returns:
      (object bytes, optimized IR text, optimize seconds, emit seconds).
    Raises:
      RuntimeError: LLVM rejects the IR (the message quotes the lines near the error).
    """
    t0 = time.perf_counter()
    mod = parse(ir_text)
    # (as the CPU engine always did: the pipeline tuned for the -O3 host machine, the code
    # generated at `opt_level`)
    optimize(mod, target_machine(cpu, features, 3), opt_level)
    optimized = str(mod)
    t1 = time.perf_counter()
    obj = target_machine(cpu, features, codegen_level(opt_level)).emit_object(mod)
    return obj, optimized, t1 - t0, time.perf_counter() - t1


def rss_bytes():
    """This process's resident set size in bytes (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def read_frame(stream):
    """One pickled message from `stream`, or EOFError when the other side closed it."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (n,) = _HEADER.unpack(head)
    body = stream.read(n)
    if len(body) < n:
        raise EOFError("the other side closed the pipe mid-message")
    return pickle.loads(body)


def write_frame(stream, message):
    """Write one pickled message to `stream` and flush it."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def serve(inp, out):
    """The worker's loop: answer requests from `inp` on `out` until `None` or EOF."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    write_frame(out, ("ready", os.getpid()))
    while True:
        try:
            request = read_frame(inp)
        except EOFError:
            return
        if request is None:
            return
        ir_text, opt_level, cpu, features = request
        try:
            obj, optimized, t_opt, t_emit = compile_object(ir_text, opt_level, cpu, features)
            reply = ("ok", obj, optimized, t_opt, t_emit, rss_bytes())
        except Exception as e:  # noqa: BLE001 - every error goes back to the parent, typed there
            reply = ("error", f"{type(e).__name__}: {e}")
        write_frame(out, reply)


if __name__ == "__main__":
    import signal
    # Ctrl-C in a terminal reaches the whole process group: the parent decides, not the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # the pipes are ours alone: nothing else may write to stdout
    _out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    try:
        serve(sys.stdin.buffer, _out)
    except BrokenPipeError:   # the parent is gone (it ended while this worker started): no one
        os._exit(0)           # to answer, and no traceback for the user's terminal
