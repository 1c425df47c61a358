"""The CPU engine: llvmlite initialisation, the host target machine, compiling LLVM IR text to
native function pointers, and the on-disk object cache.

A leaf of the runtime: it takes IR text in and hands back addresses; it never imports the compiler.

The disk cache (`~/.cache/autograph_jit`, or `$AUTOGRAPH_JIT_CACHE_DIR`; `AUTOGRAPH_JIT_CACHE=0`
switches it off) stores the object code MCJIT emits, keyed by a hash of the IR text, the host CPU
name and features, and the llvmlite/LLVM versions. Entries carry a header (magic + key + length +
checksum): a corrupted, truncated or foreign file is ignored and recompiled, never loaded. An
object whose ELF structure is malformed is deleted with a warning before LLVM sees it, and the
directory stays under $AUTOGRAPH_JIT_CACHE_MAX_MB, least recently used first (cache_files.py).

Compiling: LLVM optimizes the IR and emits object code (runtime/llvm_opt.py), in a recycled
worker process after the first few modules of a process (runtime/llvm_worker.py: the optimizer
keeps ~70 KB per module in the process that runs it); this process then loads the object code
into an MCJIT engine built from an empty module, the same path as a disk-cache hit.
"""
import ctypes
import ctypes.util
import hashlib
import os
import struct
import tempfile
import time

import llvmlite
import llvmlite.binding as llvm

from . import cache_files, forksafe, llvm_opt, llvm_worker

_lock = forksafe.Lock()
_state = {}
# LLVM's global context is not thread-safe: compilation (here and in setup threads that build
# resident modules) holds this lock.
llvm_lock = forksafe.RLock()


def _llvmlite_lock():
    """The RLock llvmlite holds around each call into LLVM (a private attribute: None when a
    version keeps it elsewhere)."""
    try:
        from llvmlite.binding import ffi
        lock = ffi.lib._lock._lock
        return lock if hasattr(lock, "_is_owned") else None
    except (ImportError, AttributeError):
        return None


# a forked child never sees LLVM halfway through another thread's compile (runtime/forksafe.py)
forksafe.hold_across_fork(*[lock for lock in (llvm_lock, _llvmlite_lock()) if lock is not None])

MAGIC = b"AGJITOBJ1\n"
# functions LLVM may call for IR we emit (libm math, half-precision conversions, frem)
_LIBCALLS = ("expf", "exp", "logf", "log", "tanhf", "powf", "pow", "fmodf", "fmod", "erff",
             "__truncdfhf2", "__truncsfhf2", "__extendhfsf2")
_FORMAT_VERSION = "1"
# (library, its usual sonames on glibc systems) loaded for the libcalls above
_LIBRARIES = (("m", ("libm.so.6",)), ("c", ("libc.so.6",)), ("gcc_s", ("libgcc_s.so.1",)))


def _init():
    """Initialise LLVM once; the host target machine (host CPU name + features)."""
    if _state:
        return _state
    with _lock:
        if _state:
            return _state
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        # libm (expf, tanhf, ...) and libgcc (half-precision conversions) for MCJIT's resolver:
        # by their usual sonames first (ctypes.util.find_library runs `ldconfig -p` and a C
        # compiler in subprocesses: tens of ms in every process), found by name otherwise
        for name, sonames in _LIBRARIES:
            if not any(_load_permanently(so) for so in sonames):
                path = ctypes.util.find_library(name)
                if path:
                    _load_permanently(path)
        missing = [n for n in _LIBCALLS if not llvm.address_of_symbol(n)]
        if missing:  # code calling them would jump to address 0: refuse early and clearly
            raise RuntimeError(f"autograph_jit CPU engine: runtime symbols not found: {missing}"
                               " (libm / libgcc_s). Use backend='eager'.")
        cpu = llvm.get_host_cpu_name()
        features = llvm.get_host_cpu_features().flatten()
        target = llvm.Target.from_default_triple()
        tm = _new_target_machine(target, cpu, features)
        _state.update(cpu=cpu, features=features, tm=tm, triple=llvm.get_process_triple(),
                      data_layout=str(tm.target_data), target=target)
    return _state


