"""TF's protocol buffer messages used by tf.data and tf.io, as real `protobuf` messages:
`tensorflow.Example`, `Features`, `Feature`, `BytesList`, `FloatList`, `Int64List`,
`SequenceExample`, `FeatureList(s)` (TF's example.proto / feature.proto) and `TensorProto`,
`TensorShapeProto` (tensor.proto / tensor_shape.proto), with TF's field numbers, so the bytes
are exactly TF's.

The descriptors are built at import from `descriptor_pb2` in a private pool (so they never
clash with another copy of the same TF messages loaded in the process); needs the `protobuf`
package (extra `data`).
"""
try:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as e:  # pragma: no cover - only without the extra
    raise ImportError("tf.train.Example and tf.io parsing need the `protobuf` package: "
                      "pip install 'autograph_jit[data]'") from e

from ..dtypes import DATATYPE_ENUM_NAMES

_F = descriptor_pb2.FieldDescriptorProto



def add_field(msg, name, number, kind, label=_F.LABEL_OPTIONAL, type_name=None, packed=None,
              oneof=None):
    """Add field `name` (`number`, `kind` a FieldDescriptorProto type) to the DescriptorProto
    `msg`; returns the field. `type_name` for message/enum fields, `packed` for repeated
    scalars, `oneof` the index of the oneof it belongs to.

    Example: `add_field(m, "value", 1, _F.TYPE_FLOAT, _F.LABEL_REPEATED, packed=True)`.
    """
    f = msg.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name
    if packed is not None:
        f.options.packed = packed
    if oneof is not None:
        f.oneof_index = oneof
    return f


def add_map_entry(msg, entry_name, value_type):
    """Add the nested map-entry message `entry_name` (string keys, `value_type` messages) that a
    `map<string, value_type>` field of `msg` refers to; returns the entry.

    Example: `add_map_entry(m, "FeatureEntry", ".tensorflow.Feature")`.
    """
    entry = msg.nested_type.add(name=entry_name)
    entry.options.map_entry = True
    add_field(entry, "key", 1, _F.TYPE_STRING)
    add_field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=value_type)
    return entry


def _build():
    rep = _F.LABEL_REPEATED
    feature = descriptor_pb2.FileDescriptorProto(
        name="autograph_jit/tensorflow/core/example/feature.proto", package="tensorflow",
        syntax="proto3")
    m = feature.message_type.add(name="BytesList")
    add_field(m, "value", 1, _F.TYPE_BYTES, rep)
    m = feature.message_type.add(name="FloatList")
    add_field(m, "value", 1, _F.TYPE_FLOAT, rep, packed=True)
    m = feature.message_type.add(name="Int64List")
    add_field(m, "value", 1, _F.TYPE_INT64, rep, packed=True)
    m = feature.message_type.add(name="Feature")
    m.oneof_decl.add(name="kind")
    add_field(m, "bytes_list", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.BytesList", oneof=0)
    add_field(m, "float_list", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FloatList", oneof=0)
    add_field(m, "int64_list", 3, _F.TYPE_MESSAGE, type_name=".tensorflow.Int64List", oneof=0)
    m = feature.message_type.add(name="Features")
    add_map_entry(m, "FeatureEntry", ".tensorflow.Feature")
    add_field(m, "feature", 1, _F.TYPE_MESSAGE, rep, type_name=".tensorflow.Features.FeatureEntry")
    m = feature.message_type.add(name="FeatureList")
    add_field(m, "feature", 1, _F.TYPE_MESSAGE, rep, type_name=".tensorflow.Feature")
    m = feature.message_type.add(name="FeatureLists")
    add_map_entry(m, "FeatureListEntry", ".tensorflow.FeatureList")
    add_field(m, "feature_list", 1, _F.TYPE_MESSAGE, rep,
           type_name=".tensorflow.FeatureLists.FeatureListEntry")

    example = descriptor_pb2.FileDescriptorProto(
        name="autograph_jit/tensorflow/core/example/example.proto", package="tensorflow",
        syntax="proto3", dependency=[feature.name])
    m = example.message_type.add(name="Example")
    add_field(m, "features", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    m = example.message_type.add(name="SequenceExample")
    add_field(m, "context", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    add_field(m, "feature_lists", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")

    tensor = descriptor_pb2.FileDescriptorProto(
        name="autograph_jit/tensorflow/core/framework/tensor.proto", package="tensorflow",
        syntax="proto3")
    shape = tensor.message_type.add(name="TensorShapeProto")
    dim = shape.nested_type.add(name="Dim")
    add_field(dim, "size", 1, _F.TYPE_INT64)
    add_field(dim, "name", 2, _F.TYPE_STRING)
    add_field(shape, "dim", 2, _F.TYPE_MESSAGE, rep, type_name=".tensorflow.TensorShapeProto.Dim")
    add_field(shape, "unknown_rank", 3, _F.TYPE_BOOL)
    enum = tensor.enum_type.add(name="DataType")
    for number, name in sorted(DATATYPE_ENUM_NAMES.items()):
        enum.value.add(name=name, number=number)
    m = tensor.message_type.add(name="TensorProto")
    add_field(m, "dtype", 1, _F.TYPE_ENUM, type_name=".tensorflow.DataType")
    add_field(m, "tensor_shape", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto")
    add_field(m, "version_number", 3, _F.TYPE_INT32)
    add_field(m, "tensor_content", 4, _F.TYPE_BYTES)
    add_field(m, "half_val", 13, _F.TYPE_INT32, rep, packed=True)
    add_field(m, "float_val", 5, _F.TYPE_FLOAT, rep, packed=True)
    add_field(m, "double_val", 6, _F.TYPE_DOUBLE, rep, packed=True)
    add_field(m, "int_val", 7, _F.TYPE_INT32, rep, packed=True)
    add_field(m, "string_val", 8, _F.TYPE_BYTES, rep)
    add_field(m, "int64_val", 10, _F.TYPE_INT64, rep, packed=True)
    add_field(m, "bool_val", 11, _F.TYPE_BOOL, rep, packed=True)

    pool = descriptor_pool.DescriptorPool()
    for fd in (feature, example, tensor):
        pool.Add(fd)
    get = message_factory.GetMessageClass
    names = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
             "FeatureLists", "Example", "SequenceExample", "TensorShapeProto", "TensorProto"]
    return {n: get(pool.FindMessageTypeByName("tensorflow." + n)) for n in names}


_CLASSES = _build()
BytesList = _CLASSES["BytesList"]
FloatList = _CLASSES["FloatList"]
Int64List = _CLASSES["Int64List"]
Feature = _CLASSES["Feature"]
Features = _CLASSES["Features"]
FeatureList = _CLASSES["FeatureList"]
FeatureLists = _CLASSES["FeatureLists"]
Example = _CLASSES["Example"]
SequenceExample = _CLASSES["SequenceExample"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
TensorProto = _CLASSES["TensorProto"]

__all__ = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
           "FeatureLists", "Example", "SequenceExample", "TensorShapeProto", "TensorProto"]
