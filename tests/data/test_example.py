"""tf.train.Example (real protobuf messages, TF's wire bytes), tf.io.parse_single_example /
parse_example, serialize_tensor / parse_tensor, tf.sparse."""
import numpy as np
import pytest

import autograph_jit as tf

pytest.importorskip("google.protobuf")


def _example(**features):
    feats = {}
    for k, v in features.items():
        if isinstance(v[0], bytes):
            feats[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
        elif isinstance(v[0], float):
            feats[k] = tf.train.Feature(float_list=tf.train.FloatList(value=v))
        else:
            feats[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=v))
    return tf.train.Example(features=tf.train.Features(feature=feats))


def test_example_serializes_to_tf_wire_bytes():
    # Example.features=1 / Features.feature=1 (map: key=1, value=2) / Feature.int64_list=3 /
    # Int64List.value=1 packed: the bytes TF writes for {"a": [1, 2]}
    ex = _example(a=[1, 2])
    assert ex.SerializeToString().hex() == "0a0d0a0b0a016112061a040a020102"
    assert tf.train.Example.FromString(ex.SerializeToString()) == ex
    f = tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))
    assert f.SerializeToString().hex() == "12060a040000803f"  # field 2, packed float
    b = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"]))
    assert b.SerializeToString().hex() == "0a030a0178"  # field 1, bytes


def test_parse_single_example_fixed_and_var_len():
    ex = _example(x=[1.0, 2.0], label=[3], words=[b"a", b"bc"])
    out = tf.io.parse_single_example(ex.SerializeToString(), {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "words": tf.io.VarLenFeature(tf.string),
        "missing": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    })
    assert out["x"].dtype == tf.float32 and out["x"].numpy().tolist() == [1.0, 2.0]
    assert out["label"].shape == () and int(out["label"]) == 3
    assert int(out["missing"]) == -1
    sp = out["words"]
    assert isinstance(sp, tf.sparse.SparseTensor)
    assert sp.indices.numpy().tolist() == [[0], [1]]
    assert sp.dense_shape.numpy().tolist() == [2]
    assert tf.sparse.to_dense(sp).numpy().tolist() == [b"a", b"bc"]


