"""Symbolic batch dims (codegen/llvm/symdim.py): a graph whose inputs have an unknown leading dim
compiles once and runs every batch size natively, with eager's results and errors; graphs that
cannot take a symbolic dim compile per shape without ever falling back to the interpreter."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm.executable import SymbolicExecutable

RNG = np.random.default_rng(7)


def _mlp_weights():
    w1 = tf.constant(RNG.standard_normal((784, 64)).astype(np.float32) * 0.05)
    b1 = tf.constant(RNG.standard_normal(64).astype(np.float32) * 0.1)
    w2 = tf.constant(RNG.standard_normal((64, 10)).astype(np.float32) * 0.1)
    b2 = tf.constant(RNG.standard_normal(10).astype(np.float32) * 0.1)
    return w1, b1, w2, b2


def _cpu(f):
    return f.get_concrete_function()._cpu


def test_mlp_forward_with_50_batch_sizes_compiles_once_and_matches_eager():
    w1, b1, w2, b2 = _mlp_weights()

    def forward(x):
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        return tf.nn.softmax(tf.matmul(h, w2) + b2)

    f = tf.function(forward, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 784], tf.float32)])
    sizes = [1, 0, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129,
             200, 255, 256, 257, 300] + list(range(40, 62)) + [513, 1000, 1024]
    assert len(set(sizes)) >= 50
    for n in sizes:
        x = RNG.standard_normal((n, 784)).astype(np.float32)
        got = f(tf.constant(x)).numpy()
        want = forward(tf.constant(x)).numpy()
        assert got.shape == want.shape == (n, 10)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6, err_msg=f"batch {n}")
    cpu = _cpu(f)
    assert len(cpu.executables) <= 2
    assert isinstance(cpu.executables[0], SymbolicExecutable)
    assert cpu.fallbacks == []
    text = f.get_concrete_function().explain()
    assert "[n, 784]" in text and "symbolic: the leading dim n" in text
    assert "interpreter" not in text


@pytest.mark.filterwarnings("ignore:.*run on the interpreter")
def test_two_inputs_with_different_batch_sizes_raise_the_eager_error():
    f = tf.function(lambda a, b: a * 2.0 + b, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 4], tf.float32)] * 2)
    x = np.ones((5, 4), np.float32)
    np.testing.assert_array_equal(f(tf.constant(x), tf.constant(x)).numpy(), x * 3)
    assert isinstance(_cpu(f).executables[0], SymbolicExecutable)
    with pytest.raises(tf.errors.InvalidArgumentError):
        (tf.constant(x) * 2.0 + tf.constant(np.ones((3, 4), np.float32))).numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(tf.constant(x), tf.constant(np.ones((3, 4), np.float32)))
    # a batch of 1 broadcasts against 5, as eagerly
    one = np.full((1, 4), 7, np.float32)
    np.testing.assert_array_equal(f(tf.constant(x), tf.constant(one)).numpy(), x * 2 + one)


def test_zero_and_one_row_batches_match_eager():
    cases = {
        "chain": lambda x: tf.tanh(x * 0.5 + 1.0) * tf.sigmoid(x) + tf.exp(-x * x),
        "mean_rows": lambda x: tf.reduce_mean(x, axis=1),
        "sum_columns": lambda x: tf.reduce_sum(x * x, axis=0),
        "mean_all": lambda x: tf.reduce_mean(x),
        "max_columns": lambda x: tf.reduce_max(x, axis=0, keepdims=True),
        "argmax_rows": lambda x: tf.argmax(x, axis=1),
        "log_softmax": lambda x: tf.nn.log_softmax(x),
        "flatten": lambda x: tf.reshape(x, [-1]) * 2.0,
        "split_cols": lambda x: tf.reshape(x, [-1, 2, 3])[:, 1, :] + 1.0,
        "transpose_inner": lambda x: tf.transpose(tf.reshape(x, [-1, 2, 3]), [0, 2, 1]) - 1.0,
        "concat_cols": lambda x: tf.concat([x, x * 2.0], axis=1),
        "int_mean": lambda x: tf.reduce_mean(tf.cast(x * 10.0, tf.int32), axis=0),
    }
    for name, fn in cases.items():
        f = tf.function(fn, backend="cpu", autograph=False,
                        input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        for n in (3, 0, 1, 2, 33):
            x = RNG.standard_normal((n, 6)).astype(np.float32)
            want = fn(tf.constant(x)).numpy()
            got = f(tf.constant(x)).numpy()
            assert got.shape == want.shape and got.dtype == want.dtype, (name, n)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True,
                                       err_msg=f"{name} at batch {n}")
        cpu = _cpu(f)
        assert cpu.symbolic_reason is None, (name, cpu.symbolic_reason)
        assert len(cpu.executables) == 1 and cpu.fallbacks == [], name


def test_argmax_over_an_empty_symbolic_axis_raises_like_eager():
    f = tf.function(lambda x: tf.argmax(x, axis=0), backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    np.testing.assert_array_equal(f(tf.constant(np.eye(3, dtype=np.float32))).numpy(), [0, 1, 2])
    empty = tf.constant(np.zeros((0, 3), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.argmax(empty, axis=0).numpy()
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(empty)


def test_out_of_range_labels_raise_with_a_symbolic_batch():
    def loss(logits, labels):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

    f = tf.function(loss, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 5], tf.float32),
                                     tf.TensorSpec([None], tf.int32)])
    logits = RNG.standard_normal((4, 5)).astype(np.float32)
    labels = np.array([0, 4, 2, 1], np.int32)
    np.testing.assert_allclose(f(tf.constant(logits), tf.constant(labels)).numpy(),
                               loss(tf.constant(logits), tf.constant(labels)).numpy(), rtol=1e-5)
    assert isinstance(_cpu(f).executables[0], SymbolicExecutable)
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(tf.constant(logits), tf.constant(np.array([0, 5, 2, 1], np.int32)))


def test_variables_read_in_a_symbolic_graph_see_their_current_value():
    w = tf.Variable(np.ones((3, 2), np.float32))
    f = tf.function(lambda x: tf.matmul(x, w), backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), x @ np.ones((3, 2)))
    w.assign(np.full((3, 2), 2, np.float32))
    np.testing.assert_allclose(f(tf.constant(x[:1])).numpy(), x[:1] @ np.full((3, 2), 2))
    assert isinstance(_cpu(f).executables[0], SymbolicExecutable)


def test_a_graph_that_needs_static_shapes_compiles_every_shape_and_says_why():
    # squeeze() without axes drops the batch dim exactly when it is 1: no symbolic dim here
    f = tf.function(lambda x: tf.squeeze(x) * 2.0, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 1, 3], tf.float32)])
    for n in range(1, 13):
        x = RNG.standard_normal((n, 1, 3)).astype(np.float32)
        np.testing.assert_allclose(f(tf.constant(x)).numpy(), np.squeeze(x) * 2, rtol=1e-6)
    cpu = _cpu(f)
    assert "squeeze" in cpu.symbolic_reason
    assert len(cpu.executables) == 12 and cpu.fallbacks == []  # the 9th+ shapes compiled too
    assert "per-shape" in f.get_concrete_function().explain()


def test_a_shape_computed_from_the_batch_keeps_per_shape_code():
    f = tf.function(lambda x: tf.fill(tf.shape(x), 2.0) * x, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    for n in (1, 4):
        x = np.ones((n, 2), np.float32)
        np.testing.assert_array_equal(f(tf.constant(x)).numpy(), x * 2)
    assert _cpu(f).symbolic_reason is not None


def test_elementwise_ops_on_one_batch_dim_fuse_into_one_loop():
    f = tf.function(lambda x: tf.tanh(x * 0.5 + 1.0) * tf.sigmoid(x) + tf.exp(-x * x),
                    backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 8], tf.float32)])
    graph = f.get_concrete_function().optimized_graph
    assert [n.op.name for n in graph.nodes if n.op.name != "constant"] == ["fusion"]


def test_two_unknown_batch_dims_are_not_assumed_equal_by_fusion():
    # a and b may be 5 and 1 rows: a*2 must not be computed inside b's loop shape
    f = tf.function(lambda a, b: (a * 2.0) * (b + 1.0), backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 3], tf.float32)] * 2)
    a = np.arange(15, dtype=np.float32).reshape(5, 3)
    b = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(f(tf.constant(b), tf.constant(a)).numpy(), (b * 2) * (a + 1))
    np.testing.assert_array_equal(f(tf.constant(a), tf.constant(b)).numpy(), (a * 2) * (b + 1))


def test_ragged_benchmark_rows_run_and_agree_with_eager_at_tiny_sizes():
    from benchmarks import harness, ragged
    rows = ragged.run(harness.TINY, (), sizes=[3, 1, 5])
    assert [r.workload for r in rows] == ["ragged MLP forward", "ragged MLP forward first pass",
                                          "ragged elementwise chain",
                                          "ragged elementwise chain first pass"]
    for row in rows[::2]:
        assert row.equal is True and not row.cells["specialized"].error
        assert "executables compiled: symbolic 1, per-shape 3" in " ".join(row.notes)
    for row in rows[1::2]:
        assert row.cells["graph"].seconds > 0 and row.cells["specialized"].seconds > 0


def test_warm_calls_of_a_relaxed_signature_run_natively_per_batch_size_with_errors():
    def loss(logits, labels):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

    f = tf.function(loss, backend="cpu", autograph=False, reduce_retracing=True)
    data = {n: (RNG.standard_normal((n, 5)).astype(np.float32),
                RNG.integers(0, 5, n).astype(np.int32)) for n in (2, 3, 4, 6)}
    for _ in range(2):  # the second round takes the warm-call fast path
        for n, (logits, labels) in data.items():
            got = f(tf.constant(logits), tf.constant(labels)).numpy()
            want = loss(tf.constant(logits), tf.constant(labels)).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=f"batch {n}")
    cf = f.get_concrete_function(tf.constant(data[4][0]), tf.constant(data[4][1]))
    assert isinstance(cf._cpu._sym_exe, SymbolicExecutable)
    natives = [k for k, (_, c) in f._fast_cache.items() if type(c).__name__ ==
               "builtin_function_or_method"]
    assert len(natives) >= 3
    bad = data[4][1].copy()
    bad[2] = 9
    for _ in range(2):
        with pytest.raises(tf.errors.InvalidArgumentError):
            f(tf.constant(data[4][0]), tf.constant(bad))
    np.testing.assert_allclose(f(tf.constant(data[4][0]), tf.constant(data[4][1])).numpy(),
                               loss(tf.constant(data[4][0]), tf.constant(data[4][1])).numpy(),
                               rtol=1e-5)


def test_a_training_step_with_a_symbolic_batch_updates_variables_like_eager():
    from benchmarks.mlp_step import batch, make_step
    sizes = (12, 8, 3)
    eager_step, tf_step = make_step(tf, sizes), make_step(tf, sizes)
    f = tf.function(tf_step, backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, 12], tf.float32),
                                     tf.TensorSpec([None], tf.int32)])
    # each loss depends on the weights every earlier step wrote
    for n in (50, 17, 1, 50, 3, 64, 2):
        x, y = batch(sizes, n)
        want = float(eager_step(tf.constant(x), tf.constant(y)))
        got = float(f(tf.constant(x), tf.constant(y)))
        np.testing.assert_allclose(got, want, rtol=2e-5, err_msg=f"loss at batch {n}")
    cpu = _cpu(f)
    assert isinstance(cpu._sym_exe, SymbolicExecutable), cpu.symbolic_reason
    assert cpu.executables == [cpu._sym_exe] and cpu.fallbacks == []


def test_an_unknown_inner_dim_compiles_per_shape_and_explain_says_why():
    f = tf.function(lambda x: tf.reduce_sum(x, axis=1), backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None, None], tf.float32)])
    for shape in ((2, 3), (2, 4), (5, 3)):
        x = np.ones(shape, np.float32)
        np.testing.assert_array_equal(f(tf.constant(x)).numpy(), x.sum(axis=1))
    cpu = _cpu(f)
    assert "past its leading one" in cpu.symbolic_reason and len(cpu.executables) == 3
    assert "per-shape:" in f.get_concrete_function().explain()


def test_an_index_on_the_batch_dim_beside_an_empty_dim_is_checked_at_run_time():
    # (fuzz seed 107539: with a 0-sized inner dim the batch dim's stride is 0, every probed
    # batch size gives one layout, and x[-1] of a 0-row batch returned an empty row)
    f = tf.function(lambda x: x[-1] * 1.0,
                    input_signature=[tf.TensorSpec([None, 0], tf.float32)])
    assert f(tf.constant(np.ones((2, 0), np.float32))).shape == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"slice index -1 of dimension 0 out of bounds.*size 0 are 0\.\.-1"):
        f(tf.constant(np.ones((0, 0), np.float32)))
    g = tf.function(lambda x: x[1] * 1.0,
                    input_signature=[tf.TensorSpec([None, 0], tf.float32)])
    g(tf.constant(np.ones((3, 0), np.float32)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"size 1 are -1\.\.0"):
        g(tf.constant(np.ones((1, 0), np.float32)))
