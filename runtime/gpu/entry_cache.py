"""A two-level cache of compiled artifacts (the GPU backend's PTX and cubins): in this process's
memory, then on disk in the package's cache directory (`cpu_engine.cache_dir()`: the same
switch, checksummed header and size cap as object files), else made and stored.

ptx_cache.py and cubin_cache.py are instances: each names its file suffix, header magic and the
encoding of one entry; everything else (lookups, statistics, discarding bad entries) is here.

Example:
    cache = EntryCache(".ptx", b"AGJPTX1", encode, decode, "PTX")
    value = cache.get_or_make(key, lambda: compile_for_real())
"""
import hashlib
import os
import threading

from .. import cache_files, cpu_engine

__all__ = ["EntryCache", "digest"]


def digest(*parts):
    """sha256 (hex) of the parts (anything with str()), each ended by a NUL."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


class EntryCache:
    """Memory and disk entries of one kind: `get_or_make(key, make)`, `stats`, `clear_memory()`.

    suffix: the disk entries' file suffix; magic: their header's format tag; encode(value) ->
    bytes and decode(bytes) -> value or None (None: not an entry of this kind, discarded); what:
    the kind's name in the discard message.
    """

    def __init__(self, suffix, magic, encode, decode, what):
        self.suffix, self.magic, self.what = suffix, magic, what
        self.encode, self.decode = encode, decode
        self.memory = {}
        self.lock = threading.Lock()
        self.stats = {"hits": 0, "disk_hits": 0, "misses": 0}

    def _path(self, key):
        directory = cpu_engine.cache_dir()
        return None if directory is None else os.path.join(directory, key[:2], key + self.suffix)

    def get_or_make(self, key, make):
        """The value for `key`: from memory, from disk, or `make()` (then stored). Raises what
        make raises (nothing is stored then)."""
        with self.lock:
            hit = self.memory.get(key)
        if hit is not None:
            self.stats["hits"] += 1
            return hit
        path = self._path(key)
        if path is not None:
            body = cpu_engine.read_entry(path, key, self.magic)
            if body is not None:
                value = self.decode(body)
                if value is not None:
                    self.stats["disk_hits"] += 1
                    with self.lock:
                        self.memory[key] = value
                    return value
                cache_files.discard(path, f"not a {self.what} entry")
        self.stats["misses"] += 1
        value = make()
        if path is not None:
            cpu_engine.write_entry(path, key, self.encode(value), self.magic)
        with self.lock:
            self.memory[key] = value
        return value

    def clear_memory(self):
        """Forget what this process made (the disk entries stay)."""
        with self.lock:
            self.memory.clear()
