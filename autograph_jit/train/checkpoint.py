"""`tf.train.Checkpoint`: save and restore the variables of an object graph, in TF's format.

    ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
    path = ckpt.save("/tmp/run/ckpt")          # "/tmp/run/ckpt-1", updates /tmp/run/checkpoint
    ckpt.restore(tf.train.latest_checkpoint("/tmp/run")).assert_consumed()

The files are TF's: `ckpt-1.index` (object graph and tensor table) and
`ckpt-1.data-00000-of-00001` (bundle.py), and the `checkpoint` state file
(checkpoint_management.py); checkpoints written here load in TF and TF's load here.
"""
import os
import inspect

import numpy as np

from ..variables import Variable
from . import checkpoint_management as _mgmt
from .bundle import BundleReader, write_bundle
from .object_graph import OBJECT_GRAPH_KEY, VALUE_SUFFIX, children_of, gather, is_trackable, \
    variable_full_name
from .protos import TrackableObjectGraph
from .restore import CheckpointLoadStatus, InitializationOnlyStatus, Restoration, notify_child
from ..errors import NotFoundError

__all__ = ["Checkpoint", "CheckpointOptions", "serialize_object_graph"]


class CheckpointOptions:
    """TF's `tf.train.CheckpointOptions`, for `save`/`write`/`restore`/`CheckpointManager.save`.

    Args:
      experimental_io_device: accepted for TF compatibility (all I/O runs on the host).
      experimental_enable_async_checkpoint, enable_async: asynchronous saving is not supported;
        True is refused.
      experimental_write_callbacks: callables run after each write, with the save path if they
        take an argument.
      experimental_skip_slot_variables: accepted (this layout has no Keras-2 slot variables).
      experimental_fsync: this project's option: flush every file to disk (fsync) before it is
        renamed into place (default True, so a machine crash never leaves a named checkpoint
        without its bytes; False is TF's behaviour and saves faster).

    Example:
      ckpt.save(prefix, options=tf.train.CheckpointOptions(experimental_fsync=False))

    >>> options = tf.train.CheckpointOptions()
    >>> type(options).__name__
    'CheckpointOptions'
    """

    def __init__(self, experimental_io_device=None, experimental_enable_async_checkpoint=False,
                 experimental_write_callbacks=None, enable_async=False,
                 experimental_skip_slot_variables=False, experimental_sharding_callback=None,
                 experimental_fsync=True):
        if experimental_enable_async_checkpoint or enable_async:
            raise ValueError("Asynchronous checkpointing is not supported by autograph_jit: "
                             "saves are synchronous (a 1 MB model saves in milliseconds). Leave "
                             "enable_async=False.")
        if experimental_sharding_callback is not None:
            raise ValueError("experimental_sharding_callback is not supported: checkpoints are "
                             "written as one shard.")
        self.experimental_io_device = experimental_io_device
        self.experimental_enable_async_checkpoint = False
        self.enable_async = False
        self.experimental_write_callbacks = list(experimental_write_callbacks or [])
        self.experimental_skip_slot_variables = experimental_skip_slot_variables
        self.experimental_sharding_callback = None
        self.experimental_fsync = bool(experimental_fsync)


def _run_write_callbacks(options, path):
    for cb in getattr(options, "experimental_write_callbacks", ()) or ():
        try:
            takes_path = bool(inspect.signature(cb).parameters)
        except (TypeError, ValueError):
            takes_path = True
        cb(path) if takes_path else cb()


def serialize_object_graph(root):
    """{key: value} for every variable reachable from `root`, plus the object graph proto."""
    nodes = gather(root)
    proto = TrackableObjectGraph()
    tensors = {}
    for node in nodes:
        pn = proto.nodes.add()
        for name, child in node.children:
            pn.children.add(node_id=child.node_id, local_name=name)
        if isinstance(node.obj, Variable):
            key = node.path + VALUE_SUFFIX
            pn.attributes.add(name="VARIABLE_VALUE", full_name=variable_full_name(node.obj),
                              checkpoint_key=key)
            tensors[key] = node.obj._value
        pn.has_checkpoint_values.value = True
    tensors[OBJECT_GRAPH_KEY] = proto.SerializeToString()
    return tensors


class _GraphRoot:
    """The root of the saved graph: `root`'s children (if given), the keyword objects and
    `save_counter`."""

    def __init__(self, checkpoint):
        self._checkpoint = checkpoint

    def _trackable_children(self, save_type="checkpoint"):
        ck = self._checkpoint
        out = {}
        if ck._root is not None:
            out.update(children_of(ck._root))
        out.update(ck._kwargs)
        if ck._save_counter is not None:
            out["save_counter"] = ck._save_counter
        return out


