"""The protocol buffers of TF's checkpoint format, built with the `protobuf` package.

Messages (field numbers as in TF's public .proto files):
- `BundleHeaderProto`, `BundleEntryProto` (tensorflow/core/protobuf/tensor_bundle.proto): the
  values of a checkpoint's `.index` table;
- `TensorShapeProto`, `TensorSliceProto`, `VersionDef` (tensorflow/core/framework/);
- `TrackableObjectGraph` (tensorflow/core/protobuf/trackable_object_graph.proto): the object graph
  stored under the `_CHECKPOINTABLE_OBJECT_GRAPH` key;
- `CheckpointState` (tensorflow/python/checkpoint/checkpoint_state.proto): the `checkpoint` file.

The descriptors live in a private pool, so they never clash with the copies of TF's protos that
other packages (tensorboard, tensorflow) register in protobuf's default pool.
"""
try:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("tf.train checkpoints need the `protobuf` and `google-crc32c` packages: "
                      "pip install 'autograph_jit[checkpoint]'") from e

from ..dtypes import DATATYPE_ENUM_NAMES

__all__ = ["BundleHeaderProto", "BundleEntryProto", "TensorShapeProto", "TensorSliceProto",
           "VersionDef", "TrackableObjectGraph", "CheckpointState"]

_F = descriptor_pb2.FieldDescriptorProto
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED



def _field(name, number, ftype, label=_OPT, type_name=None, oneof=None):
    f = _F(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def _message(name, fields, nested=(), enums=(), oneofs=()):
    m = descriptor_pb2.DescriptorProto(name=name)
    m.field.extend(fields)
    m.nested_type.extend(nested)
    m.enum_type.extend(enums)
    for o in oneofs:
        m.oneof_decl.add(name=o)
    return m


def _enum(name, values):
    e = descriptor_pb2.EnumDescriptorProto(name=name)
    for k, v in values:
        e.value.add(name=k, number=v)
    return e


def _build_file():
    T = _F
    fp = descriptor_pb2.FileDescriptorProto(name="autograph_jit/train/checkpoint.proto",
                                            package="tensorflow", syntax="proto3")
    fp.enum_type.append(_enum("DataType", [(v, k) for k, v in sorted(DATATYPE_ENUM_NAMES.items())]))
    dim = _message("Dim", [_field("size", 1, T.TYPE_INT64), _field("name", 2, T.TYPE_STRING)])
    fp.message_type.append(_message("TensorShapeProto", [
        _field("dim", 2, T.TYPE_MESSAGE, _REP, ".tensorflow.TensorShapeProto.Dim"),
        _field("unknown_rank", 3, T.TYPE_BOOL)], nested=[dim]))
    extent = _message("Extent", [_field("start", 1, T.TYPE_INT64),
                                 _field("length", 2, T.TYPE_INT64, oneof=0)],
                      oneofs=["has_length"])
    fp.message_type.append(_message("TensorSliceProto", [
        _field("extent", 1, T.TYPE_MESSAGE, _REP, ".tensorflow.TensorSliceProto.Extent")],
        nested=[extent]))
    fp.message_type.append(_message("VersionDef", [
        _field("producer", 1, T.TYPE_INT32), _field("min_consumer", 2, T.TYPE_INT32),
        _field("bad_consumers", 3, T.TYPE_INT32, _REP)]))
    fp.message_type.append(_message("BundleHeaderProto", [
        _field("num_shards", 1, T.TYPE_INT32),
        _field("endianness", 2, T.TYPE_ENUM, type_name=".tensorflow.BundleHeaderProto.Endianness"),
        _field("version", 3, T.TYPE_MESSAGE, type_name=".tensorflow.VersionDef")],
        enums=[_enum("Endianness", [("LITTLE", 0), ("BIG", 1)])]))
    fp.message_type.append(_message("BundleEntryProto", [
        _field("dtype", 1, T.TYPE_ENUM, type_name=".tensorflow.DataType"),
        _field("shape", 2, T.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto"),
        _field("shard_id", 3, T.TYPE_INT32), _field("offset", 4, T.TYPE_INT64),
        _field("size", 5, T.TYPE_INT64), _field("crc32c", 6, T.TYPE_FIXED32),
        _field("slices", 7, T.TYPE_MESSAGE, _REP, ".tensorflow.TensorSliceProto")]))
    # TrackableObjectGraph; `registered_saver` (4) and `has_checkpoint_values` (5, a BoolValue)
    # are kept as raw messages we never fill, declared so TF-written graphs parse losslessly.
    obj_ref = _message("ObjectReference", [_field("node_id", 1, T.TYPE_INT32),
                                           _field("local_name", 2, T.TYPE_STRING)])
    ser_tensor = _message("SerializedTensor", [
        _field("name", 1, T.TYPE_STRING), _field("full_name", 2, T.TYPE_STRING),
        _field("checkpoint_key", 3, T.TYPE_STRING)])
    slot_ref = _message("SlotVariableReference", [
        _field("original_variable_node_id", 1, T.TYPE_INT32),
        _field("slot_name", 2, T.TYPE_STRING), _field("slot_variable_node_id", 3, T.TYPE_INT32)])
    reg_saver = _message("RegisteredSaver", [_field("name", 1, T.TYPE_STRING),
                                             _field("object_name", 2, T.TYPE_STRING)])
    bool_value = _message("BoolValue", [_field("value", 1, T.TYPE_BOOL)])
    prefix = ".tensorflow.TrackableObjectGraph.TrackableObject."
    trackable = _message("TrackableObject", [
        _field("children", 1, T.TYPE_MESSAGE, _REP, prefix + "ObjectReference"),
        _field("attributes", 2, T.TYPE_MESSAGE, _REP, prefix + "SerializedTensor"),
        _field("slot_variables", 3, T.TYPE_MESSAGE, _REP, prefix + "SlotVariableReference"),
        _field("registered_saver", 4, T.TYPE_MESSAGE, type_name=prefix + "RegisteredSaver"),
        _field("has_checkpoint_values", 5, T.TYPE_MESSAGE, type_name=prefix + "BoolValue")],
        nested=[obj_ref, ser_tensor, slot_ref, reg_saver, bool_value])
    fp.message_type.append(_message("TrackableObjectGraph", [
        _field("nodes", 1, T.TYPE_MESSAGE, _REP,
               ".tensorflow.TrackableObjectGraph.TrackableObject")], nested=[trackable]))
    # CheckpointState (tensorflow/python/checkpoint/checkpoint_state.proto): the text-format
    # `checkpoint` file of a checkpoint directory.
    fp.message_type.append(_message("CheckpointState", [
        _field("model_checkpoint_path", 1, T.TYPE_STRING),
        _field("all_model_checkpoint_paths", 2, T.TYPE_STRING, _REP),
        _field("all_model_checkpoint_timestamps", 3, T.TYPE_DOUBLE, _REP),
        _field("last_preserved_timestamp", 4, T.TYPE_DOUBLE)]))
    return fp


_pool = descriptor_pool.DescriptorPool()
_file = _pool.Add(_build_file())


def _cls(name):
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName("tensorflow." + name))


TensorShapeProto = _cls("TensorShapeProto")
TensorSliceProto = _cls("TensorSliceProto")
VersionDef = _cls("VersionDef")
BundleHeaderProto = _cls("BundleHeaderProto")
BundleEntryProto = _cls("BundleEntryProto")
TrackableObjectGraph = _cls("TrackableObjectGraph")
CheckpointState = _cls("CheckpointState")
