"""The disk cache is safe and bounded (issue 11, defects 8 and 10): an entry with a valid header
and checksum whose body is not an object file is discarded with a warning instead of aborting
the process in LLVM (run in a subprocess, so an abort fails the test instead of ending the run);
a cached lowering LLVM rejects is dropped and lowered again; the cache directory stays under
$AUTOGRAPH_JIT_CACHE_MAX_MB, least recently used entries evicted first."""
import glob
import os
import struct
import subprocess
import sys
import time

import pytest

from autograph_jit.runtime import cache_files, cpu_engine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (wait_prewarm: every process then writes, or reads, the same entries, the native warm call's
# too, which the backend otherwise makes in the background after a first call)
_PROGRAM = """
import autograph_jit as tf
from autograph_jit.codegen import wait_prewarm
print(tf.function(lambda x: x * 3.0 + 1.0)(tf.ones([3])).numpy().tolist())
wait_prewarm()
"""

_REWRITE = """
import glob, os, sys
from autograph_jit.runtime import cpu_engine as ce
from autograph_jit.codegen.llvm import lowering_cache as lc
root, how = sys.argv[1], sys.argv[2]
for path in glob.glob(os.path.join(root, "*", "*.o")) if how != "lowering" else []:
    key = os.path.basename(path)[:-2]
    body = ce.read_entry(path, key, ce.MAGIC)
    if how == "random":
        bad = bytes((i * 7 + 3) % 256 for i in range(len(body)))
    elif how == "elf-header-only":
        bad = body[:64]
    else:  # section table pointing past the end
        bad = body[:40] + (len(body) * 4).to_bytes(8, "little") + body[48:]
    ce.write_entry(path, key, bad, ce.MAGIC)
for path in glob.glob(os.path.join(root, "*", "*.lower")) if how == "lowering" else []:
    key = os.path.basename(path)[:-6]
    entry = lc.load(key)
    meta = {k: v for k, v in entry.meta.items() if k != "key"}
    lc.store(key, meta, "this is not LLVM IR\\n")
"""


def _run(code, cache, *args):
    env = dict(os.environ, PYTHONPATH=ROOT, AUTOGRAPH_JIT_CACHE_DIR=str(cache),
               AUTOGRAPH_JIT_CACHE="1")
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("how", ["random", "elf-header-only", "elf-bad-section-table",
                                 "lowering"])
def test_a_crafted_cache_entry_is_discarded_with_a_warning_not_a_crash(tmp_path, how):
    first = _run(_PROGRAM, tmp_path)
    assert first.returncode == 0, first.stderr
    rewrite = _run(_REWRITE, tmp_path, str(tmp_path), how)
    assert rewrite.returncode == 0, rewrite.stderr
    again = _run(_PROGRAM, tmp_path)
    assert again.returncode == 0, f"the process died ({again.returncode}): {again.stderr[-2000:]}"
    assert again.stdout.strip() == "[4.0, 4.0, 4.0]"
    assert "discarded the disk cache entry" in again.stderr
    third = _run(_PROGRAM, tmp_path)  # the entry was replaced by a good one
    assert third.returncode == 0 and "discarded" not in third.stderr
    assert third.stdout.strip() == "[4.0, 4.0, 4.0]"


def _elf(**fields):
    """A minimal well-formed relocatable ELF for this host: header + 2 section headers."""
    import platform
    machine = cache_files._MACHINES.get(platform.machine().lower(), 62)
    header = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
              + struct.pack("<HHIQQQIHHHHHH", fields.get("e_type", 1), machine, 1, 0, 0, 64,
                            0, 64, 0, 0, 64, 2, fields.get("shstrndx", 1)))
    null = bytes(64)
    strtab = struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, 192, fields.get("size", 1), 0, 0, 1, 0)
    return header + null + strtab + b"\0"


def test_object_check_accepts_a_well_formed_object_and_names_each_defect():
    assert cache_files.object_problem(_elf()) is None
    assert "not an ELF" in cache_files.object_problem(b"\0" * 200)
    assert "relocatable" in cache_files.object_problem(_elf(e_type=3))
    assert "outside the file" in cache_files.object_problem(_elf(size=10 ** 6))
    assert "name table" in cache_files.object_problem(_elf(shstrndx=9))
    assert "section header table" in cache_files.object_problem(_elf()[:150])


def test_real_objects_from_the_compiler_pass_the_check(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    import autograph_jit as tf
    tf.function(lambda x: tf.tanh(x) @ tf.transpose(x))(tf.ones([3, 3]))
    objects = glob.glob(str(tmp_path / "*" / "*.o"))
    assert objects
    for path in objects:
        key = os.path.basename(path)[:-2]
        assert cache_files.object_problem(cpu_engine.read_entry(path, key,
                                                                cpu_engine.MAGIC)) is None


def _fill(directory, n, size):
    paths = []
    for k in range(n):
        path = os.path.join(directory, f"{k:02x}"[:2], f"{k:064x}.o")
        cpu_engine.write_entry(path, f"{k:064x}", bytes(size), cpu_engine.MAGIC)
        os.utime(path, (1000 + k, 1000 + k))
        paths.append(path)
    return paths


def test_the_cache_directory_stays_under_its_cap_least_recently_used_first(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_MAX_MB", "1")
    paths = _fill(str(tmp_path), 30, 100_000)  # 3 MB written into a 1 MB cache
    kept = [p for p in paths if os.path.exists(p)]
    total = sum(os.path.getsize(p) for p in kept)
    assert total <= 2 ** 20
    assert kept and len(kept) < 30
    assert kept == paths[-len(kept):]  # the newest survive


def test_reading_an_entry_makes_it_recently_used(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_MAX_MB", "1")
    paths = _fill(str(tmp_path), 8, 100_000)
    oldest = paths[0]
    key = os.path.basename(oldest)[:-2]
    assert cpu_engine.read_entry(oldest, key, cpu_engine.MAGIC) is not None
    assert os.path.getmtime(oldest) > time.time() - 60
    _fill_more = [os.path.join(str(tmp_path), "zz", f"{k:063x}z.o") for k in range(10)]
    for k, path in enumerate(_fill_more):
        cpu_engine.write_entry(path, f"{k:063x}z", bytes(100_000), cpu_engine.MAGIC)
        os.utime(path, (2000 + k, 2000 + k))
    cache_files.enforce_limit(str(tmp_path))
    assert os.path.exists(oldest)  # read just now: the newest of all
    assert not os.path.exists(paths[1])


def test_the_cap_defaults_to_a_few_hundred_mb_and_zero_turns_it_off(monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_JIT_CACHE_MAX_MB", raising=False)
    assert cache_files.max_bytes() == 256 * 2 ** 20
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_MAX_MB", "0")
    assert cache_files.max_bytes() is None
