"""The `checkpoint` state file of a directory, `tf.train.latest_checkpoint`,
`tf.train.get_checkpoint_state`, `tf.train.CheckpointManager` and `tf.train.checkpoints_iterator`.

The state file is a text-format `CheckpointState` proto, as TF writes it:

    model_checkpoint_path: "ckpt-5"
    all_model_checkpoint_paths: "ckpt-4"
    all_model_checkpoint_paths: "ckpt-5"
    all_model_checkpoint_timestamps: 1796537856.24
    all_model_checkpoint_timestamps: 1796537857.25
    last_preserved_timestamp: 1796537855.21

Paths inside the directory are stored relative to it. The file is replaced atomically, and only
after the checkpoint it names is completely on disk, so `latest_checkpoint` never returns a
checkpoint that cannot be restored.
"""
import collections
import glob
import os
import time
import warnings

from google.protobuf import text_format

from .bundle import atomic_write, fsync_dir, index_filename
from .protos import CheckpointState

__all__ = ["latest_checkpoint", "get_checkpoint_state", "update_checkpoint_state",
           "CheckpointManager", "checkpoints_iterator"]

_STATE_FILE = "checkpoint"


def _relative(directory, path):
    if os.path.isabs(path) and os.path.dirname(os.path.abspath(path)) == os.path.abspath(directory):
        return os.path.basename(path)
    if not os.path.isabs(path) and os.path.dirname(path) == directory:
        return os.path.basename(path)
    return path


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None, sync=True):
    """Atomically (re)write the directory's `checkpoint` file (durably with `sync`)."""
    state = CheckpointState(model_checkpoint_path=_relative(save_dir, model_checkpoint_path))
    paths = list(all_model_checkpoint_paths or [])
    if model_checkpoint_path and (not paths or paths[-1] != model_checkpoint_path):
        paths.append(model_checkpoint_path)
    state.all_model_checkpoint_paths.extend(_relative(save_dir, p) for p in paths)
    if all_model_checkpoint_timestamps:
        state.all_model_checkpoint_timestamps.extend(all_model_checkpoint_timestamps)
    if last_preserved_timestamp is not None:
        state.last_preserved_timestamp = last_preserved_timestamp
    path = os.path.join(save_dir or ".", latest_filename or _STATE_FILE)
    atomic_write(path, [text_format.MessageToString(state).encode()], sync)
    if sync:
        fsync_dir(save_dir)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The directory's `CheckpointState` (paths made absolute), or None if it has none.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> _ = tf.train.Checkpoint(v=tf.Variable(1.0)).save(os.path.join(d, 'model'))
    >>> state = tf.train.get_checkpoint_state(d)
    >>> os.path.basename(state.model_checkpoint_path)
    'model-1'
    """
    path = os.path.join(os.fspath(checkpoint_dir), latest_filename or _STATE_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    state = CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as e:   # TF ignores an unreadable state file, with a warning
        warnings.warn(f"{path}: {e}: checkpoint state file ignored", stacklevel=3)
        return None
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {checkpoint_dir}")
    directory = os.fspath(checkpoint_dir)

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(directory, p)

    state.model_checkpoint_path = absolute(state.model_checkpoint_path)
    paths = [absolute(p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state


def checkpoint_exists(prefix):
    return os.path.exists(index_filename(prefix))


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """TF's `tf.train.latest_checkpoint`: the prefix of the newest checkpoint the directory's
    `checkpoint` file names, or None (no directory, no state file, or its files are gone).

    Example:
      ckpt.restore(tf.train.latest_checkpoint("/tmp/run"))

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    >>> _ = ckpt.save(os.path.join(d, 'model'))
    >>> _ = ckpt.save(os.path.join(d, 'model'))
    >>> os.path.basename(tf.train.latest_checkpoint(d))
    'model-2'
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def _delete_checkpoint(prefix):
    for path in [index_filename(prefix)] + glob.glob(glob.escape(prefix) + ".data-?????-of-?????"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


class CheckpointManager:
    """TF's `tf.train.CheckpointManager`: numbered saves in one directory, keeping the newest
    `max_to_keep` (and one every `keep_checkpoint_every_n_hours`).

    Args:
      checkpoint: the `tf.train.Checkpoint` to save and restore.
      directory: where the checkpoints and the `checkpoint` file go.
      max_to_keep: how many recent checkpoints to keep (None: keep all).
      keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
      checkpoint_name: the file prefix ("ckpt" -> "ckpt-1").
      step_counter, checkpoint_interval: with both, `save()` skips until the step counter has
        advanced `checkpoint_interval` steps since the last save.
      init_fn: called by `restore_or_initialize()` when there is no checkpoint.

    Example:
      manager = tf.train.CheckpointManager(ckpt, "/tmp/run", max_to_keep=3)
      manager.restore_or_initialize()
      for step in range(100):
          train_step()
          if step % 10 == 0:
              manager.save()

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> v = tf.Variable(1.0)
    >>> manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), d, max_to_keep=2)
    >>> for _ in range(3):
    ...     _ = manager.save()
    >>> [os.path.basename(p) for p in manager.checkpoints]
    ['ckpt-2', 'ckpt-3']
    >>> os.path.basename(manager.latest_checkpoint)
    'ckpt-3'
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError("Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not "
                             "None.")
        self._checkpoint = checkpoint
        self._save_counter_assign = None
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._directory = os.fspath(directory)
        self._checkpoint_prefix = os.path.join(self._directory, checkpoint_name)
        self._init_fn = init_fn
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._last_checkpoint_step = None
        recovered = get_checkpoint_state(self._directory)
        now = time.time()
        self._maybe_delete = collections.OrderedDict()
        if recovered is None:
            self._latest_checkpoint = None
            self._last_preserved_timestamp = now
        else:
            self._latest_checkpoint = recovered.model_checkpoint_path
            self._last_preserved_timestamp = recovered.last_preserved_timestamp
            if now < self._last_preserved_timestamp:
                self._last_preserved_timestamp = now  # the clock went back
            stamps = list(recovered.all_model_checkpoint_timestamps)
            paths = list(recovered.all_model_checkpoint_paths)
            if not stamps:
                stamps = [self._last_preserved_timestamp] * len(paths)
            for path, stamp in zip(paths, stamps):
                stamp = min(stamp, now)
                if stamp > self._last_preserved_timestamp:
                    self._maybe_delete[path] = stamp

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self):
        """The prefix of the newest checkpoint, or None."""
        return self._latest_checkpoint

    @property
    def checkpoints(self):
        """The prefixes of the checkpoints kept (and still subject to deletion), oldest first."""
        return list(self._maybe_delete)

    def _record_state(self, sync=True):
        update_checkpoint_state(
            self._directory, self._latest_checkpoint, list(self._maybe_delete),
            all_model_checkpoint_timestamps=list(self._maybe_delete.values()),
            last_preserved_timestamp=self._last_preserved_timestamp, sync=sync)

    def _sweep(self):
        """Drop the checkpoints past `max_to_keep` from the kept list; returns those to delete."""
        doomed = []
        if self._max_to_keep is None:
            return doomed
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            hours = self._keep_checkpoint_every_n_hours
            if hours and stamp - hours * 3600.0 >= self._last_preserved_timestamp:
                self._last_preserved_timestamp = stamp
                continue
            doomed.append(path)
        return doomed

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Save a numbered checkpoint (the checkpoint's `save_counter` after incrementing it, or
        `checkpoint_number`) and delete the ones no longer kept. Returns its path, or None when
        `checkpoint_interval` says it is not yet time."""
        if self._checkpoint_interval is not None and check_interval:
            step = int(self._step_counter)
            if (self._last_checkpoint_step is not None
                    and step < self._last_checkpoint_step + self._checkpoint_interval):
                return None
        sync = getattr(options, "experimental_fsync", True)
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        if checkpoint_number is None:
            checkpoint_number = counter
        number = int(checkpoint_number.numpy() if hasattr(checkpoint_number, "numpy")
                     else checkpoint_number)
        save_path = self._checkpoint.write(f"{self._checkpoint_prefix}-{number}", options)
        if self._step_counter is not None:
            self._last_checkpoint_step = int(self._step_counter)
        self._maybe_delete.pop(save_path, None)
        self._maybe_delete[save_path] = time.time()
        self._latest_checkpoint = save_path
        doomed = self._sweep()
        # The state file names the new checkpoint (and no deleted one) before anything is
        # deleted: a crash in between leaves only unlisted files behind.
        self._record_state(sync)
        for path in doomed:
            _delete_checkpoint(path)
        return save_path

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path; with none, call `init_fn` and
        return None."""
        if self._latest_checkpoint is not None:
            self._checkpoint.restore(self._latest_checkpoint)
            if self._step_counter is not None:
                self._last_checkpoint_step = int(self._step_counter)
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self):
        """Nothing to wait for: saves here are synchronous."""
        return None


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yield each new checkpoint path of `checkpoint_dir` as it appears (polling every second).

    Stops after `timeout` seconds without a new checkpoint, unless `timeout_fn()` returns False.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> _ = tf.train.Checkpoint(v=tf.Variable(1.0)).save(os.path.join(d, 'model'))
    >>> [os.path.basename(p) for p in tf.train.checkpoints_iterator(d, timeout=0)]
    ['model-1']
    """
    checkpoint_path = None
    while True:
        deadline = None if timeout is None else time.time() + timeout
        new_path = None
        while True:
            latest = latest_checkpoint(checkpoint_dir)
            if latest is not None and latest != checkpoint_path:
                new_path = latest
                break
            if deadline is not None and time.time() + 1 > deadline:
                break
            time.sleep(1)
        if new_path is None:
            if not timeout_fn or timeout_fn():
                return
            continue
        start = time.time()
        checkpoint_path = new_path
        yield checkpoint_path
        wait = start + min_interval_secs - time.time()
        if wait > 0:
            time.sleep(wait)
