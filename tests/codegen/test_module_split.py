"""A CPU module compiled in parts along its kernels (codegen/llvm/module_split.py,
runtime/llvm_pool.py, cpu_engine.CompiledModule): a training step is cut into parts that each
parse on their own, the parts' objects link in one engine and compute bit for bit what the
module compiled whole computes (a training step, and generated programs with the cut forced on
small modules), the object code does not depend on the number of compile threads, each part is
its own disk-cache entry, and modules the cut cannot handle safely compile whole."""
import os

import numpy as np

import autograph_jit as tf
from autograph_jit.codegen.llvm import module_split
from autograph_jit.runtime import cpu_engine, llvm_opt, llvm_worker

from ..reliability.fuzz import run_mode
from .._train_step import train_step
from ..reliability.gen import generate


def _train_step():
    """An MLP training step (matmuls, relu, softmax cross-entropy, Adam): ~20 kernels."""
    rng = np.random.default_rng(0)
    model = tf.keras.Sequential([tf.keras.Input((20,)), tf.keras.layers.Dense(16, "relu"),
                                 tf.keras.layers.Dense(4)])
    step = train_step(model, tf.keras.optimizers.Adam(1e-2),
                      tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.standard_normal((32, 20)).astype(np.float32)
    y = rng.integers(0, 4, 32)
    return model, step, x, y


def _run_steps(monkeypatch, split):
    if not split:
        monkeypatch.setattr(module_split, "split_module", lambda text, **k: None)
    tf.keras.utils.set_random_seed(1)
    model, step, x, y = _train_step()
    losses = [float(step(x, y)) for _ in range(5)]
    exe = step.get_concrete_function(x, y).native_executables[-1]
    return losses, [w.copy() for w in model.get_weights()], exe


def test_a_training_step_is_cut_into_parts_that_each_parse_with_every_kernel_once():
    _, step, x, y = _train_step()
    step(x, y)
    ir = step.get_concrete_function(x, y).native_executables[-1].ir_text
    parts = module_split.split_module(ir)
    assert parts is not None and 3 <= len(parts) <= module_split.MAX_PARTS
    assert 'define i32 @"agj_entry"' in parts[0]
    kernels = [line.split('@"')[1].split('"')[0] for line in ir.splitlines()
               if line.startswith('define internal i32 @"k_')]
    defined = [k for p in parts[1:] for k in kernels if f'define i32 @"{k}"(' in p]
    assert defined == kernels                       # each kernel once, in module order
    for k in kernels:
        assert f'declare i32 @"{k}"(' in parts[0]
    for text in parts:
        llvm_opt.parse(text)                        # each part parses and verifies alone


def test_a_training_step_compiled_in_parts_trains_bit_identically_to_it_compiled_whole(
        monkeypatch):
    whole = _run_steps(monkeypatch, split=False)
    monkeypatch.undo()
    parts = _run_steps(monkeypatch, split=True)
    assert whole[2].compiled.parts == 1 and parts[2].compiled.parts > 1
    assert whole[0] == parts[0]
    for a, b in zip(whole[1], parts[1]):
        assert a.tobytes() == b.tobytes()


def test_explain_says_a_module_was_compiled_in_parts():
    _, step, x, y = _train_step()
    step(x, y)
    assert "parts, compiled on threads)" in step.get_concrete_function(x, y).explain()


def _same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "error":
        return a[1] == b[1]
    flat = lambda out: [None if v is None else v.tobytes() for v in out[1] + out[2]]
    return flat(a) == flat(b)


def test_generated_programs_cut_into_parts_compute_what_they_compute_whole(monkeypatch):
    cut_count, differ = [], []
    real = module_split.split_module

    def counting(text, **kw):
        parts = real(text, **kw)
        cut_count.append(parts is not None)
        return parts
    for seed in range(500, 530):
        program = generate(seed)
        monkeypatch.setattr(module_split, "RUN_BYTES", module_split.RUN_BYTES)
        whole = run_mode(program, "cpu")
        monkeypatch.setattr(module_split, "RUN_BYTES", 0)   # every kernel a part of its own
        monkeypatch.setattr(module_split, "split_module", counting)
        cut = run_mode(program, "cpu")
        monkeypatch.setattr(module_split, "split_module", real)
        if not all(_same(a, b) for a, b in zip(whole, cut)):
            differ.append(seed)
    assert not differ, f"programs whose parts compute otherwise: {differ}"
    assert sum(cut_count) >= 10     # (most generated programs have two kernels or more)


def test_object_code_of_the_parts_does_not_depend_on_the_compile_threads(monkeypatch):
    _, step, x, y = _train_step()
    step(x, y)
    parts = module_split.split_module(step.get_concrete_function(x, y).native_executables[-1]
                                      .ir_text)
    monkeypatch.setenv("AUTOGRAPH_JIT_LLVM_WORKER", "0")
    info = cpu_engine.host_info()
    made = {}
    for threads in ("1", "3"):
        monkeypatch.setenv("AUTOGRAPH_JIT_COMPILE_THREADS", threads)
        objects, where = llvm_worker.compile_objects(parts, 3, info["cpu"], info["features"])
        assert where == "in-process"
        made[threads] = [obj for obj, _, _ in objects]
    assert made["1"] == made["3"]


def _objects(root):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".o"))


