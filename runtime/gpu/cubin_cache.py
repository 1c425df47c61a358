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
import json

from . import ptxas
from .entry_cache import EntryCache, digest

MAGIC = b"AGJCUBIN1"


def cache_key(ptx, sm, ptxas_version):
    """The entry's key: sha256 of the format, the ptxas version, the target and the PTX."""
    return digest(MAGIC.decode(), ".".join(map(str, ptxas_version)), sm, ptx)


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


_CACHE = EntryCache(".cubin", MAGIC, _encode, _decode, "cubin")
stats = _CACHE.stats
clear_memory = _CACHE.clear_memory


def get_or_assemble(ptx, sm):
    """An Assembled (cubin, usage, log) for `ptx` on `sm`: from memory, from disk, or from ptxas
    (then stored). Raises what ptxas.assemble raises."""
    exe = ptxas.require()
    return _CACHE.get_or_make(cache_key(ptx, sm, ptxas.version(exe)),
                              lambda: ptxas.assemble(ptx, sm))


