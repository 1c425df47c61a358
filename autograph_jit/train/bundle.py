"""TF's tensor bundle: the `<prefix>.index` + `<prefix>.data-00000-of-00001` pair of a checkpoint.

The index is a sorted string table (table.py) mapping each tensor key to a serialized
`BundleEntryProto` (dtype, shape, shard, offset, size, masked CRC32C of the bytes), plus the
`BundleHeaderProto` under the empty key. The data file holds the tensors' raw little-endian bytes,
one after another. A string tensor is stored as the varint64 length of each element, the masked
CRC32C of those lengths (each hashed as a uint32), then the bytes of each element; its entry's
checksum covers the lengths' hash, the stored length checksum and the bytes, as TF's
`WriteStringTensor` does. Files written here load in TF (`tf.train.load_checkpoint`) and TF's load
here.

Writes are atomic: each file is written to `<name>.tempstate<random>` and renamed into place, data
file first, so a crash of the program leaves either the old pair or the new one. With `sync`
(the default; `tf.train.CheckpointOptions(experimental_fsync=False)` turns it off, as TF does not
sync) each file's bytes are flushed to the disk (fsync) before its rename, so a crash of the
machine cannot leave a renamed file whose bytes never reached the disk.
"""
import math
import os
import struct
import uuid

import numpy as np

from ..dtypes import DATATYPE_ENUM_NAMES, DATATYPE_NUMBERS
from ..errors import DataLossError, NotFoundError, UnimplementedError
from . import crc as _crc
from .protos import BundleEntryProto, BundleHeaderProto
from .table import read_table, varint, write_table

__all__ = ["write_bundle", "BundleReader", "data_filename", "index_filename", "atomic_write"]

TENSOR_BUNDLE_VERSION = 1       # TF's kTensorBundleVersion
_STRING = DATATYPE_NUMBERS["string"]

_NP_TO_DT = {np.dtype(name): n for name, n in DATATYPE_NUMBERS.items() if n != _STRING}
_DT_TO_NP = {v: k for k, v in _NP_TO_DT.items()}
_DT_TO_NAME = {n: name for name, n in DATATYPE_NUMBERS.items()}


def index_filename(prefix):
    return prefix + ".index"


def data_filename(prefix, shard=0, num_shards=1):
    return "%s.data-%05d-of-%05d" % (prefix, shard, num_shards)


def dtype_name(dt_enum):
    """Our dtype name for a TF DataType number ('float32', 'string', ...)."""
    name = _DT_TO_NAME.get(dt_enum)
    if name is None:
        raise UnimplementedError(f"checkpoint tensors of type {DATATYPE_ENUM_NAMES.get(dt_enum, dt_enum)} "
                                 "are not supported")
    return name


def atomic_write(path, chunks, sync=True):
    """Write `chunks` (bytes-like) to `path` through a temporary file (fsynced if `sync`) and a
    rename."""
    tmp = f"{path}.tempstate{uuid.uuid4().hex}"
    try:
        with open(tmp, "wb") as fh:
            for c in chunks:
                fh.write(c)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def fsync_dir(directory):
    """Make the renames done in `directory` durable."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _string_tensor_bytes(values):
    """(bytes, masked crc) of a string tensor in TF's on-disk layout."""
    lengths = b"".join(varint(len(v)) for v in values)
    crc = 0
    for v in values:
        n = len(v)
        crc = _crc.extend(crc, struct.pack("<I", n) if n <= 0xFFFFFFFF else struct.pack("<Q", n))
    length_checksum = struct.pack("<I", _crc.mask(crc))
    crc = _crc.extend(crc, length_checksum)
    body = b"".join(values)
    crc = _crc.extend(crc, body)
    return lengths + length_checksum + body, _crc.mask(crc)


def _entry_for(value, offset):
    """(entry proto, bytes) for one tensor: a NumPy array, or bytes / an object array of bytes."""
    entry = BundleEntryProto()
    if isinstance(value, (bytes, str)) or (isinstance(value, np.ndarray) and value.dtype.kind in "OSU"):
        arr = np.asarray(value, dtype=object)
        flat = [v.encode() if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)]
        data, checksum = _string_tensor_bytes(flat)
        entry.dtype = _STRING
    else:
        arr = np.asarray(value)
        dt = _NP_TO_DT.get(arr.dtype)
        if dt is None:
            raise UnimplementedError(f"cannot checkpoint a tensor of dtype {arr.dtype}")
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        data = arr.tobytes()  # C order, whatever the array's layout
        checksum = _crc.mask(_crc.crc32c(data))
        entry.dtype = dt
    for d in arr.shape:
        entry.shape.dim.add(size=d)
    entry.offset = offset
    entry.size = len(data)
    entry.crc32c = checksum
    return entry, data


def write_bundle(prefix, tensors, sync=True):
    """Write `tensors` (key -> array or bytes) as the bundle `prefix`; returns `prefix`.

    Keys are stored sorted; the data file's tensors follow the same order. With `sync`, both files
    are on disk when this returns."""
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    offset = 0
    chunks = []
    rows = []
    for key in sorted(tensors):
        entry, data = _entry_for(tensors[key], offset)
        offset += len(data)
        chunks.append(data)
        rows.append((key.encode(), entry.SerializeToString()))
    header = BundleHeaderProto(num_shards=1, endianness=0)
    header.version.producer = TENSOR_BUNDLE_VERSION
    index = write_table([(b"", header.SerializeToString())] + rows)
    atomic_write(data_filename(prefix), chunks, sync)
    atomic_write(index_filename(prefix), [index], sync)
    if sync:
        fsync_dir(directory)
    return prefix


