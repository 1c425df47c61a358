"""The persistent cubin cache: PTX assembled once per (PTX text, sm_XX, ptxas version).

Assembling costs 25-40 ms a small kernel and much more for big ones; a warm process should pay
nothing, and a new process little (numba #8888 and jax #2490 are about slow first calls). Entries
live in the package's disk cache (`cpu_engine.cache_dir()`: $AUTOGRAPH_JIT_CACHE_DIR or
~/.cache/autograph_jit; AUTOGRAPH_JIT_CACHE=0 switches it off) as `<key[:2]>/<key>.cubin`, with
the same checksummed header as object files (a bad entry is ignored and assembled again) and
under the same size cap ($AUTOGRAPH_JIT_CACHE_MAX_MB, least recently used first). A process
also keeps what it assembled in memory.

Example:
    assembled = get_or_assemble(ptx_text, "sm_90")   # ptxas.Assembled
"""
import hashlib
import json
import os
import threading

from .. import cache_files, cpu_engine
from . import ptxas

MAGIC = b"AGJCUBIN1"
_memory = {}
_lock = threading.Lock()
stats = {"hits": 0, "disk_hits": 0, "misses": 0}


def cache_key(ptx, sm, ptxas_version):
    """The entry's key: sha256 of the format, the ptxas version, the target and the PTX."""
    h = hashlib.sha256()
    for part in (MAGIC.decode(), ".".join(map(str, ptxas_version)), sm, ptx):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _path(key):
    directory = cpu_engine.cache_dir()
    return None if directory is None else os.path.join(directory, key[:2], key + ".cubin")


def get_or_assemble(ptx, sm):
    """An Assembled (cubin, usage, log) for `ptx` on `sm`: from memory, from disk, or from ptxas
    (then stored). Raises what ptxas.assemble raises."""
    exe = ptxas.require()
    key = cache_key(ptx, sm, ptxas.version(exe))
    with _lock:
        hit = _memory.get(key)
    if hit is not None:
        stats["hits"] += 1
        return hit
    path = _path(key)
    if path is not None:
        body = cpu_engine.read_entry(path, key, MAGIC)
        if body is not None:
            result = _decode(body)
            if result is not None:
                stats["disk_hits"] += 1
                with _lock:
                    _memory[key] = result
                return result
            cache_files.discard(path, "not a cubin entry")
    stats["misses"] += 1
    result = ptxas.assemble(ptx, sm)
    if path is not None:
        cpu_engine.write_entry(path, key, _encode(result), MAGIC)
    with _lock:
        _memory[key] = result
    return result


def _encode(result):
    meta = json.dumps({"usage": result.usage, "log": result.log}).encode()
    return len(meta).to_bytes(8, "little") + meta + result.cubin


def _decode(body):
    try:
        n = int.from_bytes(body[:8], "little")
        meta = json.loads(body[8:8 + n].decode())
        cubin = body[8 + n:]
    except (ValueError, UnicodeDecodeError):
        return None
    if not cubin.startswith(b"\x7fELF"):
        return None
    return ptxas.Assembled(cubin, meta["usage"], meta["log"])


def clear_memory():
    """Forget what this process assembled (the disk entries stay)."""
    with _lock:
        _memory.clear()
