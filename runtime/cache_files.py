"""Keeping the disk cache safe and bounded: object-file checks, a size cap, discarding entries.

A cache entry's header (magic, key, length, sha256) catches truncation and corruption, but not
a file whose body was crafted (or written by a broken tool) with a matching checksum. Handed to
LLVM, a body that is not a well-formed object file aborts the process (`LLVM ERROR`), so
`object_problem` checks the ELF structure first: identification, class, byte order, machine,
type, and that the section and program header tables, every section's bytes and the section name
table lie inside the file. A bad entry is deleted with a warning (`discard`) and recompiled.

Keys: `source_stamp` digests a set of source files by path, size and modification time (what
CPython's own bytecode cache checks), so a key that names the code it depends on costs a few
stat calls per process, not a read of every file; with `once_per_process` each folder is
statted once per process however many keys cover it.

Size: the cache directory is kept under $AUTOGRAPH_JIT_CACHE_MAX_MB (default 256 MB). Reading an
entry refreshes its modification time (`touch`), so eviction (`enforce_limit`, run by the write
that would pass the cap) removes the least recently used entries first, down to 80% of the cap.
"""
import hashlib
import os
import platform
import struct
import threading
import warnings

from . import forksafe

DEFAULT_MAX_MB = 256
_SUFFIXES = (".o", ".lower", ".cubin", ".graph", ".ir")
_lock = threading.Lock()
_sizes = {}  # directory -> its size in bytes as last measured plus what this process wrote

# ELF e_machine of the host, by platform.machine()
_MACHINES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "ppc64le": 21,
             "s390x": 22, "riscv64": 243}