def test_each_part_is_its_own_cache_entry_and_a_damaged_one_alone_is_compiled_again(cache):
    _, step, x, y = _train_step()
    step(x, y)
    parts = module_split.split_module(step.get_concrete_function(x, y).native_executables[-1]
                                      .ir_text)
    for path in _objects(cache):
        os.remove(path)
    first = cpu_engine.compile_ir(parts)
    assert not first.from_cache and len(_objects(cache)) == len(parts)
    again = cpu_engine.compile_ir(parts)
    assert again.from_cache and again.timings[0][1] == 0
    victim = _objects(cache)[0]
    with open(victim, "r+b") as fh:          # one part's entry damaged: a checksum mismatch
        fh.seek(-8, os.SEEK_END)
        fh.write(b"\0" * 8)
    mended = cpu_engine.compile_ir(parts)
    assert not mended.from_cache and len(_objects(cache)) == len(parts)
    assert mended.address("agj_entry")


MUTABLE = '''define i32 @"agj_entry"(ptr %".1")
{
entry:
  %".2" = call i32 @"k_a_0"(ptr %".1")
  %".3" = call i32 @"k_b_0"(ptr %".1")
  ret i32 0
}
@"state" = internal global i32 0
define internal i32 @"k_a_0"(ptr noalias %".1")
{
entry:
  store i32 1, ptr @"state"
  ret i32 0
}
define internal i32 @"k_b_0"(ptr noalias %".1")
{
entry:
  %".2" = load i32, ptr @"state"
  ret i32 %".2"
}
'''


def test_modules_the_cut_cannot_handle_safely_compile_whole():
    assert module_split.split_module(MUTABLE, run_bytes=0) is None       # one copy of state
    constant = MUTABLE.replace("internal global i32 0", "internal constant i32 7")
    assert len(module_split.split_module(constant, run_bytes=0)) == 3
    assert module_split.split_module(constant) is None                    # too small to pay
    calling = constant.replace('store i32 1, ptr @"state"',
                               'call i32 @"k_b_0"(ptr %".1")')            # kernel -> kernel
    assert module_split.split_module(calling, run_bytes=0) is None
    grouped = constant + "attributes #0 = { nounwind }\n"
    assert module_split.split_module(grouped, run_bytes=0) is None        # a line it cannot place


def test_runs_close_at_their_size_and_the_limit_doubles_every_four_runs():
    cut = module_split.RunCutter(most=16, run_bytes=100)
    closed = [run for k in range(30) if (run := cut.add(f"k{k}", 50))]
    assert [len(run) for run in closed] == [2, 2, 2, 2, 4, 4, 4, 4]     # 100 B, then 200 B
    assert cut.rest() == [f"k{k}" for k in range(24, 30)]
    capped = module_split.RunCutter(most=4, run_bytes=100)
    runs = [run for k in range(10) if (run := capped.add(f"k{k}", 100))]
    assert len(runs) == 2 and capped.done and len(capped.rest()) == 8    # 2 + the rest: 4 parts


def test_a_part_carries_only_the_metadata_its_kernels_refer_to():
    text = (MUTABLE.replace("internal global i32 0", "internal constant i32 7")
            .replace('store i32 1, ptr @"state"', 'store i32 1, ptr @"state", !tbaa !1')
            + '!0 = !{ !"unused" }\n!1 = !{ !"used", !2 }\n!2 = !{ !"reached through !1" }\n')
    parts = module_split.split_module(text, run_bytes=0)
    k_a = next(p for p in parts if 'define i32 @"k_a_0"' in p)
    assert "!1 = " in k_a and "!2 = " in k_a and "!0 = " not in k_a
    assert all("!0 = " not in p for p in parts)


def test_a_split_steps_entry_part_compiles_at_plumbing_and_its_kernels_at_o3():
    _, step, x, y = _train_step()
    step(x, y)
    compiled = step.get_concrete_function(x, y).native_executables[-1].compiled
    assert compiled.parts > 1
    assert compiled.part_levels[0] == llvm_opt.PLUMBING      # the entry: integers, pointers
    assert set(compiled.part_levels[1:]) == {3}               # kernels: float code, full -O3
    assert llvm_opt.codegen_level(llvm_opt.PLUMBING) == 0
    assert llvm_opt.codegen_level(llvm_opt.GLUE) == 1


# reads a tuple's first item and that array's data pointer or flags, as the entry does
PROBE = """
define i64 @probe(ptr %t, i64 %which) {
  %slot = getelementptr i64, ptr %t, i64 3
  %arr = load ptr, ptr %slot
  %pd = getelementptr i64, ptr %arr, i64 2
  %d = load i64, ptr %pd
  %pf = getelementptr i8, ptr %arr, i64 64
  %f = load i32, ptr %pf
  %f64 = zext i32 %f to i64
  %is_data = icmp eq i64 %which, 0
  %r = select i1 %is_data, i64 %d, i64 %f64
  ret i64 %r
}
"""


def test_plumbing_emits_other_code_than_glue_that_computes_the_same():
    import ctypes
    info = cpu_engine.host_info()
    objects = {level: llvm_opt.compile_object(PROBE, level, info["cpu"], info["features"])[0]
               for level in (llvm_opt.GLUE, llvm_opt.PLUMBING)}
    assert objects[llvm_opt.GLUE] != objects[llvm_opt.PLUMBING]
    a = np.zeros(3)
    for level in objects:
        mod = cpu_engine.compile_ir(PROBE, level, use_cache=False)
        probe = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.py_object, ctypes.c_int64)(
            mod.address("probe"))
        assert probe((a,), 0) == a.ctypes.data and probe((a[::2],), 1) & 1 == 0
