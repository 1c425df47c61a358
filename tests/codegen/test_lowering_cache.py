"""The lowering cache (codegen/llvm/lowering_cache.py): a warm disk cache skips the Python
lowering, with results, llvm_ir() and explain() identical to a lowering built from scratch; a
changed graph, shape, constant or attr misses; a corrupted or foreign entry is ignored."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm import lowering_cache
from autograph_jit.codegen.llvm.executable import variables_of
from autograph_jit.codegen.llvm.specialize import Spec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _entries(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".lower")]


def _make_step(scale=2.0):
    """A fresh function over fresh variables; the same code (and source lines) each time."""
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name="w")
    b = tf.Variable(np.zeros(3, np.float32), name="b")

    @tf.function
    def step(x):
        h = tf.nn.relu(x @ w + b) * scale
        b.assign_add(tf.reduce_sum(h, axis=0))
        return tf.reduce_mean(h), h
    return step, b


def _exe(fn, *args):
    return fn.get_concrete_function(*args).native_executables[-1]


X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


def test_identical_function_in_the_same_process_takes_the_cached_lowering(cache):
    first, b1 = _make_step()
    out1 = first(tf.constant(X))
    second, b2 = _make_step()
    out2 = second(tf.constant(X))
    e1, e2 = _exe(first, tf.constant(X)), _exe(second, tf.constant(X))
    assert not e1.lowering_from_cache and e2.lowering_from_cache
    for a, c in zip(out1, out2):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
    np.testing.assert_array_equal(b1.numpy(), b2.numpy())
    assert e2.ir_text == e1.ir_text and e2.workspace_bytes == e1.workspace_bytes
    assert e2.annotations == e1.annotations
    assert e2.errors.entries == e1.errors.entries
    cf1 = first.get_concrete_function(tf.constant(X))
    cf2 = second.get_concrete_function(tf.constant(X))
    assert cf2.llvm_ir() == cf1.llvm_ir()
    assert "llvm lower (cached)" in [n for n, _ in cf2.stage_times]
    assert "lowering cache" in "\n".join(cf2.backend_report)
    # a second call runs on the cached executable and updates the variable the same way
    np.testing.assert_array_equal(first(tf.constant(X))[1].numpy(),
                                  second(tf.constant(X))[1].numpy())
    np.testing.assert_array_equal(b1.numpy(), b2.numpy())


def _key(fn, *args):
    g = fn.get_concrete_function(*args).optimized_graph
    specs = [Spec(p.type.dtype, p.type.shape.as_tuple()) for p in g.data_params]
    return lowering_cache.key_for(g, specs, variables_of(g)[0], "vecmath")


def test_key_is_the_same_for_a_retrace_and_differs_for_shape_constant_and_attr(cache):
    def make(scale, transpose):
        @tf.function
        def f(x):
            return tf.matmul(x, x, transpose_b=transpose) * scale
        return f
    sq = tf.constant(np.ones((3, 3), np.float32))
    base = _key(make(2.0, False), sq)
    assert base is not None and _key(make(2.0, False), sq) == base
    assert _key(make(3.0, False), sq) != base                       # a constant
    assert _key(make(2.0, True), sq) != base                        # an attr
    assert _key(make(2.0, False), tf.constant(np.ones((4, 4), np.float32))) != base  # a shape
    assert _key(make(2, False), tf.constant(np.ones((3, 3), np.int32))) != base       # dtypes


def test_changed_graph_misses_the_cache(cache):
    @tf.function
    def f(x):
        return x * 2.0 + 1.0

    @tf.function
    def g(x):
        return x * 2.0 - 1.0
    x = tf.constant(X)
    np.testing.assert_allclose(f(x).numpy(), X * 2 + 1)
    np.testing.assert_allclose(g(x).numpy(), X * 2 - 1)
    assert not _exe(g, x).lowering_from_cache


def test_key_is_none_when_the_cache_is_switched_off(cache, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    step, _ = _make_step()
    step(tf.constant(X))
    assert not _exe(step, tf.constant(X)).lowering_from_cache
    assert _entries(cache) == []


def test_attr_of_an_unknown_type_makes_the_graph_uncacheable():
    w = lowering_cache._Writer([])
    with pytest.raises(lowering_cache.Uncacheable):
        w.attr(object())
    with pytest.raises(lowering_cache.Uncacheable):
        w.attr(np.array([object()]))


@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign"])
def test_corrupted_or_foreign_entry_is_ignored(cache, damage):
    first, _ = _make_step()
    want = first(tf.constant(X))
    (path,) = _entries(cache)
    blob = bytearray(open(path, "rb").read())
    if damage == "flip":
        blob[-5] ^= 0xFF
    elif damage == "truncate":
        blob = blob[:len(blob) // 2]
    else:
        blob = bytearray(b"AGJITOBJ1\n" + blob[10:])
    with open(path, "wb") as fh:
        fh.write(bytes(blob))
    second, _ = _make_step()
    got = second(tf.constant(X))
    assert not _exe(second, tf.constant(X)).lowering_from_cache
    for a, c in zip(want, got):
        np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_entry_whose_body_does_not_decode_is_a_miss(cache):
    key = "ab" * 32
    lowering_cache.store(key, {"ws_size": 0, "symbols": []}, "x")
    assert lowering_cache.load(key).ir_text == "x"
    lowering_cache.store(key, {"ws_size": 0, "symbols": [3]}, "x")  # malformed: not names
    assert lowering_cache.load(key) is None
    path = lowering_cache._path(key)
    from autograph_jit.runtime import cpu_engine
    cpu_engine.write_entry(path, key, b"\x05\x00\x00\x00junk!junk", lowering_cache.MAGIC)
    assert lowering_cache.load(key) is None
    cpu_engine.write_entry(path, "cd" * 32, b"", lowering_cache.MAGIC)  # another key's header
    assert lowering_cache.load(key) is None


def test_runtime_error_message_is_the_same_on_a_hit(cache):
    def make():
        @tf.function
        def f(x, i):
            return tf.gather(x, i)
        return f
    x, i = tf.constant(X[0]), tf.constant(np.array([0, 9], np.int32))
    messages = []
    for fn in (make(), make()):
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            fn(x, i)
        messages.append(str(info.value))
    assert _exe(fn, x, i).lowering_from_cache
    assert messages[0] == messages[1] and "9" in messages[0]


_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import autograph_jit as tf
    w = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)

    @tf.function
    def step(x):
        h = tf.nn.relu(x @ w) * 2.0
        w.assign_sub(0.1 * tf.reduce_mean(h) * w)
        return tf.exp(-h)
    x = tf.constant(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
    out = step(x).numpy()
    cf = step.get_concrete_function(x)
    exe = cf.native_executables[-1]
    print(json.dumps({"out": out.tolist(), "w": w.numpy().tolist(),
                      "cached": exe.lowering_from_cache, "from_cache": exe.compiled.from_cache,
                      "ir": cf.llvm_ir(), "explain": str(cf.explain()),
                      "stages": [n for n, _ in cf.stage_times]}))
""")


