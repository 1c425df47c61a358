"""CRC32C (Castagnoli) and TF's masked form, used by checkpoint index blocks and bundle entries.

`google-crc32c` computes the checksum in C (hardware-accelerated where the CPU has it).
"""
try:
    import google_crc32c as _crc
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("tf.train checkpoints need the `protobuf` and `google-crc32c` packages: "
                      "pip install 'autograph_jit[checkpoint]'") from e

__all__ = ["crc32c", "extend", "mask", "unmask", "masked_crc32c"]

_MASK_DELTA = 0xa282ead8


def crc32c(data):
    """The CRC32C of a bytes object."""
    return _crc.value(data)


def extend(crc, data):
    """The CRC32C of the bytes summarised by `crc` followed by `data`."""
    return _crc.extend(crc, data)


def mask(crc):
    """TF's masked CRC (rotate right 15 bits, add a constant): safe to store beside the data."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def masked_crc32c(data):
    return mask(crc32c(data))
