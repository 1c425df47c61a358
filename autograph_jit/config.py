"""`tf.config`: run functions eagerly (debugging), threads (`tf.config.threading`), and
library-wide switches."""
import collections
import numbers
import os
import threading as _threading

from .passes import pipeline as _pipeline

from . import tracebacks as _tracebacks

_state = {"run_eagerly": False, "python_calls": False}
# "python_calls": tf.function calls must take the Python path (the native warm-call dispatcher
# reads this key): functions run eagerly, or some thread is inside a tf.device scope (the Python
# path picks that device's backend)
_device_scopes = [0]
_device_lock = _threading.Lock()


def _update_python_calls():
    _state["python_calls"] = _state["run_eagerly"] or _device_scopes[0] > 0


def _device_scope_entered(delta):
    """A tf.device scope was entered (+1) or left (-1) by some thread."""
    with _device_lock:
        _device_scopes[0] += delta
        _update_python_calls()


def default_backend():
    """The backend of tf.function(backend=None): "cpu", or $AUTOGRAPH_JIT_BACKEND ("cpu",
    "eager", "gpu") — e.g. to run a whole program on the interpreter for comparison.

    >>> tf.config.default_backend()
    'cpu'
    """
    name = os.environ.get("AUTOGRAPH_JIT_BACKEND", "") or "cpu"
    if name not in ("cpu", "eager", "gpu"):
        raise ValueError(f"AUTOGRAPH_JIT_BACKEND must be cpu, eager or gpu, got {name!r}")
    return name


def run_functions_eagerly(run_eagerly):
    """When True, tf.function calls the Python function itself, untraced, op by op.

    >>> tf.config.run_functions_eagerly(True)
    >>> tf.config.functions_run_eagerly()
    True
    >>> tf.config.run_functions_eagerly(False)
    """
    _state["run_eagerly"] = bool(run_eagerly)
    _update_python_calls()


def functions_run_eagerly():
    """Returns whether `tf.function`s run eagerly (set by `run_functions_eagerly`).

    >>> tf.config.functions_run_eagerly()
    False
    """
    return _state["run_eagerly"]


def debug_tracebacks():
    """True keeps this library's frames in tracebacks (AUTOGRAPH_JIT_FULL_TRACEBACKS=1).

    >>> tf.config.debug_tracebacks()
    False
    """
    return _tracebacks.full()


def set_debug_tracebacks(flag):
    """Keeps (True) or hides (False) this library's frames in error tracebacks.

    Hidden by default, so an error shows the user's own lines; the environment variable
    AUTOGRAPH_JIT_FULL_TRACEBACKS=1 turns them on from the start.

    Args:
      flag: bool.

    >>> tf.config.set_debug_tracebacks(True)
    >>> tf.config.debug_tracebacks()
    True
    >>> tf.config.set_debug_tracebacks(False)
    """
    _tracebacks.set_full(flag)


def list_physical_devices(device_type=None):
    """Returns the physical devices visible to this process, as TF does.

    The GPUs are the CUDA driver's devices (runtime/cuda_probe.py asks the driver the first
    time this is called, never at import); the host grid emulator is not a physical device.

    Args:
      device_type: "CPU", "GPU" or None (all).

    >>> tf.config.list_physical_devices("CPU")
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    >>> isinstance(tf.config.list_physical_devices("GPU"), list)
    True
    """
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if device_type is None or str(device_type).upper() == "GPU":
        from .runtime import cuda_probe
        devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU")
                    for i in range(cuda_probe.device_count())]
    return [d for d in devices if device_type is None or d.device_type == str(device_type)
            .upper()]


def set_soft_device_placement(enabled):
    """Enable or disable soft device placement.

    If enabled, `tf.device("/gpu:0")` on a machine without a GPU places its work on the CPU
    (tf.functions called there compile for the CPU; tensors report the CPU device), as TF
    does; enabled by default, as in TF's eager mode, and never silently: the first such scope
    warns once (RuntimeWarning). Disabled, a GPU scope without a GPU raises UnavailableError.

    Args:
      enabled: bool.

    >>> tf.config.set_soft_device_placement(False)
    >>> tf.config.get_soft_device_placement()
    False
    >>> tf.config.set_soft_device_placement(True)
    """
    _state["soft_placement"] = bool(enabled)


