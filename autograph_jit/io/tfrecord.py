"""TFRecord files, byte-compatible with TF: each record is

    uint64 length (little endian) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)

with optional GZIP or ZLIB compression of the whole stream. CRC32C comes from the
`google-crc32c` package when installed (extra `data`), else a table-driven pure-Python version.
A record whose length or checksum does not verify raises tf.errors.DataLossError naming the file
and the byte offset.
"""
import gzip
import io
import os
import struct
import zlib

from ..errors import DataLossError, FailedPreconditionError, NotFoundError

__all__ = ["TFRecordWriter", "TFRecordOptions", "tf_record_iterator", "masked_crc32c",
           "crc32c"]

_MASK_DELTA = 0xa282ead8

try:
    import google_crc32c as _gcrc

    def crc32c(data):
        """The CRC32C (Castagnoli) of `data`."""
        return _gcrc.value(bytes(data))
except ImportError:  # the pure fallback
    _TABLE = []
    for _i in range(256):
        _c = _i
        for _ in range(8):
            _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
        _TABLE.append(_c)

    def crc32c(data):
        """The CRC32C (Castagnoli) of `data`."""
        crc = 0xFFFFFFFF
        table = _TABLE
        for b in bytes(data):
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TF's masked CRC: rotate the CRC32C right by 15 bits and add a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


class TFRecordOptions:
    """TF's `tf.io.TFRecordOptions(compression_type=None | "" | "ZLIB" | "GZIP", ...)`.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'data.tfrecord.gz')
    >>> options = tf.io.TFRecordOptions(compression_type='GZIP')
    >>> with tf.io.TFRecordWriter(path, options) as w:
    ...     w.write(b'compressed')
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type='GZIP')]
    [b'compressed']
    """

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        self.compression_type = _compression(compression_type)
        self.compression_level = compression_level

    @classmethod
    def get_compression_type_string(cls, options):
        if options is None:
            return ""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        return _compression(options)


def _compression(kind):
    kind = "" if kind is None else str(kind).upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"compression_type must be '', 'ZLIB' or 'GZIP', got {kind!r}")
    return kind


class TFRecordWriter:
    """TF's `tf.io.TFRecordWriter(path, options=None)`: `write(record)`, `flush()`, `close()`,
    usable as a context manager.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.tfrecord")
    >>> with tf.io.TFRecordWriter(path) as w:
    ...     w.write(b"first record")
    >>> [r.numpy() for r in tf.data.TFRecordDataset(path)]
    [b'first record']
    """

    def __init__(self, path, options=None):
        self._path = os.fspath(path)
        kind = TFRecordOptions.get_compression_type_string(options)
        level = options.compression_level if isinstance(options, TFRecordOptions) else None
        raw = open(self._path, "wb")
        if kind == "GZIP":
            self._fh = gzip.GzipFile(fileobj=raw, mode="wb",
                                     compresslevel=9 if level in (None, -1) else level)
            self._raw = raw
        elif kind == "ZLIB":
            self._fh = _ZlibWriter(raw, -1 if level is None else level)
            self._raw = raw
        else:
            self._fh, self._raw = raw, None

    def write(self, record):
        """Append one record (bytes)."""
        if self._fh is None:
            raise FailedPreconditionError(f"TFRecordWriter for {self._path} is closed.")
        if isinstance(record, str):
            record = record.encode("utf-8")
        elif hasattr(record, "numpy"):
            record = record.numpy()
        data = bytes(record)
        header = struct.pack("<Q", len(data))
        self._fh.write(header + struct.pack("<I", masked_crc32c(header)) + data +
                       struct.pack("<I", masked_crc32c(data)))

    def flush(self):
        if self._fh is not None:
            self._fh.flush()

    def close(self):
        if self._fh is None:
            return
        self._fh.close()
        if self._raw is not None:
            self._raw.close()
        self._fh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass


class _ZlibWriter:
    def __init__(self, raw, level):
        self._raw = raw
        self._z = zlib.compressobj(level)

    def write(self, data):
        self._raw.write(self._z.compress(data))

    def flush(self):
        self._raw.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._raw.flush()

    def close(self):
        self._raw.write(self._z.flush())
        self._raw.flush()


def _open(path, kind):
    if kind == "GZIP":
        return gzip.open(path, "rb")
    if kind == "ZLIB":
        with open(path, "rb") as fh:
            return io.BytesIO(zlib.decompress(fh.read()))
    return open(path, "rb", buffering=1 << 16)


def tf_record_iterator(path, compression_type="", check_crc=True):
    """The records of one TFRecord file, as bytes; DataLossError on corruption.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = os.path.join(d, 'r.tfrecord')
    >>> with tf.io.TFRecordWriter(path) as w:
    ...     w.write(b'one')
    ...     w.write(b'two')
    >>> list(tf.io.tf_record_iterator(path))
    [b'one', b'two']
    """
    kind = _compression(compression_type)
    path = os.fspath(path)
    try:
        fh = _open(path, kind)
    except FileNotFoundError:
        raise NotFoundError(f"{path}; No such file or directory") from None
    with fh:
        offset = 0
        while True:
            try:
                header = fh.read(12)
            except (OSError, EOFError, zlib.error) as e:
                raise DataLossError(f"corrupted compressed data in {path} near offset "
                                    f"{offset}: {e}") from None
            if not header:
                return
            if len(header) < 12:
                raise DataLossError(f"truncated record at offset {offset} in {path}: "
                                    f"{len(header)} of the 12 header bytes")
            length_bytes = header[:8]
            (length,) = struct.unpack("<Q", length_bytes)
            (length_crc,) = struct.unpack("<I", header[8:])
            if check_crc and masked_crc32c(length_bytes) != length_crc:
                raise DataLossError(f"corrupted record at offset {offset} in {path}: the length "
                                    "field fails its checksum")
            try:
                body = fh.read(length + 4)
            except (OSError, EOFError, zlib.error) as e:
                raise DataLossError(f"corrupted compressed data in {path} near offset "
                                    f"{offset}: {e}") from None
            if len(body) < length + 4:
                raise DataLossError(f"truncated record at offset {offset} in {path}: expected "
                                    f"{length} data bytes and a checksum, found {len(body)} "
                                    "bytes")
            data = body[:length]
            (data_crc,) = struct.unpack("<I", body[length:])
            if check_crc and masked_crc32c(data) != data_crc:
                raise DataLossError(f"corrupted record at offset {offset} in {path}: the data "
                                    "fails its checksum")
            yield data
            offset += 12 + length + 4
