"""`autograph_jit.batch.predict_fn`: loaded once per process, equal to the model on every row,
native code for partitions of any length (bucketed padding) and for ragged rows, threads from
OMP_NUM_THREADS, and clear errors."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit import errors
from autograph_jit.batch import predict_fn

W = np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2)


class MLP(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(W)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w))


class SeqSum(tf.Module):
    """Sums variable-length sequences (zero padding does not change the sum)."""

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32),
                                  tf.TensorSpec([None], tf.float32)])
    def __call__(self, seq, scale):
        return {"total": tf.reduce_sum(seq, axis=1) * scale, "scale": scale}


@pytest.fixture(scope="module")
def mlp_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("mlp"))
    tf.saved_model.save(MLP(), path)
    return path


def _expected(x):
    return np.maximum(x @ W, 0)


def test_predictions_equal_the_model_for_every_row(mlp_dir):
    x = np.random.default_rng(0).normal(size=(1000, 4)).astype(np.float32)
    predict = predict_fn(mlp_dir, batch_size=64)
    np.testing.assert_allclose(predict(x), _expected(x), rtol=1e-5, atol=1e-6)


def test_loaded_once_per_process(mlp_dir):
    assert predict_fn(mlp_dir, batch_size=64) is predict_fn(mlp_dir, batch_size=64)


def test_partitions_of_many_lengths_stay_on_native_code_in_few_shapes(mlp_dir):
    predict = predict_fn(mlp_dir, batch_size=128)
    rng = np.random.default_rng(1)
    for n in rng.integers(1, 400, size=25):
        x = rng.normal(size=(int(n), 4)).astype(np.float32)
        np.testing.assert_allclose(predict(x), _expected(x), rtol=1e-5, atol=1e-6)
    shapes = predict.compiled_shapes()
    assert predict.fallbacks() == []
    assert {s[0][0] for s in shapes} <= set(predict.buckets)
    assert len(predict.buckets) <= 7


def test_ragged_rows_and_dict_inputs_are_padded_and_stay_native(tmp_path):
    tf.saved_model.save(SeqSum(), str(tmp_path))
    predict = predict_fn(str(tmp_path), batch_size=8)
    rows = [[1.0] * k for k in (1, 3, 2, 7, 5, 9, 4, 2, 6, 1, 3)]
    out = predict({"seq": rows, "scale": np.full(len(rows), 2.0, np.float32)})
    np.testing.assert_allclose(out["total"], [2.0 * len(r) for r in rows])
    np.testing.assert_allclose(out["scale"], 2.0)
    assert predict.fallbacks() == []
    assert all(s[0][1] in (1, 2, 4, 8, 16) for s in predict.compiled_shapes())


def test_short_rows_are_padded_to_the_signatures_fixed_length(mlp_dir):
    out = predict_fn(mlp_dir)([[1, 2, 3, 4], [1, 2]])
    np.testing.assert_allclose(out, _expected(np.array([[1, 2, 3, 4], [1, 2, 0, 0]],
                                                       np.float32)), rtol=1e-6)


def test_a_signature_with_a_fixed_batch_size_gets_every_chunk_padded_to_it(tmp_path):
    class Fixed(tf.Module):
        @tf.function
        def __call__(self, x):
            return x * 3.0

    m = Fixed()
    m(tf.zeros([16, 2]))
    tf.saved_model.save(m, str(tmp_path))
    predict = predict_fn(str(tmp_path), batch_size=1000)
    assert predict.batch_size == 16
    x = np.arange(70, dtype=np.float32).reshape(35, 2)
    np.testing.assert_array_equal(predict(x), x * 3)


def test_threads_come_from_omp_num_threads(mlp_dir, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    try:
        predict_fn(mlp_dir, batch_size=32)
        assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    finally:
        tf.config.threading.set_intra_op_parallelism_threads(0)


@pytest.mark.parametrize("call, words", [
    (lambda d: predict_fn(d, signature="nope"), "no signature 'nope'"),
    (lambda d: predict_fn(d, batch_size=0), "batch_size must be a positive integer"),
    (lambda d: predict_fn(d)({"y": np.zeros((2, 4))}), "missing input(s) ['x']"),
    (lambda d: predict_fn(d)(np.zeros((2, 5), np.float32)), "signature expects [-1, 4]"),
    (lambda d: predict_fn(d)(np.zeros((0, 4), np.float32)), "no rows"),
    (lambda d: predict_fn(d)([[1, 2, 3, 4, 5], [1, 2]]), "the signature allows 4"),
    (lambda d: predict_fn(d)([[1, 2, 3, 4], 5]), "different ranks"),
])
def test_bad_calls_raise_invalid_argument_naming_the_problem(mlp_dir, call, words):
    with pytest.raises(errors.InvalidArgumentError) as e:
        call(mlp_dir)
    assert words in str(e.value)
