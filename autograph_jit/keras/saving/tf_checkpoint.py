"""Keras weights as a TF checkpoint: `model.save_weights("dir/ckpt")` (a path that is not a
`.weights.h5`/`.h5`/`.keras` file) writes `ckpt.index` + `ckpt.data-00000-of-00001` through
`tf.train.Checkpoint(model)`, as TF 2's Keras did; `load_weights` restores it (deferred for
variables not built yet, e.g. the optimizer's slots before the first step) and returns the
restore status. BackupAndRestore keeps its backups this way too.
"""
import os

from ...errors import NotFoundError

_FILE_SUFFIXES = (".h5", ".hdf5", ".keras")


def is_checkpoint_path(filepath):
    """Whether `filepath` names a TF checkpoint prefix rather than a Keras file."""
    return not str(filepath).endswith(_FILE_SUFFIXES)


def _checkpoint(model):
    from ...train import Checkpoint  # (tf.train's checkpoints need protobuf)
    return Checkpoint(model)


def save_weights(model, filepath, overwrite=True):
    """Write `model`'s variables (and its optimizer's) to the checkpoint prefix `filepath`."""
    prefix = str(filepath)
    if not overwrite and os.path.exists(prefix + ".index"):
        raise FileExistsError(f"{prefix}.index exists and overwrite=False.")
    if os.path.dirname(prefix):
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
    _checkpoint(model).write(prefix)


def load_weights(model, filepath):
    """Restore `model` from the checkpoint prefix (or the latest checkpoint of a directory)."""
    from ...train import latest_checkpoint
    prefix = str(filepath)
    if os.path.isdir(prefix):
        found = latest_checkpoint(prefix)
        if found is None:
            raise NotFoundError(None, None, f"No checkpoint found in directory {prefix}")
        prefix = found
    if not os.path.exists(prefix + ".index"):
        raise NotFoundError(None, None,
                            f"Unsuccessful TensorSliceReader constructor: Failed to find any "
                            f"matching files for {prefix} (load_weights reads a .weights.h5 "
                            "file, a .keras file, or a TF checkpoint prefix written by "
                            "save_weights)")
    return _checkpoint(model).read(prefix)