def source_stamp(roots, files=(), once_per_process=False):
    """sha256 (hex) of every `.py` file under the folders `roots` (`__pycache__` and hidden
    folders skipped) and of the `files`, each by its path relative to its root, size and
    mtime_ns. Any edit, added or removed file changes it.

    once_per_process: each folder's digest is computed once per process and shared by every
    such stamp that covers it (the graph cache stamps the whole package, the lowering cache
    and the resident IR the compiler's folders inside it: their files are statted once). For
    keys that name the code this process runs (imported, or to be imported, from those files
    as they were when the process first looked): an edit made while it runs is seen by the
    next process."""
    h = hashlib.sha256()
    memo = _trees if once_per_process else None
    for root in roots:
        if memo is None:
            digest = _tree_digest(root, None)
        else:  # (a thread walking it already, e.g. the prewarm thread's: wait, do not redo)
            with _trees_lock:
                digest = _tree_digest(root, memo)
        h.update(b"\1" + os.path.basename(root).encode() + b"\0" + digest + b"\n")
    for path in files:
        st = os.stat(path)
        h.update(f"\2{os.path.basename(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


_trees = {}  # absolute folder -> its digest, as this process first saw it (source_stamp)
_trees_lock = forksafe.RLock()


def _tree_digest(folder, memo):
    """sha256 (bytes) of `folder`'s .py files (name, size, mtime_ns) and of its subfolders'
    digests; kept in `memo` (a dict, or None)."""
    folder = os.path.abspath(folder)
    known = memo.get(folder) if memo is not None else None
    if known is not None:
        return known
    h = hashlib.sha256()
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.name.endswith(".py") and e.is_file():
            st = e.stat()
            h.update(f"{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        elif e.is_dir() and e.name != "__pycache__" and not e.name.startswith("."):
            h.update(b"\3" + e.name.encode() + b"\0" + _tree_digest(e.path, memo) + b"\n")
    digest = h.digest()
    if memo is not None:
        memo.setdefault(folder, digest)  # (two threads may both compute it: the same value)
    return digest


def max_bytes():
    """The cap in bytes from $AUTOGRAPH_JIT_CACHE_MAX_MB (a number of MB; 0 or less: no cap)."""
    raw = os.environ.get("AUTOGRAPH_JIT_CACHE_MAX_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        warnings.warn(f"AUTOGRAPH_JIT_CACHE_MAX_MB={raw!r} is not a number; using "
                      f"{DEFAULT_MAX_MB}", RuntimeWarning, stacklevel=2)
        mb = DEFAULT_MAX_MB
    return int(mb * 2 ** 20) if mb > 0 else None


def object_problem(buf):
    """What is wrong with `buf` as a relocatable ELF object for this host, or None if it is
    well-formed. (Hosts that do not use ELF are not checked.)"""
    if platform.system() in ("Darwin", "Windows"):
        return None
    n = len(buf)
    if n < 64 or buf[:4] != b"\x7fELF":
        return "not an ELF object file"
    if buf[4] != 2:
        return "not a 64-bit ELF object"
    if buf[5] not in (1, 2):
        return "bad ELF byte order"
    end = "<" if buf[5] == 1 else ">"
    if (end == "<") != (struct.pack("=H", 1) == b"\x01\x00"):
        return "ELF byte order differs from the host's"
    (e_type, e_machine, _, _, e_phoff, e_shoff, _, e_ehsize, e_phentsize, e_phnum,
     e_shentsize, e_shnum, e_shstrndx) = struct.unpack(end + "HHIQQQIHHHHHH", buf[16:64])
    if e_type != 1:
        return f"ELF type {e_type} is not a relocatable object"
    want = _MACHINES.get(platform.machine().lower())
    if want is not None and e_machine != want:
        return f"ELF machine {e_machine} is not this host's ({want})"
    if e_ehsize != 64:
        return "bad ELF header size"
    if e_phnum and (e_phentsize != 56 or e_phoff + e_phnum * 56 > n):
        return "program header table outside the file"
    if e_shnum == 0 or e_shentsize != 64 or e_shoff < 64 or e_shoff + e_shnum * 64 > n:
        return "section header table missing or outside the file"
    if e_shstrndx >= e_shnum:
        return "section name table index out of range"
    for k in range(e_shnum):
        (_, sh_type, _, _, sh_offset, sh_size, sh_link, _, _, sh_entsize) = struct.unpack(
            end + "IIQQQQIIQQ", buf[e_shoff + 64 * k:e_shoff + 64 * (k + 1)])
        if sh_type != 8 and sh_type != 0 and sh_offset + sh_size > n:  # (8: NOBITS)
            return f"section {k} lies outside the file"
        if sh_link >= e_shnum:
            return f"section {k} links to a section that does not exist"
        if sh_type in (2, 11) and sh_entsize != 24:  # symbol tables
            return f"section {k}: bad symbol entry size"
        if sh_type in (4, 9) and sh_entsize not in (16, 24):  # relocations
            return f"section {k}: bad relocation entry size"
    return None


def discard(path, problem):
    """Delete the cache entry at `path`, with a warning saying what was wrong with it."""
    warnings.warn(f"autograph_jit: discarded the disk cache entry {path}: {problem}; it is "
                  "compiled again.", RuntimeWarning, stacklevel=3)
    try:
        os.remove(path)
    except OSError:
        pass


def touch(path):
    """Mark the entry at `path` as just used (its mtime orders eviction)."""
    try:
        os.utime(path)
    except OSError:
        pass


def note_written(directory, nbytes):
    """Count bytes written into the cache `directory` (its size is measured once per process,
    then tracked); past the cap, evict. Other processes' writes are seen at the next walk."""
    cap = max_bytes()
    if cap is None:
        return
    with _lock:
        known = _sizes.get(directory)
        if known is not None and known + nbytes <= cap:
            _sizes[directory] = known + nbytes
            return
    total = enforce_limit(directory, cap)
    with _lock:
        _sizes[directory] = total


def enforce_limit(directory, cap=None):
    """Delete the least recently used entries of `directory` until it holds at most 80% of the
    cap, when it holds more than the cap. Returns the bytes it holds afterwards."""
    cap = max_bytes() if cap is None else cap
    entries = []
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(_SUFFIXES):
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
            total += st.st_size
    if cap is None or total <= cap:
        return total
    for _, size, path in sorted(entries):
        if total <= cap * 0.8:
            break
        try:
            os.remove(path)
        except OSError:
            continue
        total -= size
    return total
