"""The `tf.train` namespace: checkpoints (`Checkpoint`, `CheckpointManager`, `latest_checkpoint`,
`list_variables`, `load_checkpoint`, ...) and, from the data package, the `tf.train.Example`
protocol buffers. This module only gathers names; each concept lives in its own module.

The checkpoint names load on first use, so `import autograph_jit` does not need the
`checkpoint` extra (protobuf, google-crc32c) until a checkpoint is made.
"""
import importlib as _importlib

from ..train_example import (BytesList, Example, Feature, FeatureList, FeatureLists,  # noqa: F401
                             Features, FloatList, Int64List, SequenceExample)

_CHECKPOINT_NAMES = {
    "Checkpoint": ".checkpoint",
    "CheckpointOptions": ".checkpoint",
    "CheckpointManager": ".checkpoint_management",
    "checkpoints_iterator": ".checkpoint_management",
    "get_checkpoint_state": ".checkpoint_management",
    "latest_checkpoint": ".checkpoint_management",
    "CheckpointReader": ".reader",
    "list_variables": ".reader",
    "load_checkpoint": ".reader",
    "load_variable": ".reader",
}


def __getattr__(name):
    module = _CHECKPOINT_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'autograph_jit.train' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_CHECKPOINT_NAMES))
