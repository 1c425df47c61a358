"""`tf.train.Example` and its parts: `Example`, `Features`, `Feature`, `BytesList`, `FloatList`,
`Int64List`, `FeatureList(s)`, `SequenceExample` — the real protobuf messages built in
io/protos.py with TF's field numbers (`SerializeToString()` gives TF's bytes).

Without the `protobuf` package (extra `data`) each name is a class whose construction raises
ImportError saying what to install, so `import autograph_jit` never needs it.
"""
_NAMES = ("BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
          "FloatList", "Int64List", "SequenceExample")

try:
    from .io.protos import (BytesList, Example, Feature, FeatureList, FeatureLists,  # noqa: F401
                            Features, FloatList, Int64List, SequenceExample)
except ImportError as _e:  # pragma: no cover - only without the extra
    _why = str(_e)

    def _missing(name):
        def __init__(self, *args, **kwargs):
            raise ImportError(f"tf.train.{name}: {_why}")
        return type(name, (), {"__init__": __init__, "__doc__": f"tf.train.{name} (needs "
                                                                  "protobuf)."})
    for _n in _NAMES:
        globals()[_n] = _missing(_n)

__all__ = list(_NAMES)


# The message classes are generated code; their docstrings (TF's summary line and an example
# each) are set here so that help() and the API reference show them.
_DOCS = {
    "BytesList": '''A list of byte strings: the value of a bytes `tf.train.Feature`.

    >>> tf.train.BytesList(value=[b"cat", b"dog"]).value
    [b'cat', b'dog']
    ''',
    "FloatList": '''A list of floats (float32 on the wire): the value of a float `tf.train.Feature`.

    >>> list(tf.train.FloatList(value=[0.5, 2.0]).value)
    [0.5, 2.0]
    ''',
    "Int64List": '''A list of int64 values: the value of an int64 `tf.train.Feature`.

    >>> list(tf.train.Int64List(value=[1, 2, 3]).value)
    [1, 2, 3]
    ''',
    "Feature": '''One feature: exactly one of `bytes_list`, `float_list` or `int64_list`.

    >>> f = tf.train.Feature(int64_list=tf.train.Int64List(value=[7]))
    >>> f.WhichOneof("kind")
    'int64_list'
    ''',
    "Features": '''A map from feature name to `tf.train.Feature`.

    >>> fs = tf.train.Features(feature={"label": tf.train.Feature(
    ...     int64_list=tf.train.Int64List(value=[1]))})
    >>> list(fs.feature["label"].int64_list.value)
    [1]
    ''',
    "Example": '''One record of features (`tf.train.Example`): serialize it into a TFRecord file and
    parse it back with `tf.io.parse_single_example`.

    >>> ex = tf.train.Example(features=tf.train.Features(feature={
    ...     "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.5]))}))
    >>> parsed = tf.io.parse_single_example(
    ...     ex.SerializeToString(), {"x": tf.io.FixedLenFeature([1], tf.float32)})
    >>> parsed["x"].numpy()
    array([1.5], dtype=float32)
    ''',
    "FeatureList": '''A list of `tf.train.Feature`s: one time series of a `SequenceExample`.

    >>> fl = tf.train.FeatureList(feature=[
    ...     tf.train.Feature(int64_list=tf.train.Int64List(value=[i])) for i in range(3)])
    >>> len(fl.feature)
    3
    ''',
    "FeatureLists": '''A map from name to `tf.train.FeatureList`: the sequences of a `SequenceExample`.

    >>> fls = tf.train.FeatureLists(feature_list={"steps": tf.train.FeatureList()})
    >>> list(fls.feature_list)
    ['steps']
    ''',
    "SequenceExample": '''A record with context features and feature lists (sequences).

    >>> seq = tf.train.SequenceExample(
    ...     context=tf.train.Features(feature={"id": tf.train.Feature(
    ...         int64_list=tf.train.Int64List(value=[3]))}),
    ...     feature_lists=tf.train.FeatureLists(feature_list={"t": tf.train.FeatureList()}))
    >>> list(seq.context.feature["id"].int64_list.value)
    [3]
    ''',
}
for _n, _doc in _DOCS.items():
    try:
        globals()[_n].__doc__ = _doc
    except (AttributeError, TypeError):  # pragma: no cover - a protobuf without writable docs
        pass
