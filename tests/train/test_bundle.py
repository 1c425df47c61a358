"""The tensor-bundle files (.index table + .data): round trips, TF's checkpoints, corruption."""
import os

import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

import autograph_jit as tf
from autograph_jit.errors import DataLossError, NotFoundError
from autograph_jit.train import crc, table
from autograph_jit.train.bundle import BundleReader, write_bundle

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def test_masked_crc32c_matches_the_known_check_value():
    assert crc.crc32c(b"123456789") == 0xE3069283
    assert crc.unmask(crc.mask(0xE3069283)) == 0xE3069283
    assert crc.mask(0) == 0xA282EAD8


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int8", "int16", "int32",
                                   "int64", "uint8", "bool", "complex64"])
def test_bundle_round_trips_every_dtype_bit_for_bit(tmp_path, dtype):
    rng = np.random.default_rng(0)
    value = (rng.standard_normal((3, 4)) * 50).astype(dtype)
    write_bundle(str(tmp_path / "b"), {"x": value, "scalar": value[0, 0]})
    r = BundleReader(str(tmp_path / "b"))
    got = r.get("x")
    assert got.dtype == value.dtype and got.shape == (3, 4)
    assert got.tobytes() == value.tobytes()
    assert r.get("scalar").shape == ()
    assert r.dtype("x") == dtype and r.shape("x") == [3, 4]


def test_bundle_stores_string_tensors_in_tf_layout(tmp_path):
    strings = np.array([[b"a", b""], [b"hello" * 100, b"\x00\xff"]], dtype=object)
    write_bundle(str(tmp_path / "s"), {"s": strings, "one": b"graph"})
    r = BundleReader(str(tmp_path / "s"))
    assert r.get("s").tolist() == strings.tolist()
    assert r.get("one")[()] == b"graph"


def test_table_spans_several_blocks_and_reads_back_in_key_order(monkeypatch):
    monkeypatch.setattr(table, "BLOCK_SIZE", 64)
    entries = sorted((f"key/{i:04d}".encode(), bytes([i % 256]) * (i % 7)) for i in range(300))
    buf = table.write_table(entries)
    assert buf[-8:] == (0xdb4775248b80fb57).to_bytes(8, "little")
    assert table.read_table(buf) == entries


def test_empty_table_round_trips():
    assert table.read_table(table.write_table([])) == []


def test_tf_written_checkpoint_reads_with_tf_keys_and_values():
    prefix = os.path.join(FIXTURES, "tf_module_adam", "ckpt-1")
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    assert shapes["model/w1/.ATTRIBUTES/VARIABLE_VALUE"] == [2, 3]
    assert shapes["optimizer/_variables/2/.ATTRIBUTES/VARIABLE_VALUE"] == [2, 3]
    w1 = reader.get_tensor("model/w1/.ATTRIBUTES/VARIABLE_VALUE")
    # made by TF 2.21: w1 = arange(6) after one Adam(0.1) step with gradient 2
    np.testing.assert_allclose(w1, np.arange(6, dtype=np.float32).reshape(2, 3) - 0.1, atol=1e-5)
    assert reader.get_tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == 1
    assert reader.get_variable_to_dtype_map()["save_counter/.ATTRIBUTES/VARIABLE_VALUE"] is tf.int64


def test_flipped_data_byte_raises_data_loss_naming_the_file(tmp_path):
    prefix = str(tmp_path / "c")
    write_bundle(prefix, {"v": np.arange(10, dtype=np.float32)})
    path = prefix + ".data-00000-of-00001"
    raw = bytearray(open(path, "rb").read())
    raw[5] ^= 0xFF
    open(path, "wb").write(bytes(raw))
    with pytest.raises(DataLossError, match=r"checksum mismatch for v in .*c\.data-00000-of-00001"):
        BundleReader(prefix).get("v")


def test_truncated_index_raises_data_loss_not_a_crash(tmp_path):
    prefix = str(tmp_path / "c")
    write_bundle(prefix, {"v": np.arange(10, dtype=np.float32)})
    path = prefix + ".index"
    raw = open(path, "rb").read()
    for cut in (0, 10, len(raw) // 2, len(raw) - 1):
        open(path, "wb").write(raw[:cut])
        with pytest.raises(DataLossError, match="c.index"):
            BundleReader(prefix)


def test_corrupted_index_block_raises_data_loss(tmp_path):
    prefix = str(tmp_path / "c")
    write_bundle(prefix, {"v": np.arange(10, dtype=np.float32)})
    path = prefix + ".index"
    raw = bytearray(open(path, "rb").read())
    raw[3] ^= 0x55
    open(path, "wb").write(bytes(raw))
    with pytest.raises(DataLossError, match="checksum mismatch"):
        BundleReader(prefix)


def test_missing_data_file_raises_data_loss(tmp_path):
    prefix = str(tmp_path / "c")
    write_bundle(prefix, {"v": np.arange(3, dtype=np.float32)})
    os.remove(prefix + ".data-00000-of-00001")
    with pytest.raises(DataLossError, match="data file .* is missing"):
        BundleReader(prefix).get("v")


def test_missing_prefix_raises_not_found(tmp_path):
    with pytest.raises(NotFoundError, match="Failed to find any matching files"):
        BundleReader(str(tmp_path / "nothing"))
    with pytest.raises(NotFoundError, match="Key nope not found"):
        write_bundle(str(tmp_path / "x"), {"v": np.zeros(1)})
        tf.train.load_checkpoint(str(tmp_path / "x")).get_tensor("nope")
