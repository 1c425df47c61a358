"""sparse=True / ragged=True outputs of the preprocessing layers: the entries, dtypes, dense
shapes and row splits real Keras 3.15 (TensorFlow 2.21 backend) gives, recorded here; the
densified result equals the dense layer's; symbolic calls and dataset elements refuse them."""
import numpy as np
import pytest

import autograph_jit as tf

L = tf.keras.layers


def _parts(sp):
    assert isinstance(sp, tf.sparse.SparseTensor)
    assert sp.indices.dtype == tf.int64 and sp.dense_shape.dtype == tf.int64
    return (sp.indices.numpy().tolist(), sp.values.numpy().tolist(), sp.values.dtype.name,
            sp.dense_shape.numpy().tolist())


# (layer factory, input, call kwargs, Keras 3 indices, values, values dtype, dense_shape)
KERAS_RECORDED = [
    (lambda: L.CategoryEncoding(4, "one_hot", sparse=True), np.array([3, 0, 3]), {},
     [[0, 3], [1, 0], [2, 3]], [1.0, 1.0, 1.0], "float32", [3, 4]),
    (lambda: L.CategoryEncoding(4, "one_hot", sparse=True), np.array([[3, 0, 3], [1, 1, 2]]), {},
     [[0, 0, 3], [0, 1, 0], [0, 2, 3], [1, 0, 1], [1, 1, 1], [1, 2, 2]], [1.0] * 6, "float32",
     [2, 3, 4]),
    (lambda: L.CategoryEncoding(4, "one_hot", sparse=True), np.array([[3], [1]]), {},
     [[0, 3], [1, 1]], [1.0, 1.0], "float32", [2, 4]),
    (lambda: L.CategoryEncoding(4, "multi_hot", sparse=True), np.array([3, 0, 3]), {},
     [[0], [3]], [1.0, 1.0], "float32", [4]),
    (lambda: L.CategoryEncoding(4, "multi_hot", sparse=True), np.array(2), {},
     [[2]], [1.0], "float32", [4]),
    (lambda: L.CategoryEncoding(4, "count", sparse=True), np.array([[3, 0, 3], [1, 1, 2]]), {},
     [[0, 0], [0, 3], [1, 1], [1, 2]], [1.0, 2.0, 2.0, 1.0], "float32", [2, 4]),
    (lambda: L.CategoryEncoding(4, "count", sparse=True), np.array([[3, 0, 3], [1, 1, 2]]),
     {"count_weights": np.array([[0.5, 1, 2], [1, 1, 1.0]])},
     [[0, 0], [0, 3], [1, 1], [1, 2]], [1.0, 2.5, 2.0, 1.0], "float32", [2, 4]),
    # a weighted count of 0 keeps its entry (tf.sparse.bincount)
    (lambda: L.CategoryEncoding(4, "count", sparse=True), np.array([[3, 0, 3], [1, 1, 2]]),
     {"count_weights": np.array([[0, 1, 0.0], [1, 1, 1.0]])},
     [[0, 0], [0, 3], [1, 1], [1, 2]], [1.0, 0.0, 2.0, 1.0], "float32", [2, 4]),
    (lambda: L.CategoryEncoding(4, "count", sparse=True), np.array([[[3, 0], [1, 1]]]), {},
     [[0, 0, 1], [0, 0, 3], [0, 1, 0], [0, 1, 1]], [1.0] * 4, "float32", [1, 2, 4]),
    (lambda: L.Hashing(5, output_mode="one_hot", sparse=True),
     np.array([["a", "b"], ["c", "a"]]), {},
     [[0, 0, 4], [0, 1, 2], [1, 0, 2], [1, 1, 4]], [1.0] * 4, "float32", [2, 2, 5]),
    (lambda: L.Hashing(5, output_mode="multi_hot", sparse=True),
     np.array([["a", "b"], ["c", "a"]]), {},
     [[0, 2], [0, 4], [1, 2], [1, 4]], [1.0] * 4, "float32", [2, 5]),
    (lambda: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot", sparse=True),
     np.array([["a", "z"], ["c", "a"]]), {},
     [[0, 0, 1], [0, 1, 0], [1, 0, 3], [1, 1, 1]], [1, 1, 1, 1], "int64", [2, 2, 4]),
    (lambda: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="count", sparse=True),
     np.array([["a", "z"], ["c", "a"]]), {},
     [[0, 0], [0, 1], [1, 1], [1, 3]], [1, 1, 1, 1], "int64", [2, 4]),
    (lambda: L.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="multi_hot",
                            sparse=True), np.array([["a", ""], ["", "b"]]), {},
     [[0, 1], [1, 2]], [1, 1], "int64", [2, 3]),
    (lambda: L.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf", sparse=True,
                            idf_weights=[0.5, 1.0, 0.0]), np.array(["a", "z", "c", "a"]), {},
     [[0], [1], [3]], [0.5, 1.0, 0.0], "float32", [4]),
    (lambda: L.IntegerLookup(vocabulary=[10, 20, 30], output_mode="multi_hot", sparse=True),
     np.array([[10, 99], [30, 10]]), {},
     [[0, 0], [0, 1], [1, 1], [1, 3]], [1, 1, 1, 1], "int64", [2, 4]),
    (lambda: L.IntegerLookup(vocabulary=[10, 20, 30], output_mode="one_hot", sparse=True),
     np.array([10, 99, 10]), {},
     [[0, 1], [1, 0], [2, 1]], [1, 1, 1], "int64", [3, 4]),
    (lambda: L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot",
                              sparse=True), np.array([[-1.0, 0.5], [1.5, 3.0]]), {},
     [[0, 0, 0], [0, 1, 1], [1, 0, 2], [1, 1, 3]], [1.0] * 4, "float32", [2, 2, 4]),
    (lambda: L.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="count",
                              sparse=True), np.array([[-1.0, 0.5], [1.5, 3.0]]), {},
     [[0, 0], [0, 1], [1, 2], [1, 3]], [1.0] * 4, "float32", [2, 4]),
]


