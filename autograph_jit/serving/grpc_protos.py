"""TF Serving's gRPC messages as real protobuf classes, built from descriptors written here after
TF Serving's documented API (tensorflow_serving/apis: model.proto, predict.proto,
get_model_status.proto) with its field numbers, so the bytes are TF Serving's: `ModelSpec`,
`PredictRequest`, `PredictResponse`, `GetModelStatusRequest`, `GetModelStatusResponse`, and
`TensorProto` (TF's tensor.proto, copied from autograph_jit.io.protos into this pool).

Also the NumPy <-> TensorProto conversions (`tensor_content`, or the typed `*_val` fields as
clients such as TF's `make_tensor_proto` write small tensors). Needs `protobuf`.
"""
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

from ..dtypes import DATATYPE_NUMBERS
from ..errors import InvalidArgumentError
from ..io import protos as _tf_protos
from ..io.protos import add_field as _field
from ..io.protos import add_map_entry

__all__ = ["ModelSpec", "PredictRequest", "PredictResponse", "GetModelStatusRequest",
           "GetModelStatusResponse", "TensorProto", "to_ndarray", "from_ndarray", "STATES"]

_F = descriptor_pb2.FieldDescriptorProto
_REP = _F.LABEL_REPEATED
STATES = {"UNKNOWN": 0, "START": 10, "LOADING": 20, "AVAILABLE": 30, "UNLOADING": 40, "END": 50}


def _tensor_map(msg, field_name, number, entry_name):
    add_map_entry(msg, entry_name, ".tensorflow.TensorProto")
    _field(msg, field_name, number, _F.TYPE_MESSAGE, _REP,
           type_name=f".tensorflow.serving.{msg.name}.{entry_name}")


def _build():
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    tensor = descriptor_pb2.FileDescriptorProto()
    _tf_protos.TensorProto.DESCRIPTOR.file.CopyToProto(tensor)
    pool.Add(tensor)
    apis = descriptor_pb2.FileDescriptorProto(
        name="autograph_jit/tensorflow_serving/apis/predict.proto",
        package="tensorflow.serving", syntax="proto3",
        dependency=[tensor.name, "google/protobuf/wrappers.proto"])
    m = apis.message_type.add(name="ModelSpec")
    _field(m, "name", 1, _F.TYPE_STRING)
    _field(m, "version", 2, _F.TYPE_MESSAGE, type_name=".google.protobuf.Int64Value")
    _field(m, "signature_name", 3, _F.TYPE_STRING)
    _field(m, "version_label", 4, _F.TYPE_STRING)
    m = apis.message_type.add(name="PredictRequest")
    _field(m, "model_spec", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.serving.ModelSpec")
    _tensor_map(m, "inputs", 2, "InputsEntry")
    _field(m, "output_filter", 3, _F.TYPE_STRING, _REP)
    m = apis.message_type.add(name="PredictResponse")
    _field(m, "model_spec", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.serving.ModelSpec")
    _tensor_map(m, "outputs", 1, "OutputsEntry")
    m = apis.message_type.add(name="GetModelStatusRequest")
    _field(m, "model_spec", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.serving.ModelSpec")
    m = apis.message_type.add(name="StatusProto")
    _field(m, "error_code", 1, _F.TYPE_INT32)
    _field(m, "error_message", 2, _F.TYPE_STRING)
    m = apis.message_type.add(name="ModelVersionStatus")
    state = m.enum_type.add(name="State")
    for name, number in STATES.items():
        state.value.add(name=name, number=number)
    _field(m, "version", 1, _F.TYPE_INT64)
    _field(m, "state", 2, _F.TYPE_ENUM,
           type_name=".tensorflow.serving.ModelVersionStatus.State")
    _field(m, "status", 3, _F.TYPE_MESSAGE, type_name=".tensorflow.serving.StatusProto")
    m = apis.message_type.add(name="GetModelStatusResponse")
    _field(m, "model_version_status", 1, _F.TYPE_MESSAGE, _REP,
           type_name=".tensorflow.serving.ModelVersionStatus")
    pool.Add(apis)
    get = message_factory.GetMessageClass
    out = {n: get(pool.FindMessageTypeByName("tensorflow.serving." + n)) for n in
           ("ModelSpec", "PredictRequest", "PredictResponse", "GetModelStatusRequest",
            "GetModelStatusResponse")}
    out["TensorProto"] = get(pool.FindMessageTypeByName("tensorflow.TensorProto"))
    return out


_CLASSES = _build()
ModelSpec = _CLASSES["ModelSpec"]
PredictRequest = _CLASSES["PredictRequest"]
PredictResponse = _CLASSES["PredictResponse"]
GetModelStatusRequest = _CLASSES["GetModelStatusRequest"]
GetModelStatusResponse = _CLASSES["GetModelStatusResponse"]
TensorProto = _CLASSES["TensorProto"]

# the TensorProto field of typed values, by element type
_VALUE_FIELDS = {"float32": "float_val", "float64": "double_val", "int32": "int_val",
                 "uint8": "int_val", "int16": "int_val", "int8": "int_val",
                 "int64": "int64_val", "bool": "bool_val", "float16": "half_val"}
# TF's DataType number -> (NumPy dtype, the TensorProto field of typed values)
_DTYPES = {DATATYPE_NUMBERS[name]: (np.dtype(name).type, field)
           for name, field in _VALUE_FIELDS.items()}
_NUMBERS = {np.dtype(t): n for n, (t, _) in _DTYPES.items()}


def to_ndarray(proto, name="input"):
    """The NumPy array of a TensorProto (`tensor_content`, or a typed `*_val` field, one value
    broadcast to the shape as TF does). Strings are not supported (InvalidArgumentError)."""
    if proto.dtype not in _DTYPES:
        raise InvalidArgumentError(f"{name}: TensorProto dtype {proto.dtype} is not supported "
                                   "(numeric and bool tensors only)")
    dtype, field = _DTYPES[proto.dtype]
    if proto.tensor_shape.unknown_rank:
        raise InvalidArgumentError(f"{name}: the tensor's shape has an unknown rank")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(f"{name}: negative dimension in shape {list(shape)}")
    count = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content:
        data = np.frombuffer(proto.tensor_content, dtype=np.dtype(dtype).newbyteorder("<"))
        if data.size != count:
            raise InvalidArgumentError(f"{name}: tensor_content holds {data.size} values; the "
                                       f"shape {list(shape)} needs {count}")
        return data.astype(dtype).reshape(shape)
    values = np.asarray(getattr(proto, field))
    if field == "half_val":
        values = values.astype(np.uint16).view(np.float16)
    if values.size == count:
        return values.astype(dtype).reshape(shape)
    if values.size == 1:
        return np.full(shape, values[0], dtype)
    raise InvalidArgumentError(f"{name}: {values.size} value(s) for shape {list(shape)} "
                               f"({count} elements)")


def from_ndarray(array):
    """A TensorProto holding `array` (dtype, shape, little-endian `tensor_content`)."""
    array = np.asarray(array)
    number = _NUMBERS.get(array.dtype)
    if number is None:
        raise InvalidArgumentError(f"outputs of dtype {array.dtype} cannot be sent over gRPC "
                                   "here (numeric and bool tensors only)")
    proto = TensorProto(dtype=number)
    for d in array.shape:
        proto.tensor_shape.dim.add(size=int(d))
    proto.tensor_content = np.ascontiguousarray(
        array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return proto
