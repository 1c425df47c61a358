"""Summary writers and the summary state: the default writer, the step and the record condition.

`create_file_writer(logdir)` writes TensorBoard event files (`events.out.tfevents.<time>.<host>.
<pid>.<n>.v2`) with the `tensorboard` package's `EventFileWriter` (a background thread flushes
every `flush_millis` or `max_queue` events). The state is per thread, as TF's: `as_default()` /
`set_as_default()` choose the writer, `tf.summary.experimental.set_step` the default step,
`record_if` whether summaries are recorded.
"""
import contextlib
import os
import threading
import time

from ..ops.array_ops import constant
from ..tensor import Tensor
from ..ops.math_ops import cast

__all__ = ["SummaryWriter", "create_file_writer", "create_noop_writer", "record_if",
           "should_record_summaries", "flush", "set_step", "get_step", "get_default_writer"]


class _State(threading.local):
    def __init__(self):
        self.writer = None
        self.step = None
        self.condition = True


_state = _State()


class SummaryWriter:
    """TF's `tf.summary.SummaryWriter`: where summaries go.

    Example:
      writer = tf.summary.create_file_writer("/tmp/logs")
      with writer.as_default(step=0):
          tf.summary.scalar("loss", 0.5)

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> writer = tf.summary.create_file_writer(d)
    >>> isinstance(writer, tf.summary.SummaryWriter)
    True
    """

    def set_as_default(self, step=None):
        """Make this the default writer for the current thread (and set the step if given)."""
        _state.writer = self
        if step is not None:
            _state.step = step

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Within the `with` block, summaries go to this writer; flushed on exit."""
        old_writer, old_step = _state.writer, _state.step
        _state.writer = self
        if step is not None:
            _state.step = step
        try:
            yield self
        finally:
            _state.writer = old_writer
            if step is not None:
                _state.step = old_step
            self.flush()

    def init(self):
        return None

    def flush(self):
        return None

    def close(self):
        return None

    def _write_summary(self, kind, tag, data, step, meta):
        return None


class _NoopWriter(SummaryWriter):
    """A writer that records nothing (`tf.summary.create_noop_writer()`).

        >>> import os, tempfile; d = tempfile.mkdtemp()
        >>> with tf.summary.create_file_writer(d).as_default():
        ...     _ = tf.summary.scalar('x', 1.0, step=0)
        ...     tf.summary.flush()
        """


class _FileWriter(SummaryWriter):
    """Writes events to an event file in `logdir`."""

    def __init__(self, logdir, max_queue, flush_millis, filename_suffix, name):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        self._logdir = os.fspath(logdir)
        self._name = name
        self._lock = threading.Lock()
        os.makedirs(self._logdir, exist_ok=True)
        self._writer = EventFileWriter(self._logdir, max_queue_size=max_queue,
                                       flush_secs=max(flush_millis / 1000.0, 0.001),
                                       filename_suffix=filename_suffix)
        self._closed = False

    @property
    def logdir(self):
        return self._logdir

    def __repr__(self):
        return f"<tf.summary.SummaryWriter logdir={self._logdir!r}>"

    def _write_summary(self, kind, tag, data, step, meta):
        from tensorboard.compat.proto import event_pb2
        from .encode import summary_proto
        summary = summary_proto(kind, tag, data, meta)
        self._add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))

    def _add_event(self, event):
        with self._lock:
            if self._closed:
                raise RuntimeError(f"tf.summary: the writer for {self._logdir} is closed; create "
                                   "a new one with tf.summary.create_file_writer.")
            self._writer.add_event(event)

    def flush(self):
        """Write queued events to disk."""
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self):
        """Flush and close the event file; later writes raise."""
        with self._lock:
            if not self._closed:
                self._writer.close()
                self._closed = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """TF's `tf.summary.create_file_writer`: a writer of TensorBoard event files in `logdir`.

    Args:
      logdir: the directory (created if missing).
      max_queue: events queued before a flush (default 10).
      flush_millis: the longest time events wait before a flush (default 120000).
      filename_suffix: appended to the event file name (default ".v2").

    Example:
      writer = tf.summary.create_file_writer("/tmp/logs")
      with writer.as_default():
          tf.summary.scalar("loss", 0.25, step=1)

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> writer = tf.summary.create_file_writer(d)
    >>> with writer.as_default():
    ...     _ = tf.summary.scalar('loss', 0.5, step=1)
    >>> writer.flush()
    >>> any(f.startswith('events.out.tfevents') for f in os.listdir(d))
    True
    """
    if logdir is None:
        raise ValueError("Argument `logdir` cannot be None.")
    return _FileWriter(logdir, 10 if max_queue is None else max_queue,
                       120000 if flush_millis is None else flush_millis,
                       ".v2" if filename_suffix is None else filename_suffix, name)


def create_noop_writer():
    """A writer that records nothing (summaries in its `as_default()` are no-ops).

    >>> writer = tf.summary.create_noop_writer()
    >>> with writer.as_default():
    ...     print(tf.summary.scalar('loss', 0.5, step=1))
    tf.Tensor(False, shape=(), dtype=bool)
    """
    return _NoopWriter()


def get_default_writer():
    return _state.writer


def flush(writer=None, name=None):
    """Flush `writer` (default: the default writer).

    >>> import os, tempfile
    >>> writer = tf.summary.create_file_writer(tempfile.mkdtemp())
    >>> with writer.as_default():
    ...     _ = tf.summary.scalar('loss', 0.5, step=0)
    ...     tf.summary.flush()
    """
    writer = writer if writer is not None else _state.writer
    if writer is not None:
        writer.flush()


@contextlib.contextmanager
def record_if(condition):
    """Record summaries in the `with` block only when `condition` (a bool, a bool tensor, or a
    callable returning one — evaluated when each summary is written) is true.

    Example:
      with tf.summary.record_if(lambda: step % 100 == 0):
          tf.summary.scalar("loss", loss, step=step)

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default(), tf.summary.record_if(False):
    ...     print(tf.summary.scalar('skipped', 1.0, step=0))
    tf.Tensor(False, shape=(), dtype=bool)
    """
    old = _state.condition
    _state.condition = condition
    try:
        yield
    finally:
        _state.condition = old


def _condition_value():
    cond = _state.condition
    if callable(cond):
        cond = cond()
    return cond


def should_record_summaries():
    """Whether summaries would be recorded now: a default writer exists and the record_if
    condition holds (a bool tensor).

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default():
    ...     print(tf.summary.should_record_summaries())
    tf.Tensor(True, shape=(), dtype=bool)
    """
    if _state.writer is None or isinstance(_state.writer, _NoopWriter):
        return constant(False)
    cond = _condition_value()
    if isinstance(cond, Tensor) or hasattr(cond, "_as_tensor"):
        return cast(cond, "bool")
    return constant(bool(cond))


def set_step(step):
    """Set the default step for summaries (an int, a tensor or a Variable, read when each summary
    is written).

    >>> tf.summary.set_step(3)
    >>> tf.summary.get_step()
    3
    >>> tf.summary.set_step(None)
    """
    _state.step = step


def get_step():
    """The default step set by `set_step` (or `as_default(step=...)`), or None.

    >>> import os, tempfile; d = tempfile.mkdtemp()
    >>> with tf.summary.create_file_writer(d).as_default(step=7):
    ...     print(tf.summary.get_step())
    7
    """
    return _state.step