@pytest.mark.parametrize("case", range(len(KERAS_RECORDED)))
def test_sparse_output_matches_keras3_entries(case):
    make, x, kwargs, indices, values, dtype, shape = KERAS_RECORDED[case]
    got = _parts(make()(x, **kwargs))
    assert got[0] == indices and got[2] == dtype and got[3] == shape
    np.testing.assert_allclose(got[1], values, rtol=1e-6)


@pytest.mark.parametrize("case", range(len(KERAS_RECORDED)))
def test_sparse_output_densifies_to_the_dense_layer(case):
    make, x, kwargs, *_ = KERAS_RECORDED[case]
    layer = make()
    sp = layer(x, **kwargs)
    layer.sparse = False
    dense = layer(x, **kwargs).numpy()
    np.testing.assert_array_equal(tf.sparse.to_dense(sp).numpy(), dense)


def test_textvectorization_sparse_matches_keras3():
    docs = ["the cat sat", "the dog", "a cat the dog ran"]
    x = np.array(["the cat", "dog ran far away", ""])
    for mode, values in (("multi_hot", [1, 1, 1, 1, 1]), ("count", [1, 1, 2, 1, 1])):
        tv = L.TextVectorization(output_mode=mode, sparse=True)
        tv.adapt(docs)
        got = _parts(tv(x))
        assert got == ([[0, 1], [0, 3], [1, 0], [1, 2], [1, 5]], values, "int64", [3, 7])
    tv = L.TextVectorization(output_mode="tf_idf", sparse=True)
    tv.adapt(docs)
    sp = tv(x)
    tv.sparse = False
    np.testing.assert_allclose(tf.sparse.to_dense(sp).numpy(), tv(x).numpy())
    assert sp.values.dtype == tf.float32


