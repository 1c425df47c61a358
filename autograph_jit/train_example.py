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
