"""The persistent PTX cache: a kernel module's LLVM IR compiled once per (IR text, target,
LLVM version, libdevice) — the code generator's other slow step next to ptxas (cubin_cache.py).

LLVM's O3 pipeline and NVPTX code generation take most of a cold compile (hundreds of ms for a
training step's module); the same function compiled again — a new process, a retrace with the
same shapes, another tf.function with the same body — finds its PTX and optimized IR here.
Entries live beside the cubins (`cpu_engine.cache_dir()`, same switch, checksummed header and
size cap) as `<key[:2]>/<key>.ptx`; a process also keeps what it compiled in memory.

Example:
    optimized_ir, ptx = get_or_compile(key_parts, lambda: compile_for_real(ir_text))
"""
import hashlib
import json
import os
import threading

from .. import cache_files, cpu_engine

MAGIC = b"AGJPTX1"
_memory = {}
_lock = threading.Lock()
stats = {"hits": 0, "disk_hits": 0, "misses": 0}


def cache_key(parts):
    """sha256 of the format and every part (strings), each ended by a NUL."""
    h = hashlib.sha256()
    for part in (MAGIC.decode(), *parts):
        h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def _path(key):
    directory = cpu_engine.cache_dir()
    return None if directory is None else os.path.join(directory, key[:2], key + ".ptx")


def get_or_compile(parts, compile_fn):
    """(optimized IR, PTX) for the key `parts`: from memory, from disk, or `compile_fn()`
    (then stored). Raises what compile_fn raises (nothing is stored then)."""
    key = cache_key(parts)
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
            cache_files.discard(path, "not a PTX entry")
    stats["misses"] += 1
    result = compile_fn()
    if path is not None:
        cpu_engine.write_entry(path, key, json.dumps(list(result)).encode(), MAGIC)
    with _lock:
        _memory[key] = result
    return result


def _decode(body):
    try:
        ir_text, ptx = json.loads(body.decode())
    except (ValueError, UnicodeDecodeError, TypeError):
        return None
    if not isinstance(ir_text, str) or not isinstance(ptx, str) or ".target" not in ptx:
        return None
    return ir_text, ptx


def clear_memory():
    """Forget what this process compiled (the disk entries stay)."""
    with _lock:
        _memory.clear()


__all__ = ["get_or_compile", "cache_key", "clear_memory", "stats"]