def _child(cache_dir):
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(cache_dir), AUTOGRAPH_JIT_CACHE="1")
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_takes_lowering_and_object_from_the_disk_cache(cache):
    cold = _child(cache)
    warm = _child(cache)
    assert not cold["cached"] and warm["cached"] and warm["from_cache"]
    assert warm["out"] == cold["out"] and warm["w"] == cold["w"]
    assert warm["ir"] == cold["ir"] and "define" in warm["ir"]
    assert "llvm lower (cached)" in warm["stages"]
    assert "llvm lower (cached)" in warm["explain"] and "lowering cache" in warm["explain"]


def test_host_callback_and_random_ops_run_the_same_on_a_hit(cache, capfd):
    def make():
        @tf.function
        def f(x):
            tf.print("x is", x)
            return x * 2.0 + tf.reduce_sum(tf.random.uniform([3], seed=7))
        return f
    x = tf.constant(np.arange(3, dtype=np.float32))
    a, b = make(), make()
    ra, rb = a(x).numpy(), b(x).numpy()
    assert _exe(b, x).lowering_from_cache
    assert [n.op.name for n, _, _ in _exe(b, x).host_nodes] == ["print"]
    assert _exe(b, x).host_nodes[0][0] is not _exe(a, x).host_nodes[0][0]  # b's own node
    assert capfd.readouterr().err.count("x is [0 1 2]") == 2
    # each function's random ops draw as they would without the cache (op seeds differ)
    np.testing.assert_allclose(ra - 2 * np.arange(3), ra[0], rtol=1e-6)
    np.testing.assert_allclose(rb - 2 * np.arange(3), rb[0], rtol=1e-6)


def test_entry_naming_nodes_the_graph_lacks_is_rebuilt_from_scratch(cache):
    first, _ = _make_step()
    want = first(tf.constant(X))
    (path,) = _entries(cache)
    key = os.path.basename(path)[:-len(".lower")]
    entry = lowering_cache.load(key)
    lowering_cache.store(key, dict(entry.meta, fallbacks=[[10 ** 6, "nowhere"]]), entry.ir_text)
    second, _ = _make_step()
    got = second(tf.constant(X))
    assert not _exe(second, tf.constant(X)).lowering_from_cache
    for a, c in zip(want, got):
        np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_symbols_are_registered_on_a_hit_and_an_unknown_one_is_a_miss(cache):
    assert lowering_cache.resolve_symbols(["ag_matmul_f32", "expf"])
    assert not lowering_cache.resolve_symbols(["agj_no_such_symbol"])
    first, _ = _make_step()
    want = first(tf.constant(X))
    (path,) = _entries(cache)
    key = os.path.basename(path)[:-len(".lower")]
    entry = lowering_cache.load(key)
    lowering_cache.store(key, dict(entry.meta, symbols=["agj_no_such_symbol"]), entry.ir_text)
    second, _ = _make_step()
    got = second(tf.constant(X))
    assert not _exe(second, tf.constant(X)).lowering_from_cache
    for a, c in zip(want, got):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
