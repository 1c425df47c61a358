"""Where ops run: `tf.executing_eagerly`, `tf.init_scope`, `tf.device`.

Ops run eagerly unless a `tf.function` is tracing in this thread; `init_scope` steps out of the
trace (TF uses it to create variables and read Python state on a function's first call). Devices:
`tf.device` accepts TF's device strings and checks the name. Inside a GPU scope, tf.functions
without an explicit backend compile for the GPU backend (tracing/function.py reads the scope
from tracing/context.py); eager ops run on the CPU and report it. Without a GPU a GPU scope means
the CPU, as TF's soft device placement (on by default), with a warning the first time; with
`tf.config.set_soft_device_placement(False)` it is a clear UnavailableError.
"""
import re
import warnings

from . import config
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
        `"/job:localhost/replica:0/task:0/device:CPU:0"`, `"cpu"`, `"/gpu:0"`, `"GPU:0"`, or
        None/"" (no change).

    A `tf.function` created without `backend=` and called (or traced) inside
    `tf.device("/gpu:0")` compiles for the GPU backend (`backend="gpu"`; one trace cache per
    device). Eager ops inside run on the host CPU, as everywhere here, and say so: their
    `.device` names the CPU. Without a GPU (no CUDA device, and AUTOGRAPH_JIT_GPU is not
    `emulator`) a GPU scope means the CPU, as TF's soft device placement (on by default), and
    warns the first time; `tf.config.set_soft_device_placement(False)` makes it an
    UnavailableError naming what is missing.

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
        self.kind = None
        if self.name:
            m = _DEVICE.match(self.name.strip())
            if m is None:
                raise InvalidArgumentError(
                    f"Could not parse device name {device_name!r}. Use e.g. '/cpu:0' or "
                    "'/device:CPU:0'.", "device")
            kind = m.group("type").upper().replace("XLA_", "")
            index = m.group("index")
            self.kind = "CPU"
            if kind == "GPU":
                self.kind = _gpu_scope(device_name, index)
            elif kind != "CPU":
                raise UnavailableError(
                    None, None,
                    f"tf.device({device_name!r}): no {kind} is available to this process. Ops "
                    "run on the CPU: drop the tf.device block, or use tf.device('/cpu:0').")
        self._scope = context.device_scope(self.kind)

    def __enter__(self):
        self._scope.__enter__()
        config._device_scope_entered(+1)
        return self

    def __exit__(self, *exc):
        config._device_scope_entered(-1)
        return self._scope.__exit__(*exc)


_SOFT_PLACEMENT_WARNED = []   # the soft-placement warning is given once per process


def _gpu_scope(device_name, index):
    """'GPU' when the GPU backend has a device for `index`; else 'CPU' under soft placement,
    or the UnavailableError naming what is missing."""
    from .codegen.gpu import function as gpu_function
    try:
        if index not in (None, "*", "0"):
            raise UnavailableError(None, None, f"only GPU 0 is used by the GPU backend (asked "
                                               f"for GPU {index})")
        gpu_function.get_device()
        return "GPU"
    except UnavailableError as e:
        if config.get_soft_device_placement():
            if not _SOFT_PLACEMENT_WARNED:
                _SOFT_PLACEMENT_WARNED.append(True)
                warnings.warn(
                    f"tf.device({device_name!r}): no GPU is available to this process "
                    f"({e.message}); the work runs on the CPU (soft device placement, as TF). "
                    "tf.config.set_soft_device_placement(False) makes this an error.",
                    RuntimeWarning, stacklevel=3)
            return "CPU"
        raise UnavailableError(
            None, None,
            f"tf.device({device_name!r}): no GPU is available to this process "
            f"(tf.config.list_physical_devices('GPU') is empty, or the device is missing): "
            f"{e.message} Alternatives: tf.config.set_soft_device_placement(True) places the "
            "work on the CPU, as TF does; or drop the tf.device block.") from None