def _load_permanently(name):
    """dlopen `name` into the symbols MCJIT resolves; whether it loaded."""
    try:
        llvm.load_library_permanently(name)
    except Exception:  # (not found under that name)
        return False
    return True


def _new_target_machine(target, cpu, features, opt=3):
    return llvm_opt.new_target_machine(cpu, features, opt)


def host_info():
    s = _init()
    return {"cpu": s["cpu"], "features": s["features"], "triple": s["triple"],
            "data_layout": s["data_layout"]}


def cache_dir():
    """The disk cache directory, or None when the cache is switched off."""
    if os.environ.get("AUTOGRAPH_JIT_CACHE", "1") in ("0", "false", "off", ""):
        return None
    return os.environ.get("AUTOGRAPH_JIT_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "autograph_jit")


def cache_key(ir_text):
    s = _init()
    h = hashlib.sha256()
    for part in (_FORMAT_VERSION, llvmlite.__version__, ".".join(map(str, llvm.llvm_version_info)),
                 s["cpu"], s["features"], s["triple"], ir_text):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _object_key(ir_text, opt_level):
    """The disk cache's key of the object of one module (or part) compiled at `opt_level`."""
    return cache_key(f"; opt {opt_level}\n" + ir_text)


def _object_path(directory, key):
    return os.path.join(directory, key[:2], key + ".o")


def has_cached_object(ir_text, opt_level):
    """Whether the disk cache holds the object of `ir_text` compiled at `opt_level` (whole: the
    key CompiledModule gives a one-part module). False when the cache is off."""
    directory = cache_dir()
    if directory is None:
        return False
    return os.path.exists(_object_path(directory, _object_key(ir_text, opt_level)))


def _read_cached(path, key):
    return read_entry(path, key, MAGIC)


def read_entry(path, key, magic, on_damage=None):
    """The body of the cache file at `path` if its header holds `magic` and `key` and the
    body's length and checksum match; else None (absent, truncated, corrupted or foreign).
    `on_damage(reason)`, when given, hears why a file that exists was refused."""
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    head = len(magic) + 64 + 8 + 32
    problem = None
    if len(blob) < head or not blob.startswith(magic):
        problem = "not a cache entry of this kind"
    elif blob[len(magic):len(magic) + 64].decode("ascii", "replace") != key:
        problem = "its key differs from its file name"
    else:
        (n,) = struct.unpack("<Q", blob[len(magic) + 64:len(magic) + 72])
        body = blob[head:]
        if n != len(body) or hashlib.sha256(body).digest() != blob[len(magic) + 72:head]:
            problem = "truncated or corrupted (length or checksum mismatch)"
    if problem is not None:
        if on_damage is not None:
            on_damage(problem)
        return None
    cache_files.touch(path)  # (eviction removes the least recently used first)
    return body


def _write_cached(path, key, obj):
    write_entry(path, key, obj, MAGIC)


def write_entry(path, key, obj, magic):
    """Write `obj` under a header (`magic`, key, length, checksum), atomically; errors ignored
    (a cache that cannot be written is only slower)."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(magic + key.encode("ascii") + struct.pack("<Q", len(obj))
                     + hashlib.sha256(obj).digest() + obj)
        os.replace(tmp, path)  # atomic: readers never see half a file
        cache_files.note_written(os.path.dirname(os.path.dirname(path)), len(obj))
    except OSError:
        pass


def _parse(ir_text):
    """Parse and verify; an error quotes the offending lines (a backend bug, never user input)."""
    return llvm_opt.parse(ir_text)


def _empty_module(s):
    """A module without code for the host target, handed to MCJIT when the object code comes
    from the disk cache (parsing the full IR again would only cost time: the object is the IR
    compiled, found by the IR's hash)."""
    return llvm.parse_assembly(f'target triple = "{s["triple"]}"\n'
                               f'target datalayout = "{s["data_layout"]}"\n')


class CompiledModule:
    """One LLVM module compiled for the host. Keeps the engine alive as long as it lives.

    `ir_text` is one module's text, or the texts of one module's parts (codegen/llvm/
    module_split.py): each part is its own disk-cache entry, the missing ones compile together
    on the compile threads (llvm_worker.compile_objects), and one MCJIT engine loads every
    part's object, so a call from one part finds its callee in another.

    `timings`: [("llvm optimize", s), ("machine code", s)] (machine code: emitting the object,
    moving it from the worker, loading it; for parts compiled on threads, "llvm optimize" is
    the wall time of optimizing and emitting them all); `from_cache` says whether the object
    code came from the disk cache (then "llvm optimize" is 0: LLVM was skipped); `part_levels`
    is each part's opt_level (PLUMBING for a part without floating-point code); `compiled_in`
    says where the object was made: "worker", "in-process" or "disk cache"
    (runtime/llvm_worker.py); `parts` is the number of parts (1: compiled whole).

    `link()`, when given, makes the symbols the module declares resolvable (the runtime code
    behind them); it runs before the engine links the objects, on this thread while the
    compile threads work."""

    def __init__(self, ir_text, opt_level=3, use_cache=True, link=None):
        s = _init()
        texts = [ir_text] if isinstance(ir_text, str) else list(ir_text)
        self.ir_text = ir_text if isinstance(ir_text, str) else "\n".join(texts)
        self.part_texts = texts
        self.parts = len(texts)
        self.part_levels = levels = [part_level(text, opt_level) if len(texts) > 1
                                     else opt_level for text in texts]
        keys = [_object_key(text, level) for level, text in zip(levels, texts)]
        self.key = keys[0] if len(keys) == 1 else cache_key("; parts\n" + "\n".join(keys))
        directory = cache_dir() if use_cache else None
        paths = [_object_path(directory, k) if directory else None for k in keys]
        objects = [self._read(path, key) for path, key in zip(paths, keys)]
        self.from_cache = all(obj is not None for obj in objects)
        self.opt_level = opt_level
        self._optimized_texts = None
        t_opt = 0.0
        self.compiled_in = "disk cache"
        t0 = time.perf_counter()
        missing = [i for i, obj in enumerate(objects) if obj is None]
        if missing:  # optimize and emit the objects (in the worker, or here in their own
            t1 = time.perf_counter()   # LLVM contexts: other compiles may run meanwhile)
            results, where = llvm_worker.compile_objects([texts[i] for i in missing],
                                                         [levels[i] for i in missing],
                                                         s["cpu"], s["features"], meanwhile=link)
            link = None
            t_opt = time.perf_counter() - t1
            self.compiled_in = where
            for i, (obj, _, _) in zip(missing, results):
                problem = cache_files.object_problem(obj)
                if problem is not None:  # (never hand LLVM a damaged object: it aborts)
                    raise RuntimeError("the LLVM compile worker returned a damaged object: "
                                       f"{problem}")
                objects[i] = obj
                if paths[i]:
                    _write_cached(paths[i], keys[i], obj)
        if link is not None:
            link()
        with llvm_lock:  # (the engine is made in LLVM's global context)
            engine = self._engine(s, objects, opt_level)
        self.engine = engine
        self.timings = [("llvm optimize", t_opt),
                        ("machine code", time.perf_counter() - t0 - t_opt)]

    def _engine(self, s, objects, opt_level):
        """An MCJIT engine holding `objects` (linked, finalized, constructors run)."""
        if "@llvm.global_ctors" in self.ir_text:  # the engine must see the constructors to run
            mod = _parse(self.ir_text)             # them (a module with them is never cut)
        else:  # MCJIT loads the object instead: a module with no code stands for it
            mod = _empty_module(s)
        # an engine owns (and frees) its target machine: give each its own
        engine = llvm.create_mcjit_compiler(
            mod, _new_target_machine(s["target"], s["cpu"], s["features"],
                                     opt=llvm_opt.codegen_level(opt_level)))
        if len(objects) == 1:
            def notify(module, buffer):
                pass

            def get_buffer(module):
                return objects[0]

            engine.set_object_cache(notify, get_buffer)
        else:
            for obj in objects:
                engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        engine.run_static_constructors()
        return engine

    @staticmethod
    def _read(path, key):
        """The cached object at `path` (None: absent, damaged or malformed: then discarded)."""
        cached = _read_cached(path, key) if path else None
        problem = cache_files.object_problem(cached) if cached is not None else None
        if problem is not None:  # (LLVM aborts the process on a malformed object)
            cache_files.discard(path, problem)
            return None
        return cached

    def _optimized_parts(self):
        """Each part's IR after LLVM's optimization pipeline. Making the object never prints it
        (and a disk-cache hit skips the pipeline), so the pipeline runs here, once, when someone
        asks to read the result."""
        if self._optimized_texts is None:
            s = _init()
            with llvm_lock:  # (in-process, LLVM's global context is not thread-safe)
                self._optimized_texts = [
                    llvm_worker.compile_object(text, level, s["cpu"], s["features"])[1]
                    for text, level in zip(self.part_texts, self.part_levels)]
        return self._optimized_texts

    @property
    def optimized_ir(self):
        """The IR after LLVM's optimization pipeline (of each part, one after another, under a
        `; ---- part i of n ----` line, when the module was compiled in parts)."""
        texts = self._optimized_parts()
        if len(texts) == 1:
            return texts[0]
        return "\n".join(f"; ---- part {i} of {len(texts)} ----\n{text}"
                         for i, text in enumerate(texts))

    def address(self, name):
        addr = self.engine.get_function_address(name)
        if not addr:
            raise RuntimeError(f"compiled module has no function {name!r}")
        return addr

    def asm(self):
        """The host assembly of the optimized module (compiled again for text; not cached)."""
        texts = self._optimized_parts()
        with llvm_lock:
            out = [_init()["tm"].emit_assembly(llvm.parse_assembly(text)) for text in texts]
        if len(out) == 1:
            return out[0]
        return "\n".join(f"# ---- part {i} of {len(out)} ----\n{text}"
                         for i, text in enumerate(out))


def part_level(ir_text, opt_level):
    """The level one part of a module cut in parts compiles at: PLUMBING when no floating-point
    type is in its code (llvm_opt.integer_only) and `opt_level` is 2 or more, else
    `opt_level`."""
    if opt_level >= 2 and llvm_opt.integer_only(ir_text):
        return llvm_opt.PLUMBING
    return opt_level


def default_opt_level():
    """$AUTOGRAPH_JIT_OPT_LEVEL, else 3."""
    return int(os.environ.get("AUTOGRAPH_JIT_OPT_LEVEL", "3"))


def compile_early(ir_text, opt_level=None, use_cache=True):
    """Start compiling `ir_text` on the compile threads now, for a `compile_ir` that comes
    later: one part of a module still being lowered (codegen/llvm/early_parts.py; `opt_level`
    None: the level compile_ir gives that part), or a whole module a lowering declared it needs
    (the runtime glue, runtime/resident.py; at `opt_level`). That compile then takes the object
    instead of compiling the same text again (llvm_worker.start_early). Nothing starts when the
    disk cache holds the object (`use_cache`) or the policy compiles in the worker; returns
    whether it started.

    Example:
        compile_early(part)        # ... later:
        compile_ir([entry, part])  # the part's object is the one started here
    """
    s = _init()
    level = part_level(ir_text, default_opt_level()) if opt_level is None else opt_level
    if use_cache and has_cached_object(ir_text, level):
        return False
    return llvm_worker.start_early(ir_text, level, s["cpu"], s["features"])


def compile_ir(ir_text, opt_level=None, use_cache=True, link=None):
    """Compile IR text (one module's, or a list of its parts' texts: see CompiledModule) for the
    host. opt_level None: $AUTOGRAPH_JIT_OPT_LEVEL, else 3; llvm_opt.GLUE or PLUMBING for
    runtime glue (no floating-point arithmetic: see their docstrings); link: see
    CompiledModule."""
    if opt_level is None:
        opt_level = default_opt_level()
    return CompiledModule(ir_text, opt_level=opt_level, use_cache=use_cache, link=link)
