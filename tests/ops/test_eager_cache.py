"""The eager fast path (ops/opdef.py `apply`, ops/eager_cache.py): a repeated op skips its type
rule, with results, warnings and errors those of the first (uncached) call."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ops import eager_cache, math_ops, opdef
from autograph_jit.ops.opdef import apply


@pytest.fixture
def fresh_cache():
    eager_cache.clear()
    yield eager_cache.CACHE
    eager_cache.clear()


def _infer_calls(monkeypatch, op):
    """Count the runs of `op`'s type rule."""
    calls = []
    infer = op.infer

    def counting(*a, **k):
        calls.append(1)
        return infer(*a, **k)
    monkeypatch.setattr(op, "infer", counting)
    return calls


def test_a_repeated_op_runs_its_type_rule_once_per_dtypes_shapes_and_attributes(
        monkeypatch, fresh_cache):
    calls = _infer_calls(monkeypatch, math_ops._add)
    x = tf.constant([1.0, 2.0])
    for _ in range(3):
        assert (x + 1).numpy().tolist() == [2.0, 3.0]
    assert len(calls) == 1
    tf.constant([[1.0], [2.0]]) + 1   # another shape: the rule runs again
    tf.constant([1, 2]) + 1           # another dtype
    assert len(calls) == 3


def test_errors_stay_the_same_after_the_op_was_cached(fresh_cache):
    x = tf.constant([1.0, 2.0])
    x + x   # cached for float32 [2] + float32 [2]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. "
                                                            r"\[3\]"):
        x + tf.constant([1.0, 2.0, 3.0])
    for _ in range(2):   # a failed rule is never cached: the same error each time
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="expected to be a float32 tensor but is a int32 tensor"):
            tf.add(x, tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant([1, 2]) + 1.5
    with pytest.raises(ValueError, match="out of bounds for int32"):
        tf.constant([1, 2]) + 2 ** 40
    with pytest.raises(ValueError, match="Cannot convert"):
        x + 2 ** 2000   # too large for a float


def test_python_scalars_convert_as_convert_to_tensor_does(fresh_cache):
    for dtype in (tf.float16, tf.float32, tf.float64, tf.int8, tf.int32, tf.int64, tf.uint8):
        t = tf.ones([2], dtype)
        for v in (3, 1.0, True):
            if dtype.is_integer and isinstance(v, float):
                continue
            want = tf.add(t, tf.convert_to_tensor(v, dtype=dtype)).numpy()
            assert np.array_equal((t + v).numpy(), want), (dtype, v)
            assert np.array_equal((v + t).numpy(), want), (dtype, v)
            assert (t + v).dtype is dtype
    with pytest.raises(ValueError, match="Cannot convert -1 to EagerTensor of dtype uint8"):
        tf.ones([2], tf.uint8) + (-1)
    with pytest.raises(ValueError, match="Cannot convert 200 to EagerTensor of dtype int8"):
        tf.ones([2], tf.int8) + 200
    half = tf.ones([2], tf.float16)
    for _ in range(2):   # every time, as convert_to_tensor does
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert np.isinf((half * 1e10).numpy()).all()   # the cast overflows, NumPy warns
        assert [str(w.message) for w in seen] == ["overflow encountered in cast"]


def test_negative_zero_and_int_float_attributes_key_apart():
    key = eager_cache.attrs_key
    assert key({"a": 0.0}) != key({"a": -0.0})
    assert len({key({"a": 1}), key({"a": 1.0}), key({"a": True})}) == 3
    assert key({"a": [1, 2]}) != key({"a": (1, 2)})
    assert key({"a": tf.float32}) == key({"a": tf.float32})
    assert key({"a": np.float32(1)}) is None   # not plain data: the call is not cached
    assert key({"a": object()}) is None
    assert key({"a": [1, object()]}) is None


def test_a_type_rule_that_reads_input_values_is_never_cached(fresh_cache):
    x = tf.range(6)
    assert tf.reshape(x, tf.constant([2, 3])).shape == [2, 3]
    assert tf.reshape(x, tf.constant([3, 2])).shape == [3, 2]   # same key, other value
    reshape = next(op for op in opdef.REGISTRY.values() if op.name == "reshape")
    assert not reshape.eager_cacheable
    assert not any(k[0] is reshape for k in fresh_cache)


def test_the_cache_keeps_at_most_limit_entries(monkeypatch, fresh_cache):
    monkeypatch.setattr(eager_cache, "LIMIT", 16)
    for n in range(1, 60):
        tf.zeros([n]) + 1.0
    assert len(fresh_cache) == 16
    assert (tf.zeros([3]) + 1.0).numpy().tolist() == [1.0, 1.0, 1.0]   # evicted: still right


def test_variables_key_by_identity_dtype_and_shape(fresh_cache):
    v = tf.Variable([1.0, 2.0])
    v.assign([3.0, 4.0])
    v.assign(tf.constant([5.0, 6.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot assign a int32 value"):
        v.assign(tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="of shape"):
        v.assign(tf.constant([1.0, 2.0, 3.0]))
    w = tf.Variable([1, 2])   # another variable: its own key
    w.assign(tf.constant([7, 8]))
    assert v.numpy().tolist() == [5.0, 6.0] and w.numpy().tolist() == [7, 8]


def test_a_tensor_read_before_an_assign_keeps_its_value():
    v = tf.Variable([1.0, 2.0])
    before = v.read_value()
    new = tf.constant([3.0, 4.0])
    v.assign(new)                    # the variable takes the tensor's frozen buffer
    assert before.numpy().tolist() == [1.0, 2.0]
    v.assign_add(tf.constant([1.0, 1.0]))
    assert new.numpy().tolist() == [3.0, 4.0] and v.numpy().tolist() == [4.0, 5.0]
    with pytest.raises(ValueError):
        np.asarray(v.read_value())[0] = 9.0   # still read-only


def test_results_are_read_only_and_own_dtype_for_every_path():
    x = tf.constant([1.0, -2.0])
    for out in (x + 1, tf.nn.relu(x), tf.reduce_sum(x), tf.matmul(tf.ones([2, 2]), tf.ones([2, 1]))):
        arr = np.asarray(out)
        assert not arr.flags.writeable and arr.dtype == np.float32


def test_matmul_gradients_skip_only_unwatched_inputs():
    a, b = tf.constant([[1.0, 2.0]]), tf.constant([[3.0], [4.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(b)
        y = tf.matmul(a, b)
    assert tape.gradient(y, b).numpy().tolist() == [[1.0], [2.0]]
    assert tape.gradient(y, a) is None
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = tf.matmul(a, b, transpose_a=False, transpose_b=False)
    ga, gb = tape.gradient(y, [a, b])
    assert ga.numpy().tolist() == [[3.0, 4.0]] and gb.numpy().tolist() == [[1.0], [2.0]]


def test_ops_record_on_a_tape_only_when_an_input_is_watched():
    x, c = tf.constant(2.0), tf.constant(5.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        c * c            # unwatched inputs: not recorded
        y = x * x + c
    assert len(tape._records) == 2
    assert float(tape.gradient(y, x)) == 4.0


def test_symbolic_and_foreign_inputs_keep_their_errors():
    with pytest.raises(TypeError, match="expected tensors as inputs, got list"):
        apply(math_ops._add, [1.0], tf.constant(1.0))


def test_python_scalar_operands_keep_sign_nan_and_gradients():
    x = tf.constant([1.0, 2.0])
    for _ in range(2):
        assert np.signbit((x * -0.0).numpy()).all() and not np.signbit((x * 0.0).numpy()).any()
        assert np.isnan((x + float("nan")).numpy()).all()
        assert (x + 1).numpy().tolist() == [2.0, 3.0] and (x + 1.0) is not (x + 1.0)
        assert (tf.constant([1, 2]) + 1).dtype is tf.int32
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * 3.0 + x * 3.0
    assert tape.gradient(y, x).numpy().tolist() == [6.0, 6.0]


def test_threads_filling_a_small_cache_at_once_get_right_results(monkeypatch, fresh_cache):
    import threading
    monkeypatch.setattr(eager_cache, "LIMIT", 4)
    errors = []

    def work(k):
        try:
            for n in range(1, 60):
                out = tf.ones([n + k]) * 2.0 + 1.0
                assert out.numpy().tolist() == [3.0] * (n + k)
        except Exception as e:   # (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(fresh_cache) <= 4 + len(threads)
