"""The sorted string table of a checkpoint's `.index` file: LevelDB's table format, as TF's
`tensorflow/core/lib/io/table_builder.cc` writes it (uncompressed).

Layout: data blocks, a (empty) metaindex block, an index block, then a 48-byte footer holding the
two blocks' handles (varint64 offset and size), zero padding to 40 bytes, and the magic number
0xdb4775248b80fb57 (fixed64). A block holds entries `varint32 shared, varint32 unshared,
varint32 value_length, key_suffix, value` (keys prefix-compressed, restarting every 16 entries),
then the restart offsets (fixed32 each) and their count (fixed32); each block is followed by a
type byte (0: uncompressed) and the masked CRC32C of contents + type byte.
"""
import struct

from ..errors import DataLossError
from .crc import masked_crc32c

__all__ = ["write_table", "read_table", "varint"]

MAGIC = 0xdb4775248b80fb57
FOOTER_SIZE = 48
BLOCK_SIZE = 262144      # TF's default table block size
RESTART_INTERVAL = 16


def varint(n):
    """`n` (>= 0) as a base-128 varint (protobuf's and LevelDB's encoding)."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf, pos, where):
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise DataLossError(f"corrupted varint in {where}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _build_block(entries):
    out = bytearray()
    restarts = []
    prev = b""
    for i, (key, value) in enumerate(entries):
        if i % RESTART_INTERVAL == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            limit = min(len(prev), len(key))
            while shared < limit and prev[shared] == key[shared]:
                shared += 1
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        prev = key
    if not restarts:
        restarts.append(0)
    out += b"".join(struct.pack("<I", r) for r in restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def _framed(block):
    return block + b"\x00" + struct.pack("<I", masked_crc32c(block + b"\x00"))


def write_table(entries):
    """The table bytes for `entries`, a list of (key bytes, value bytes) sorted by key."""
    out = bytearray()
    index = []
    start = 0
    while start < len(entries):
        size, end = 0, start
        while end < len(entries) and (size < BLOCK_SIZE or end == start):
            size += len(entries[end][0]) + len(entries[end][1]) + 8
            end += 1
        chunk = entries[start:end]
        block = _build_block(chunk)
        handle = varint(len(out)) + varint(len(block))
        out += _framed(block)
        index.append((chunk[-1][0], handle))
        start = end
    meta = _build_block([])
    meta_handle = varint(len(out)) + varint(len(meta))
    out += _framed(meta)
    index_block = _build_block(index)
    index_handle = varint(len(out)) + varint(len(index_block))
    out += _framed(index_block)
    handles = meta_handle + index_handle
    out += handles + b"\x00" * (40 - len(handles)) + struct.pack("<Q", MAGIC)
    return bytes(out)


def _read_block(buf, handle, where):
    offset, pos = _read_varint(handle, 0, where)
    size, _ = _read_varint(handle, pos, where)
    if offset + size + 5 > len(buf):
        raise DataLossError(f"truncated block at offset {offset} in {where}")
    block = buf[offset:offset + size]
    kind = buf[offset + size]
    (crc,) = struct.unpack_from("<I", buf, offset + size + 1)
    if masked_crc32c(bytes(block) + bytes([kind])) != crc:
        raise DataLossError(f"block checksum mismatch at offset {offset} in {where}")
    if kind != 0:
        raise DataLossError(f"compressed block (type {kind}) at offset {offset} in "
                                        f"{where}: only uncompressed tables are supported")
    return bytes(block)


def _block_entries(block, where):
    if len(block) < 4:
        raise DataLossError(f"block too short in {where}")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    if limit < 0:
        raise DataLossError(f"bad restart count in {where}")
    pos, key = 0, b""
    out = []
    while pos < limit:
        shared, pos = _read_varint(block, pos, where)
        unshared, pos = _read_varint(block, pos, where)
        vlen, pos = _read_varint(block, pos, where)
        if shared > len(key) or pos + unshared + vlen > limit:
            raise DataLossError(f"corrupted block entry in {where}")
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        out.append((key, block[pos:pos + vlen]))
        pos += vlen
    return out


def read_table(buf, where="table"):
    """All (key, value) pairs of a table, in key order; `where` names the file in errors."""
    if len(buf) < FOOTER_SIZE:
        raise DataLossError(f"{where} is too short ({len(buf)} bytes) to be a "
                                        "checkpoint index (truncated?)")
    footer = buf[-FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, 40)
    if magic != MAGIC:
        raise DataLossError(f"{where} is not a checkpoint index: bad magic number")
    _, pos = _read_varint(footer, 0, where)
    _, pos = _read_varint(footer, pos, where)
    index_handle = footer[pos:40]
    entries = []
    for _, handle in _block_entries(_read_block(buf, index_handle, where), where):
        entries.extend(_block_entries(_read_block(buf, handle, where), where))
    return entries
