"""TFRecord files (byte layout, CRC32C, compression, corruption -> DataLossError) and the
file readers (TextLineDataset, CsvDataset, make_csv_dataset, list_files)."""
import gzip
import struct

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.io import tfrecord

D = tf.data.Dataset


def test_crc32c_check_value_and_pure_fallback_agree():
    assert tfrecord.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    data = bytes(range(256)) * 3
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    assert tfrecord.crc32c(data) == crc ^ 0xFFFFFFFF


def test_record_layout_is_length_masked_crc_data_masked_crc(tmp_path):
    path = str(tmp_path / "a.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"hello")
    raw = open(path, "rb").read()
    assert len(raw) == 8 + 4 + 5 + 4
    assert struct.unpack("<Q", raw[:8]) == (5,)

    def mask(c):
        return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xFFFFFFFF
    assert struct.unpack("<I", raw[8:12]) == (mask(tfrecord.crc32c(raw[:8])),)
    assert raw[12:17] == b"hello"
    assert struct.unpack("<I", raw[17:]) == (mask(tfrecord.crc32c(b"hello")),)


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_tfrecord_round_trip_in_order(tmp_path, compression):
    path = str(tmp_path / "r.tfrecord")
    records = [b"", b"a", bytes(range(256)) * 10, "text"]
    with tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression)) as w:
        for r in records:
            w.write(r)
    ds = tf.data.TFRecordDataset(path, compression_type=compression)
    assert ds.element_spec == tf.TensorSpec([], tf.string)
    assert list(ds.as_numpy_iterator()) == [b"", b"a", bytes(range(256)) * 10, b"text"]
    if compression == "GZIP":
        assert gzip.open(path).read()[:8] == struct.pack("<Q", 0)


def test_tfrecord_dataset_reads_several_files_in_order_and_interleaved(tmp_path):
    paths = []
    for k in range(2):
        p = str(tmp_path / f"{k}.tfrecord")
        with tf.io.TFRecordWriter(p) as w:
            for i in range(3):
                w.write(f"{k}-{i}")
        paths.append(p)
    assert list(tf.data.TFRecordDataset(paths).as_numpy_iterator()) == \
        [b"0-0", b"0-1", b"0-2", b"1-0", b"1-1", b"1-2"]
    inter = tf.data.TFRecordDataset(paths, num_parallel_reads=2)
    assert list(inter.as_numpy_iterator()) == [b"0-0", b"1-0", b"0-1", b"1-1", b"0-2", b"1-2"]


def test_corrupted_record_raises_data_loss_naming_file_and_offset(tmp_path):
    path = str(tmp_path / "bad.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"first")
        w.write(b"second")
    raw = bytearray(open(path, "rb").read())
    raw[21 + 12 + 2] ^= 0xFF  # a data byte of the second record (offset 21)
    open(path, "wb").write(bytes(raw))
    ds = tf.data.TFRecordDataset(path)
    it = iter(ds)
    assert next(it).numpy() == b"first"
    with pytest.raises(tf.errors.DataLossError, match=r"offset 21 in .*bad.tfrecord"):
        next(it)


def test_truncated_record_raises_data_loss(tmp_path):
    path = str(tmp_path / "t.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        w.write(b"0123456789")
    raw = open(path, "rb").read()
    open(path, "wb").write(raw[:-6])
    with pytest.raises(tf.errors.DataLossError, match="truncated record at offset 0"):
        list(tf.data.TFRecordDataset(path))


def test_missing_file_raises_not_found(tmp_path):
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.data.TFRecordDataset(str(tmp_path / "nope")))


def test_text_line_dataset_strips_line_endings(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"one\r\ntwo\nthree")
    ds = tf.data.TextLineDataset(str(p))
    assert list(ds.as_numpy_iterator()) == [b"one", b"two", b"three"]
    assert str(next(iter(ds))) == "tf.Tensor(b'one', shape=(), dtype=string)"


def test_list_files_matches_sorted_and_shuffles_by_default(tmp_path):
    for n in "cab":
        (tmp_path / f"{n}.txt").write_text(n)
    names = list(D.list_files(str(tmp_path / "*.txt"), shuffle=False).as_numpy_iterator())
    assert [n.decode().rsplit("/", 1)[1] for n in names] == ["a.txt", "b.txt", "c.txt"]
    shuffled = list(D.list_files(str(tmp_path / "*.txt"), seed=1).as_numpy_iterator())
    assert sorted(shuffled) == names
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched"):
        D.list_files(str(tmp_path / "*.csv"))


def test_text_line_dataset_over_list_files_via_interleave(tmp_path):
    for n in "ab":
        (tmp_path / f"{n}.txt").write_text(f"{n}1\n{n}2\n")
    files = D.list_files(str(tmp_path / "*.txt"), shuffle=False)
    lines = files.interleave(tf.data.TextLineDataset, cycle_length=2)
    assert list(lines.as_numpy_iterator()) == [b"a1", b"b1", b"a2", b"b2"]


def test_csv_dataset_types_defaults_and_header(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c\n1,2.5,x\n3,,\"y,z\"\n")
    ds = tf.data.experimental.CsvDataset(str(p), [tf.int32, np.float32(-1.0), tf.string],
                                         header=True)
    assert ds.element_spec == (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32),
                               tf.TensorSpec([], tf.string))
    rows = list(ds.as_numpy_iterator())
    assert rows == [(1, 2.5, b"x"), (3, -1.0, b"y,z")]
    missing = tf.data.experimental.CsvDataset(str(p), [tf.int32, tf.float32, tf.string],
                                              header=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="required"):
        list(missing)
    picked = tf.data.experimental.CsvDataset(str(p), [tf.string], header=True,
                                             select_cols=[2])
    assert list(picked.as_numpy_iterator()) == [(b"x",), (b"y,z",)]


def test_make_csv_dataset_batches_feature_dicts_and_labels(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("age,height,name,label\n" + "".join(
        f"{i},{1.5 + i},n{i},{i % 2}\n" for i in range(6)))
    ds = tf.data.experimental.make_csv_dataset(str(p), batch_size=4, label_name="label",
                                               num_epochs=1, shuffle=False)
    feats, label = next(iter(ds))
    assert list(feats) == ["age", "height", "name"]
    assert feats["age"].dtype == tf.int32 and feats["height"].dtype == tf.float32
    assert feats["name"].dtype == tf.string
    assert feats["age"].numpy().tolist() == [0, 1, 2, 3]
    assert label.numpy().tolist() == [0, 1, 0, 1]
    sizes = [int(lab.shape[0]) for _, lab in ds]
    assert sizes == [4, 2]
    forever = tf.data.experimental.make_csv_dataset(str(p), batch_size=4, label_name="label")
    assert int(forever.cardinality()) == tf.data.INFINITE_CARDINALITY


def test_fixed_length_record_dataset(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"HHabcdefFF")
    ds = tf.data.FixedLengthRecordDataset(str(p), 3, header_bytes=2, footer_bytes=2)
    assert list(ds.as_numpy_iterator()) == [b"abc", b"def"]


def test_experimental_tfrecord_writer_writes_a_string_dataset(tmp_path):
    path = str(tmp_path / "w.tfrecord")
    tf.data.experimental.TFRecordWriter(path).write(D.from_tensor_slices(["a", "bb"]))
    assert list(tf.data.TFRecordDataset(path).as_numpy_iterator()) == [b"a", b"bb"]
    with pytest.raises(TypeError, match="scalar tf.string"):
        tf.data.experimental.TFRecordWriter(path).write(D.range(2))