@pytest.mark.parametrize("kwargs,values,splits", [
    ({}, [2, 4, 3, 6, 1, 1], [0, 2, 6, 6]),
    ({"output_sequence_length": 3}, [2, 4, 3, 6, 1], [0, 2, 5, 5]),
    ({"ngrams": 2}, [2, 5, 6, 4, 8, 1, 1, 9, 1, 1], [0, 3, 10, 10]),
])
def test_textvectorization_ragged_matches_keras3(kwargs, values, splits):
    tv = L.TextVectorization(ragged=True, **kwargs)
    tv.adapt(["the cat sat", "the dog", "a cat the dog ran"])
    rt = tv(np.array(["the cat", "dog ran far away", ""]))
    assert isinstance(rt, tf.RaggedTensor)
    assert rt.flat_values.numpy().tolist() == values and rt.dtype == tf.int64
    assert rt.row_splits.numpy().tolist() == splits and rt.row_splits.dtype == tf.int64


def test_textvectorization_ragged_scalar_and_column_inputs():
    tv = L.TextVectorization(ragged=True)
    tv.adapt(["the cat sat", "the dog"])
    scalar = tv(np.array("the cat"))          # Keras: a dense vector
    assert not isinstance(scalar, tf.RaggedTensor) and scalar.numpy().tolist() == [2, 5]
    rt = tv(np.array([["the cat"], ["dog dog sat"]]))
    assert rt.to_list() == [[2, 5], [4, 4, 3]]


def test_textvectorization_ragged_per_element_in_dataset_map():
    tv = L.TextVectorization(ragged=True)
    tv.adapt(["the cat sat", "the dog"])
    ds = tf.data.Dataset.from_tensor_slices(["the cat", "dog sat the"]).map(tv)
    assert [e.numpy().tolist() for e in ds] == [[2, 5], [4, 3, 2]]


@pytest.mark.parametrize("make,error", [
    (lambda: L.Hashing(5, sparse=True), "sparse"),
    (lambda: L.StringLookup(vocabulary=["a"], sparse=True), "sparse"),
    (lambda: L.IntegerLookup(vocabulary=[1], sparse=True), "sparse"),
    (lambda: L.Discretization(bin_boundaries=[0.0], sparse=True), "sparse"),
    (lambda: L.TextVectorization(output_mode="int", sparse=True), "sparse"),
    (lambda: L.TextVectorization(output_mode="count", ragged=True), "ragged"),
])
def test_sparse_and_ragged_refused_in_modes_keras_refuses(make, error):
    with pytest.raises(ValueError, match=error):
        make()


def test_sparse_output_in_traced_code_is_a_host_only_error():
    layer = L.CategoryEncoding(4, "multi_hot", sparse=True)

    @tf.function
    def f(x):
        return layer(x)
    with pytest.raises(tf.errors.HostOnlyError, match="sparse=False"):
        f(tf.constant([[1, 2]]))


def test_sparse_and_ragged_dataset_elements_say_how_to_densify():
    layer = L.CategoryEncoding(4, "multi_hot", sparse=True)
    with pytest.raises(TypeError, match="to_dense"):
        list(tf.data.Dataset.from_tensor_slices(np.array([[1, 2], [3, 3]])).map(layer))
    tv = L.TextVectorization(ragged=True)
    tv.adapt(["the cat sat", "the dog"])
    with pytest.raises(TypeError, match="to_tensor"):
        list(tf.data.Dataset.from_tensor_slices(["the cat", "dog sat the"]).batch(2).map(tv))


def test_sparse_flag_round_trips_through_config():
    for layer in (L.CategoryEncoding(4, "count", sparse=True),
                  L.Hashing(4, output_mode="count", sparse=True),
                  L.StringLookup(vocabulary=["a"], output_mode="count", sparse=True),
                  L.Discretization(bin_boundaries=[0.0], output_mode="count", sparse=True)):
        assert type(layer).from_config(layer.get_config()).sparse is True
    tv = L.TextVectorization(ragged=True)
    assert L.TextVectorization.from_config(tv.get_config()).ragged is True


def test_rank3_multi_hot_and_count_reduce_axis_1_as_keras3():
    x = np.array([[[3, 0], [1, 1]]])
    want = [[[0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0]]]      # recorded from Keras 3.15
    for mode in ("multi_hot", "count"):
        assert L.CategoryEncoding(4, mode)(x).numpy().tolist() == want
