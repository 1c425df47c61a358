"""The `tf.train` namespace: checkpoints (`Checkpoint`, `CheckpointManager`, `latest_checkpoint`,
`list_variables`, `load_checkpoint`, ...) and, from the data package, the `tf.train.Example`
protocol buffers. This module only gathers names; each concept lives in its own module.
"""
from .checkpoint import Checkpoint  # noqa: F401
from .checkpoint_management import (  # noqa: F401
    CheckpointManager, checkpoints_iterator, get_checkpoint_state, latest_checkpoint)
from .reader import CheckpointReader, list_variables, load_checkpoint, load_variable  # noqa: F401
