"""Resident native code: IR text compiled once per process into an engine that is never freed,
with chosen functions registered as llvmlite symbols so that later modules only declare them.

For runtime support code shared by every compiled function (the BLAS wrappers, the parallel-for
and its threads): one copy per process instead of one per module, and code that stays mapped
for as long as any thread might still run it. It is glue — pointers, integers, calls; never
float arithmetic — and compiles at `llvm_opt.GLUE` (LLVM's short pipeline), or at
`llvm_opt.PLUMBING` (the same, then the code generator at -O0) where a call does microseconds of
work anyway (the parallel-for, the BLAS wrappers).

IR built in Python (the native warm call's trampolines: tens of ms of llvmlite.ir per process)
can be given as a function with a `stamp` (a digest of the sources that build it): the text is
then kept in the disk cache (`<key>.ir`, keyed by the name, the stamp and the Python, NumPy and
llvmlite versions), so a new process reads the text, finds the object by it, and never builds
the IR. A different stamp misses; a damaged entry is not read (the header's checksum).
"""
import hashlib
import os
import sys
import zlib

import llvmlite
import llvmlite.binding as llvm
import numpy

from . import forksafe
from .cpu_engine import cache_dir, compile_ir, has_cached_object, read_entry, write_entry
from .cpu_engine import compile_early as compile_early_ir
from .llvm_opt import GLUE, PLUMBING

_lock = forksafe.Lock()
_key_locks = {}  # key -> the lock its compile holds
_engines = {}   # key -> {symbol: address}; the engines themselves are kept in _keep
_asked_early = set()   # keys compile_early was asked for (once per process each)
_keep = []


MAGIC = b"AGJITRESIR1\n"


def install(key, ir_text, symbols, stamp=None, opt_level=GLUE):
    """Compile `ir_text` (once per `key`) and register each name in `symbols` under the same
    name; returns {symbol: address}. Later modules call them after a plain `declare`.
    `ir_text` may be a function returning the text; with a `stamp` (hex digest of everything
    the text depends on) the text is read from the disk cache when it holds it. `opt_level`:
    GLUE, or PLUMBING for code off the per-call hot path (see runtime/llvm_opt.py)."""
    if opt_level not in (GLUE, PLUMBING):
        raise ValueError(f"resident code compiles at GLUE or PLUMBING, not {opt_level!r}")
    if key in _engines:
        return dict(_engines[key])
    if callable(ir_text):  # (built outside the lock: other compiles go on meanwhile)
        ir_text = _text(key, ir_text, stamp)
    with _lock:
        key_lock = _key_locks.setdefault(key, forksafe.Lock())
    # (one lock per module: two threads never compile one twice, and different modules compile
    # at the same time, each in its own LLVM context; see cpu_engine.CompiledModule)
    with key_lock:
        if key not in _engines:
            # through the disk object cache: a new process loads the code instead of compiling
            # (glue: no float arithmetic, so the short pipeline; see llvm_opt.GLUE)
            engine = compile_ir(_exported(ir_text), opt_level)
            table = {}
            for name in symbols:
                address = engine.address(name)
                llvm.add_symbol(name, address)
                table[name] = address
            _keep.append(engine)  # keeps its code mapped for good
            _engines[key] = table
    return dict(_engines[key])


def compile_early(key, ir_text, opt_level=GLUE):
    """Start compiling the object `install(key, ir_text, ..., opt_level)` loads, on the compile
    threads now (cpu_engine.compile_early), unless `key` is installed, was asked for before, or
    its object is in the disk cache: called when a lowering declares a symbol of this code, so
    that the link, tens of milliseconds later, finds the object made. `ir_text` may be a
    function returning the text (called only when the compile is asked for the first time).
    Returns whether it started."""
    with _lock:
        if key in _engines or key in _asked_early:
            return False
        _asked_early.add(key)
    return compile_early_ir(_exported(ir_text() if callable(ir_text) else ir_text),
                            opt_level=opt_level)


def is_cached(ir_text, opt_level=GLUE):
    """Whether the disk cache holds the object `install(..., opt_level)` would load for
    `ir_text`."""
    return has_cached_object(_exported(ir_text), opt_level)


def _exported(ir_text):
    # (exported: LLVM's optimizer would drop unused linkonce_odr definitions)
    return ir_text.replace("define linkonce_odr ", "define ")


def _text(key, make, stamp):
    """The IR text `make()` returns, through the disk cache when `stamp` is given."""
    directory = cache_dir() if stamp else None
    if directory is None:
        return make()
    h = hashlib.sha256()
    for part in (key, stamp, sys.version, numpy.__version__, llvmlite.__version__):
        h.update(part.encode() + b"\0")
    digest = h.hexdigest()
    path = os.path.join(directory, digest[:2], digest + ".ir")
    body = read_entry(path, digest, MAGIC)
    if body is not None:
        try:
            return zlib.decompress(body).decode()
        except (zlib.error, UnicodeDecodeError):
            pass  # (a checksum-valid body that does not decompress: made again, rewritten)
    text = make()
    write_entry(path, digest, zlib.compress(text.encode(), 1), MAGIC)
    return text
