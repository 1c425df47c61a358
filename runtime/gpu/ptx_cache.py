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
import json

from .entry_cache import EntryCache, digest

MAGIC = b"AGJPTX1"


def cache_key(parts):
    """sha256 of the format and every part (strings), each ended by a NUL."""
    return digest(MAGIC.decode(), *parts)


def _decode(body):
    try:
        ir_text, ptx = json.loads(body.decode())
    except (ValueError, UnicodeDecodeError, TypeError):
        return None
    if not isinstance(ir_text, str) or not isinstance(ptx, str) or ".target" not in ptx:
        return None
    return ir_text, ptx


_CACHE = EntryCache(".ptx", MAGIC, lambda result: json.dumps(list(result)).encode(), _decode,
                    "PTX")
stats = _CACHE.stats
clear_memory = _CACHE.clear_memory


def get_or_compile(parts, compile_fn):
    """(optimized IR, PTX) for the key `parts`: from memory, from disk, or `compile_fn()`
    (then stored). Raises what compile_fn raises (nothing is stored then)."""
    return _CACHE.get_or_make(cache_key(parts), compile_fn)


__all__ = ["get_or_compile", "cache_key", "clear_memory", "stats"]