def get_soft_device_placement():
    """Whether soft device placement is enabled (see `set_soft_device_placement`).

    >>> tf.config.get_soft_device_placement()
    True
    """
    return _state.get("soft_placement", True)


PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
PhysicalDevice.__doc__ = """A physical device: `name` ('/physical_device:GPU:0') and `device_type`.

    >>> tf.config.list_physical_devices("CPU")[0].device_type
    'CPU'
    """


class threading:
    """`tf.config.threading`: how many threads ops may use.

    Intra-op parallelism is the threads one op uses: the compiled code's parallel loops and
    NumPy's OpenBLAS (when NumPy ships it). 0 (the default) lets the library pick:
    $AUTOGRAPH_JIT_NUM_THREADS, else $OMP_NUM_THREADS, else the CPUs this process may use.
    Unlike TF, changing it after ops have run is allowed and applies to the next op.

    Inter-op parallelism is how many independent ops run at once. Ops run one at a time here
    (one inter-op thread, whatever is set); the setting is kept and returned as TF does.

        tf.config.threading.set_intra_op_parallelism_threads(1)   # e.g. in a Spark worker

    >>> tf.config.threading.set_inter_op_parallelism_threads(2)
    >>> tf.config.threading.get_inter_op_parallelism_threads()
    2
    >>> tf.config.threading.set_inter_op_parallelism_threads(0)
    """

    _inter_op = [0]

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads):
        """Threads one op may use; 0: the library's default.

        >>> tf.config.threading.set_intra_op_parallelism_threads(1)
        >>> tf.config.threading.get_intra_op_parallelism_threads()
        1
        >>> tf.config.threading.set_intra_op_parallelism_threads(0)
        """
        _check_threads("set_intra_op_parallelism_threads", num_threads)
        from .codegen.llvm import parallel
        from .runtime import blas
        parallel.set_num_threads(int(num_threads))
        blas.set_numpy_threads(int(num_threads))

    @staticmethod
    def get_intra_op_parallelism_threads():
        """The value set (0 when unset: the library picks, see `intra_op_threads_in_use`).

        >>> tf.config.threading.get_intra_op_parallelism_threads()
        0
        """
        from .codegen.llvm import parallel
        return parallel._chosen[0] if parallel._chosen else 0

    @staticmethod
    def intra_op_threads_in_use():
        """The thread count parallel loops use now (this project's addition).

        >>> tf.config.threading.intra_op_threads_in_use() >= 1
        True
        """
        from .codegen.llvm import parallel
        return parallel.host_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads):
        """Kept and returned by the getter; ops run one at a time whatever it is.

        >>> tf.config.threading.set_inter_op_parallelism_threads(2)
        >>> tf.config.threading.get_inter_op_parallelism_threads()
        2
        >>> tf.config.threading.set_inter_op_parallelism_threads(0)
        """
        _check_threads("set_inter_op_parallelism_threads", num_threads)
        threading._inter_op[0] = int(num_threads)

    @staticmethod
    def get_inter_op_parallelism_threads():
        """Get number of threads used for parallelism between independent operations.

        Returns:
          The value given to `set_inter_op_parallelism_threads` (0: the default). Ops run one at a
          time here whatever it is.

        >>> tf.config.threading.get_inter_op_parallelism_threads()
        0
        """
        return threading._inter_op[0]


def _check_threads(name, num_threads):
    if isinstance(num_threads, bool) or not isinstance(num_threads, numbers.Integral) \
            or num_threads < 0:
        raise ValueError(f"tf.config.threading.{name}: num_threads must be a non-negative "
                         f"integer (0: the default), got {num_threads!r}")