class BundleReader:
    """Reads the tensors of the bundle `prefix` (checksums verified on every read)."""

    def __init__(self, prefix):
        self.prefix = prefix
        path = index_filename(prefix)
        try:
            with open(path, "rb") as fh:
                buf = fh.read()
        except FileNotFoundError:
            raise NotFoundError(f"Unsuccessful TensorSliceReader constructor: Failed to find any "
                                f"matching files for {prefix}") from None
        except IsADirectoryError:
            raise NotFoundError(f"{prefix} is a directory, not a checkpoint prefix; pass the "
                                "prefix (e.g. tf.train.latest_checkpoint(directory))") from None
        rows = read_table(buf, path)
        if not rows or rows[0][0] != b"":
            raise DataLossError(f"{path} has no bundle header")
        header = BundleHeaderProto.FromString(rows[0][1])
        if header.version.producer < 0 or header.version.min_consumer > TENSOR_BUNDLE_VERSION:
            raise DataLossError(f"{path} needs a newer checkpoint reader (min_consumer "
                                f"{header.version.min_consumer})")
        self._big_endian = header.endianness == 1
        self.num_shards = max(header.num_shards, 1)
        self._entries = {}
        for key, value in rows[1:]:
            try:
                self._entries[key.decode()] = BundleEntryProto.FromString(value)
            except Exception as e:  # protobuf's DecodeError
                raise DataLossError(f"corrupted entry for {key!r} in {path}: {e}") from None
        self._shards = {}

    def keys(self):
        return list(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def entry(self, key):
        e = self._entries.get(key)
        if e is None:
            raise NotFoundError(f"Key {key} not found in checkpoint {self.prefix}")
        return e

    def shape(self, key):
        return [d.size for d in self.entry(key).shape.dim]

    def dtype(self, key):
        return dtype_name(self.entry(key).dtype)

    def _shard(self, shard_id):
        data = self._shards.get(shard_id)
        if data is None:
            path = data_filename(self.prefix, shard_id, self.num_shards)
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                raise DataLossError(f"checkpoint data file {path} is missing (the index "
                                    f"{index_filename(self.prefix)} refers to it)") from None
            self._shards[shard_id] = data
        return data

    def get(self, key):
        """The tensor under `key` as a NumPy array (strings as an object array of bytes)."""
        e = self.entry(key)
        if len(e.slices):
            raise UnimplementedError(f"{key} in {self.prefix} is a partitioned (sliced) variable; "
                                     "reading sliced checkpoint tensors is not supported")
        data = self._shard(e.shard_id)
        shape = tuple(d.size for d in e.shape.dim)
        where = f"{key} in {data_filename(self.prefix, e.shard_id, self.num_shards)}"
        if e.offset + e.size > len(data):
            raise DataLossError(f"checkpoint data for {where} is truncated: needs bytes "
                                f"[{e.offset}, {e.offset + e.size}) of a {len(data)}-byte file")
        raw = memoryview(data)[e.offset:e.offset + e.size]   # read-only, no copy
        if e.dtype == _STRING:
            return self._strings(bytes(raw), shape, e.crc32c, where)
        # google-crc32c takes bytes only: the checksum reads a copy, the array views the file
        if _crc.mask(_crc.crc32c(data[e.offset:e.offset + e.size])) != e.crc32c:
            raise DataLossError(f"checksum mismatch for {where} (offset {e.offset}): the "
                                "checkpoint is corrupted")
        np_dtype = _DT_TO_NP.get(e.dtype)
        if np_dtype is None:
            dtype_name(e.dtype)  # raises, naming the type
        arr = np.frombuffer(raw, dtype=np_dtype.newbyteorder(">") if self._big_endian
                            else np_dtype)
        if arr.size != math.prod(shape):
            raise DataLossError(f"{where} holds {arr.size} elements, its shape {list(shape)} "
                                "needs a different number")
        if self._big_endian:
            arr = arr.astype(np_dtype)
            arr.flags.writeable = False
        # A read-only view of the data file's bytes (callers that hand it out copy it).
        return arr.reshape(shape)

    @staticmethod
    def _strings(raw, shape, expected, where):
        n = int(np.prod(shape, dtype=np.int64))
        pos, lengths, crc = 0, [], 0
        for _ in range(n):
            length = shift = 0
            while True:
                if pos >= len(raw):
                    raise DataLossError(f"corrupted string tensor {where}")
                b = raw[pos]
                pos += 1
                length |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            lengths.append(length)
            crc = _crc.extend(crc, struct.pack("<I", length) if length <= 0xFFFFFFFF
                              else struct.pack("<Q", length))
        crc = _crc.extend(crc, raw[pos:pos + 4])
        pos += 4
        out = []
        for length in lengths:
            out.append(raw[pos:pos + length])
            pos += length
        crc = _crc.extend(crc, b"".join(out))
        if pos != len(raw) or _crc.mask(crc) != expected:
            raise DataLossError(f"checksum mismatch for string tensor {where}: the checkpoint is "
                                "corrupted")
        arr = np.empty(n, dtype=object)
        arr[:] = out
        return arr.reshape(shape)
