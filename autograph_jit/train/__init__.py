"""The `tf.train` namespace: checkpoints (`Checkpoint`, `CheckpointManager`, `latest_checkpoint`,
`list_variables`, `load_checkpoint`, ...) and, from the data package, the `tf.train.Example`
protocol buffers. This module only gathers names; each concept lives in its own module.
"""
from ..train_example import (BytesList, Example, Feature, FeatureList, FeatureLists,  # noqa: F401
                             Features, FloatList, Int64List, SequenceExample)