class experimental:
    """`tf.config.experimental` (names kept for tutorial compatibility).

    >>> tf.config.experimental.set_memory_growth(tf.config.list_physical_devices("CPU")[0], True)
    >>> tf.config.experimental.get_trace_cache_size() > 0
    True
    """

    @staticmethod
    def set_memory_growth(device, enable):
        """Set if memory growth should be enabled for a PhysicalDevice.

        Kept for tutorial code: there is no GPU memory to manage here, so it does nothing.

        Args:
          device: a `PhysicalDevice` (from `tf.config.list_physical_devices`).
          enable: whether to grow memory as needed.

        Returns:
          None.

        >>> for gpu in tf.config.list_physical_devices("GPU"):
        ...     tf.config.experimental.set_memory_growth(gpu, True)
        """
        return None

    @staticmethod
    def set_trace_cache_size(size):
        """How many concrete functions (traces) each tf.function keeps, least recently used
        dropped first (beyond TF, whose cache is unbounded). Default 64, or
        $AUTOGRAPH_JIT_TRACE_CACHE_SIZE; a function's `experimental_trace_cache_size=` wins.

        Example: `tf.config.experimental.set_trace_cache_size(16)`.

        >>> tf.config.experimental.set_trace_cache_size(16)
        >>> tf.config.experimental.get_trace_cache_size()
        16
        >>> tf.config.experimental.set_trace_cache_size(64)
        """
        _state["trace_cache_size"] = _positive_size(size, "set_trace_cache_size")

    @staticmethod
    def get_trace_cache_size():
        """The number of traces each tf.function keeps (set_trace_cache_size).

        >>> tf.config.experimental.get_trace_cache_size()
        64
        """
        return _state["trace_cache_size"]


def _positive_size(size, what):
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"{what}: the cache size must be an int >= 1, got {size!r}")
    return size


_state["trace_cache_size"] = _positive_size(
    int(os.environ.get("AUTOGRAPH_JIT_TRACE_CACHE_SIZE", "") or 64),
    "AUTOGRAPH_JIT_TRACE_CACHE_SIZE")


class optimizer:
    """`tf.config.optimizer`: switch graph optimizer passes on or off for every tf.function.

    `set_experimental_options({"constant_folding": False, "remapping": False})` uses TF's Grappler
    option names where this optimizer has the same pass, and this project's pass names otherwise;
    the mapping is in passes/pipeline.py. A function's own `optimizer_options=` wins over these.
    Options apply to graphs optimized afterwards (each concrete function optimizes once).

    >>> tf.config.optimizer.set_experimental_options({"constant_folding": False})
    >>> tf.config.optimizer.get_experimental_options()["constant_folding"]
    False
    >>> tf.config.optimizer.set_experimental_options({"constant_folding": True})
    """

    _options = _pipeline.GLOBAL_OPTIONS

    @staticmethod
    def set_experimental_options(options):
        """Set experimental optimizer options for every tf.function optimized afterwards.

        Args:
          options: a dict of option name to bool: TF's Grappler names where this optimizer has the
            same pass (`constant_folding`, `remapping`, ...), this project's pass names otherwise
            (passes/pipeline.py lists them).

        Returns:
          None.

        Raises:
          ValueError: an unknown option name or a non-bool value.

        >>> tf.config.optimizer.set_experimental_options({"constant_folding": False})
        >>> tf.config.optimizer.get_experimental_options()["constant_folding"]
        False
        >>> tf.config.optimizer.reset()
        """
        _pipeline.check_options(options)
        optimizer._options.update(dict(options))

    @staticmethod
    def get_experimental_options():
        """The options set so far (as TF: only the ones set).

        >>> tf.config.optimizer.reset()
        >>> tf.config.optimizer.set_experimental_options({'loop_optimization': False})
        >>> tf.config.optimizer.get_experimental_options()
        {'loop_optimization': False}
        >>> tf.config.optimizer.reset()
        """
        return dict(optimizer._options)

    @staticmethod
    def reset():
        """Back to every pass on (this project's addition, handy in tests and notebooks).

        >>> tf.config.optimizer.set_experimental_options({'loop_optimization': False})
        >>> tf.config.optimizer.reset()
        >>> tf.config.optimizer.get_experimental_options()
        {}
        """
        optimizer._options.clear()