def test_parse_single_example_errors_name_the_feature():
    data = _example(x=[1.0]).SerializeToString()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature: y .* required"):
        tf.io.parse_single_example(data, {"y": tf.io.FixedLenFeature([], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Data types don't match"):
        tf.io.parse_single_example(data, {"x": tf.io.FixedLenFeature([], tf.int64)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Key: x"):
        tf.io.parse_single_example(data, {"x": tf.io.FixedLenFeature([3], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
        tf.io.parse_single_example(b"\xff\xff", {"x": tf.io.FixedLenFeature([], tf.float32)})


def test_parse_example_batches_and_pads_var_len():
    batch = [_example(v=[1, 2], s=[5]).SerializeToString(),
             _example(v=[3], s=[6]).SerializeToString()]
    out = tf.io.parse_example(batch, {"v": tf.io.VarLenFeature(tf.int64),
                                      "s": tf.io.FixedLenFeature([1], tf.int64)})
    assert out["s"].numpy().tolist() == [[5], [6]]
    assert out["v"].indices.numpy().tolist() == [[0, 0], [0, 1], [1, 0]]
    assert out["v"].dense_shape.numpy().tolist() == [2, 2]
    assert tf.sparse.to_dense(out["v"]).numpy().tolist() == [[1, 2], [3, 0]]
    seq = tf.io.parse_example(batch, {"v": tf.io.FixedLenSequenceFeature([], tf.int64)})
    assert seq["v"].numpy().tolist() == [[1, 2], [3, 0]]


def test_tfrecord_of_examples_through_map_parse_and_batch(tmp_path):
    path = str(tmp_path / "ex.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        for i in range(5):
            w.write(_example(x=[float(i), float(i) * 2], y=[i]).SerializeToString())
    spec = {"x": tf.io.FixedLenFeature([2], tf.float32), "y": tf.io.FixedLenFeature([], tf.int64)}
    ds = tf.data.TFRecordDataset(path).map(
        lambda r: tf.io.parse_single_example(r, spec)).map(lambda d: (d["x"], d["y"])).batch(2)
    assert ds.element_spec[0] == tf.TensorSpec([None, 2], tf.float32)
    xs, ys = zip(*[(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds])
    assert ys == ([0, 1], [2, 3], [4])
    assert xs[2] == [[4.0, 8.0]]


def test_serialize_tensor_writes_tf_tensor_proto_bytes():
    s = tf.io.serialize_tensor(tf.constant([1.0, 2.0]))
    assert s.dtype == tf.string and s.shape == ()
    # dtype=1 (DT_FLOAT), tensor_shape=2 {dim=2 {size=1: 2}}, tensor_content=4
    assert s.numpy().hex() == "0801" + "120412020802" + "2208" + "0000803f00000040"


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.int64).reshape(2, 3),
                                   np.float32(2.5), np.array([True, False]),
                                   np.arange(4, dtype=np.uint8)])
def test_serialize_parse_tensor_round_trip(value):
    t = tf.constant(value)
    back = tf.io.parse_tensor(tf.io.serialize_tensor(t), t.dtype)
    assert back.dtype == t.dtype and np.array_equal(back.numpy(), value)


def test_parse_tensor_string_and_dtype_mismatch():
    s = tf.constant([b"a", b"b"])
    back = tf.io.parse_tensor(tf.io.serialize_tensor(s), tf.string)
    assert back.numpy().tolist() == [b"a", b"b"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
        tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant([1.0])), tf.int32)


def test_sparse_tensor_to_dense_and_from_dense():
    sp = tf.sparse.SparseTensor(indices=[[0, 1], [1, 2]], values=[5, 6], dense_shape=[2, 3])
    assert tf.sparse.to_dense(sp).numpy().tolist() == [[0, 5, 0], [0, 0, 6]]
    assert tf.sparse.to_dense(sp, default_value=-1).numpy().tolist() == [[-1, 5, -1],
                                                                         [-1, -1, 6]]
    back = tf.sparse.from_dense(tf.constant([[0, 7], [8, 0]]))
    assert back.indices.numpy().tolist() == [[0, 1], [1, 0]]
    assert back.values.numpy().tolist() == [7, 8]


def test_var_len_feature_in_a_map_must_be_densified_with_a_clear_error(tmp_path):
    path = str(tmp_path / "v.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(_example(v=[1, 2, 3]).SerializeToString())
    spec = {"v": tf.io.VarLenFeature(tf.int64)}
    dense = tf.data.TFRecordDataset(path).map(
        lambda r: tf.sparse.to_dense(tf.io.parse_single_example(r, spec)["v"]))
    assert [v.tolist() for v in dense.as_numpy_iterator()] == [[1, 2, 3]]
    sparse = tf.data.TFRecordDataset(path).map(lambda r: tf.io.parse_single_example(r, spec))
    with pytest.raises(TypeError, match="tf.sparse.to_dense"):
        list(sparse)


def test_map_calling_serialize_tensor_runs_eagerly_and_round_trips(tmp_path):
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.float32).reshape(3, 2))
    serialized = ds.map(tf.io.serialize_tensor)
    assert serialized.element_spec == tf.TensorSpec([], tf.string)
    path = str(tmp_path / "t.tfrecord")
    tf.data.experimental.TFRecordWriter(path).write(serialized)
    back = tf.data.TFRecordDataset(path).map(lambda s: tf.io.parse_tensor(s, tf.float32))
    assert [v.tolist() for v in back.as_numpy_iterator()] == [[0, 1], [2, 3], [4, 5]]


def test_serialize_tensor_inside_a_user_tf_function_is_a_clear_error():
    @tf.function
    def f(x):
        return tf.io.serialize_tensor(x)
    with pytest.raises(TypeError, match="Dataset.map"):
        f(tf.constant([1.0]))