class Checkpoint:
    """TF's `tf.train.Checkpoint(root=None, **kwargs)`: groups trackable objects (Modules,
    Variables, Keras layers/models, optimizers, and lists/dicts/tuples of them) to save and
    restore their variables.

    Args:
      root: an object whose own dependencies become the checkpoint's top level.
      **kwargs: trackable objects saved under these names (`model=...`, `optimizer=...`).

    Example:
      ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
      ckpt.save("/tmp/ckpts/ckpt")                 # -> "/tmp/ckpts/ckpt-1"
      ckpt.restore("/tmp/ckpts/ckpt-1").assert_consumed()

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> v = tf.Variable(1.0)
    >>> ckpt = tf.train.Checkpoint(v=v)
    >>> path = ckpt.save(os.path.join(d, 'ckpt'))
    >>> os.path.basename(path)
    'ckpt-1'
    >>> _ = v.assign(5.0)
    >>> _ = ckpt.restore(path)
    >>> float(v.numpy())
    1.0
    """

    def __init__(self, root=None, **kwargs):
        if root is not None and not is_trackable(root):
            raise ValueError(f"`Checkpoint` was expecting root to be a trackable object (an "
                             f"object derived from `Trackable`), got {root!r}. If you believe "
                             "this object should be trackable (i.e. it is part of the "
                             "TensorFlow Python API and manages state), please open an issue.")
        for k, v in sorted(kwargs.items()):
            if not is_trackable(v):
                raise ValueError(f"`Checkpoint` was expecting {k} to be a trackable object (an "
                                 f"object derived from `Trackable`), got {v!r}. If you believe "
                                 "this object should be trackable (i.e. it is part of the "
                                 "TensorFlow Python API and manages state), please open an issue.")
        if "save_counter" in kwargs:
            raise ValueError("`save_counter` is reserved for the checkpoint's own save counter; "
                             "pick another name for this object.")
        self._root = root
        self._kwargs = dict(sorted(kwargs.items()))
        self._save_counter = None
        self._graph_root = _GraphRoot(self)
        self._self_checkpoint_deferred = {}   # the graph root's deferred children live here
        self._graph_root.__dict__["_self_checkpoint_deferred"] = self._self_checkpoint_deferred

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_kwargs")
        if kwargs is not None and name in kwargs:
            return kwargs[name]
        raise AttributeError(f"'Checkpoint' object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if not is_trackable(value):
            raise ValueError(f"`Checkpoint` was expecting {name} to be a trackable object, got "
                             f"{value!r}.")
        self._kwargs[name] = value
        notify_child(self._graph_root, name, value)

    # -- save counter -------------------------------------------------------------------------
    @property
    def save_counter(self):
        """The number of `save()` calls so far (an int64 Variable, saved with the checkpoint)."""
        self._maybe_create_save_counter()
        return self._save_counter

    def _maybe_create_save_counter(self):
        if self._save_counter is None:
            self._save_counter = Variable(np.int64(0), trainable=False, name="save_counter",
                                          dtype="int64")
            notify_child(self._graph_root, "save_counter", self._save_counter)

    # -- saving --------------------------------------------------------------------------------
    def write(self, file_prefix, options=None):
        """Write the checkpoint at exactly `file_prefix` (no counter, no `checkpoint` file).

        Returns the prefix, e.g. "/tmp/x" for files "/tmp/x.index" and
        "/tmp/x.data-00000-of-00001"."""
        file_prefix = os.fspath(file_prefix)
        sync = getattr(options, "experimental_fsync", True)
        write_bundle(file_prefix, serialize_object_graph(self._graph_root), sync)
        _run_write_callbacks(options, file_prefix)
        return file_prefix

    def save(self, file_prefix, options=None):
        """Save to `file_prefix-N` (N = `save_counter` after incrementing it) and record it as
        the latest checkpoint in the directory's `checkpoint` file. Returns the path."""
        file_prefix = os.fspath(file_prefix)
        self._maybe_create_save_counter()
        counter = self._save_counter
        counter._value = np.array(counter._value + 1, dtype=np.int64)
        counter._value.flags.writeable = False
        path = self.write(f"{file_prefix}-{int(counter._value)}", options)
        _mgmt.update_checkpoint_state(os.path.dirname(path), path, [path],
                                      sync=getattr(options, "experimental_fsync", True))
        return path

    # -- restoring -----------------------------------------------------------------------------
    def read(self, save_path, options=None):
        """Restore from `save_path` (a prefix, e.g. from `write`); same as `restore`."""
        return self.restore(save_path, options)

    def restore(self, save_path, options=None):
        """Restore the values saved at `save_path` into the tracked objects.

        Objects that do not exist yet get their values when they are created (deferred
        restoration). Returns a status with `assert_consumed()`,
        `assert_existing_objects_matched()`, `assert_nontrivial_match()` and `expect_partial()`.
        `save_path=None` restores nothing (returns a status whose assertions fail)."""
        if save_path is None:
            return InitializationOnlyStatus()
        save_path = os.fspath(save_path)
        try:
            reader = BundleReader(save_path)
        except Exception as e:
            if isinstance(e, NotFoundError):
                raise NotFoundError(
                    f"Error when restoring from checkpoint at {save_path}: {e.message}\nPlease "
                    "double-check that the path is correct. You may be missing the checkpoint "
                    "suffix (e.g. the '-1' in 'path/to/ckpt-1').") from None
            raise
        restoration = Restoration(reader, save_path)
        restoration.restore_root(self._graph_root)
        self._maybe_create_save_counter()  # TF creates it here; its value lands now
        return CheckpointLoadStatus(restoration, self, self._graph_root)
