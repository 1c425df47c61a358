"""Reading a checkpoint's tensors by key: `tf.train.load_checkpoint`, `tf.train.list_variables`,
`tf.train.load_variable` (for checkpoints written here or by TF)."""
import os

from .. import dtypes as _dtypes
from .bundle import BundleReader
from .checkpoint_management import latest_checkpoint

__all__ = ["CheckpointReader", "load_checkpoint", "list_variables", "load_variable"]


def _checkpoint_filename(ckpt_dir_or_file):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory "
                             f"{path}")
        return latest
    return path


class CheckpointReader:
    """TF's checkpoint reader (`tf.train.load_checkpoint(path)`): tensors by key.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = tf.train.Checkpoint(v=tf.Variable(3.0)).save(os.path.join(d, 'model'))
    >>> reader = tf.train.CheckpointReader(path)
    >>> reader.has_tensor('v/.ATTRIBUTES/VARIABLE_VALUE')
    True
    """

    def __init__(self, prefix):
        self._bundle = BundleReader(prefix)

    def has_tensor(self, key):
        return key in self._bundle

    def get_tensor(self, key):
        """The value under `key` as a NumPy array (a scalar string as bytes)."""
        value = self._bundle.get(key)
        if value.dtype == object and value.ndim == 0:
            return value[()]
        return value.copy()

    def get_variable_to_shape_map(self):
        return {k: self._bundle.shape(k) for k in self._bundle.keys()}

    def get_variable_to_dtype_map(self):
        return {k: _dtypes.as_dtype(self._bundle.dtype(k)) for k in self._bundle.keys()}


def load_checkpoint(ckpt_dir_or_file):
    """TF's `tf.train.load_checkpoint`: a reader for a checkpoint prefix, or for the latest
    checkpoint of a directory.

    Example:
      reader = tf.train.load_checkpoint("/tmp/run")
      reader.get_tensor("model/w/.ATTRIBUTES/VARIABLE_VALUE")

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(os.path.join(d, 'model'))
    >>> reader = tf.train.load_checkpoint(path)
    >>> reader.get_tensor('v/.ATTRIBUTES/VARIABLE_VALUE')
    array([1., 2.], dtype=float32)
    """
    return CheckpointReader(_checkpoint_filename(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file):
    """TF's `tf.train.list_variables`: sorted (key, shape) pairs of a checkpoint.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(os.path.join(d, 'model'))
    >>> [(n, s) for n, s in tf.train.list_variables(path) if n.startswith('v/')]
    [('v/.ATTRIBUTES/VARIABLE_VALUE', [2])]
    """
    reader = load_checkpoint(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    """The value under key `name` (a trailing ':0' is dropped, as TF).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(os.path.join(d, 'model'))
    >>> tf.train.load_variable(path, 'v/.ATTRIBUTES/VARIABLE_VALUE')
    array([1., 2.], dtype=float32)
    """
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)
