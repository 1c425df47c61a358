"""DType: TF's element types (`tf.float32`, ...), their NumPy twins and `tf.as_dtype`.

A DType compares equal to its NumPy type, to another DType of the same name and to its name as a
string, as in TF (`tf.int64 == np.int64`, `tf.double == np.float64`).
"""
import builtins

import numpy as np

__all__ = [
    "DType", "as_dtype", "float16", "half", "float32", "float64", "double", "int8", "int16",
    "int32", "int64", "uint8", "bool", "string", "complex64", "complex128",
]

# TF's DataType enum (tensorflow/core/framework/types.proto): number -> enum name. The one table
# of these numbers: checkpoints, TensorProtos, TF Serving and SavedModel signatures read it.
DATATYPE_ENUM_NAMES = {
    0: "DT_INVALID", 1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16",
    6: "DT_INT8", 7: "DT_STRING", 8: "DT_COMPLEX64", 9: "DT_INT64", 10: "DT_BOOL",
    11: "DT_QINT8", 12: "DT_QUINT8", 13: "DT_QINT32", 14: "DT_BFLOAT16", 15: "DT_QINT16",
    16: "DT_QUINT16", 17: "DT_UINT16", 18: "DT_COMPLEX128", 19: "DT_HALF", 20: "DT_RESOURCE",
    21: "DT_VARIANT", 22: "DT_UINT32", 23: "DT_UINT64",
}
# element type name (NumPy's, or "string") -> DataType number, for the types with a NumPy twin
DATATYPE_NUMBERS = {
    "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
    "complex64": 8, "int64": 9, "bool": 10, "uint16": 17, "complex128": 18, "float16": 19,
    "uint32": 22, "uint64": 23,
}


class DType:
    """One element type; use the module constants (`float32`, ...) rather than building one.

    >>> tf.float32.name, tf.float32.size, tf.float32.is_floating
    ('float32', 4, True)
    >>> tf.int32.max
    2147483647
    >>> tf.as_dtype('int64') == tf.int64
    True
    """

    # The kind flags are plain attributes set once (not properties): the eager op path reads them
    # on every op, and an attribute is several times cheaper than a property call.
    __slots__ = ("name", "np_dtype", "short", "is_floating", "is_integer", "is_unsigned",
                 "is_bool", "is_numeric", "is_complex")

    def __init__(self, name, np_dtype, short):
        self.name = name
        self.np_dtype = np.dtype(np_dtype) if np_dtype is not None else None
        self.short = short  # the IR printer's spelling: f32, i64, bool
        kind = self.np_dtype.kind if self.np_dtype is not None else ""
        self.is_floating = kind == "f"
        self.is_integer = kind in ("i", "u")
        self.is_unsigned = kind == "u"
        self.is_bool = name == "bool"
        self.is_numeric = self.is_floating or self.is_integer
        self.is_complex = kind == "c"

    @property
    def as_datatype_enum(self):
        """TF's DataType enum number of this type (`tf.float32.as_datatype_enum == 1`)."""
        return DATATYPE_NUMBERS[self.name]

    @property
    def as_numpy_dtype(self):
        return self.np_dtype.type

    @property
    def real_dtype(self):
        """float32 for complex64, float64 for complex128, the dtype itself otherwise."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_numpy_compatible(self):
        return self.np_dtype is not None and self.name != "string"

    @property
    def size(self):
        return self.np_dtype.itemsize

    @property
    def min(self):
        return np.finfo(self.np_dtype).min if self.is_floating else np.iinfo(self.np_dtype).min

    @property
    def max(self):
        return np.finfo(self.np_dtype).max if self.is_floating else np.iinfo(self.np_dtype).max

    @property
    def base_dtype(self):
        return self

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return "tf." + self.name

    def __str__(self):
        return "<dtype: %r>" % self.name

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16, "f16")
float32 = DType("float32", np.float32, "f32")
float64 = DType("float64", np.float64, "f64")
int8 = DType("int8", np.int8, "i8")
int16 = DType("int16", np.int16, "i16")
int32 = DType("int32", np.int32, "i32")
int64 = DType("int64", np.int64, "i64")
uint8 = DType("uint8", np.uint8, "u8")
bool = DType("bool", np.bool_, "bool")  # noqa: A001 - TF's name
# Strings are NumPy object arrays of bytes, as TF's .numpy() returns them.
string = DType("string", object, "str")
complex64 = DType("complex64", np.complex64, "c64")
complex128 = DType("complex128", np.complex128, "c128")
half = float16
double = float64

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
COMPLEX = (complex64, complex128)
_BY_NAME = {d.name: d for d in ALL + COMPLEX + (string,)}
_BY_NAME.update(half=float16, double=float64, float=float32, cfloat=complex64,
                cdouble=complex128)
_BY_NP = {d.np_dtype: d for d in ALL + COMPLEX + (string,)}


def _by_enum(number):
    for name, n in DATATYPE_NUMBERS.items():
        if n == number and name in _BY_NAME:
            return _BY_NAME[name]
    raise TypeError(f"Cannot convert DataType enum {number} "
                    f"({DATATYPE_ENUM_NAMES.get(number, 'unknown')}) to a dtype: it is not "
                    f"supported here")


def as_dtype(value):
    """The DType for a DType, a NumPy dtype or type, or a name ("float32", "double").

    >>> tf.as_dtype('float32')
    tf.float32
    >>> tf.as_dtype(np.int64)
    tf.int64
    >>> tf.as_dtype(tf.bool).name
    'bool'
    >>> tf.as_dtype(1)  # TF's DataType enum number (DT_FLOAT)
    tf.float32
    """
    if isinstance(value, DType):
        return value
    if type(value) is int:
        return _by_enum(value)
    if isinstance(value, str):
        try:
            return _BY_NAME[value]
        except KeyError:
            raise TypeError(f"Cannot convert {value!r} to a dtype; expected one of "
                            f"{sorted(_BY_NAME)}") from None
    if value is float:
        return float32
    if value is int:  # TF goes through np.dtype(int): int64
        return int64
    if value is builtins.bool:
        return bool
    if value is complex:
        return complex128
    if value in (str, bytes):
        return string
    try:
        np_dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to a dtype") from None
    if np_dt.kind in "US":
        return string
    try:
        return _BY_NP[np_dt]
    except KeyError:
        raise TypeError(f"Cannot convert {value!r} to a dtype: {np_dt} is not supported") from None

