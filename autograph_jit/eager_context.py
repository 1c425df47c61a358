"""Where ops run: `tf.executing_eagerly`, `tf.init_scope`, `tf.device`.

Ops run eagerly unless a `tf.function` is tracing in this thread; `init_scope` steps out of the
trace (TF uses it to create variables and read Python state on a function's first call). Devices:
this machine has the CPU; `tf.device` accepts TF's CPU device strings and checks the name, and
refuses GPU names with a clear error instead of TF's silent CPU placement (use
`tf.function(backend="gpu")` where the GPU backend is available).
"""
import re

from .errors import InvalidArgumentError, UnavailableError
from .tracing import context

_DEVICE = re.compile(
    r"^(/job:[\w-]+)?(/replica:\d+)?(/task:\d+)?(/device:|/)?(?P<type>cpu|gpu|tpu|CPU|GPU|TPU|"
    r"XLA_CPU|XLA_GPU)(:(?P<index>\d+|\*))?$")


def executing_eagerly():
    """Checks whether the current thread has eager execution enabled.

    True outside any `tf.function`, and inside one that runs eagerly
    (`tf.config.run_functions_eagerly(True)`); False while a function is traced.

    >>> tf.executing_eagerly()
    True
    """
    return context.current_builder() is None


def init_scope():
    """A context manager that lifts ops out of the function being traced.

    Ops created inside run eagerly, on concrete values, even while a `tf.function` is tracing —
    e.g. to create a variable on the first call or read a value once.

    >>> @tf.function
    ... def f(x):
    ...     with tf.init_scope():
    ...         eager = tf.executing_eagerly()
    ...     return x + 1, eager
    >>> bool(f(tf.constant(1))[1])
    True
    """
    return context.lifted()


class device:
    """Specifies the device for ops created/executed in this context.

    Args:
      device_name: a TF device string: `"/cpu:0"`, `"/CPU:0"`, `"/device:CPU:0"`,
        `"/job:localhost/replica:0/task:0/device:CPU:0"`, `"cpu"`, or None/"" (no change).

    >>> with tf.device("/cpu:0"):
    ...     x = tf.constant(1.0) + 1
    >>> x.device
    '/job:localhost/replica:0/task:0/device:CPU:0'
    """

    def __init__(self, device_name):
        if callable(device_name):
            raise RuntimeError("tf.device does not support functions when eager execution is "
                               "enabled.")
        self.name = device_name or ""
        if self.name:
            m = _DEVICE.match(self.name.strip())
            if m is None:
                raise InvalidArgumentError(
                    f"Could not parse device name {device_name!r}. Use e.g. '/cpu:0' or "
                    "'/device:CPU:0'.", "device")
            kind = m.group("type").upper().replace("XLA_", "")
            if kind != "CPU":
                raise UnavailableError(
                    None, None,
                    f"tf.device({device_name!r}): no {kind} is available to this process "
                    "(tf.config.list_physical_devices('GPU') is empty). Ops run on the CPU: "
                    "drop the tf.device block, or use tf.device('/cpu:0').")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
