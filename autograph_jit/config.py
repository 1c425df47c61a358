"""`tf.config`: run functions eagerly (debugging), and library-wide switches."""
import os

_state = {"run_eagerly": False,
          "debug_tracebacks": os.environ.get("AUTOGRAPH_JIT_FULL_TRACEBACKS", "") not in ("", "0")}


def default_backend():
    """The backend of tf.function(backend=None): "cpu", or $AUTOGRAPH_JIT_BACKEND ("cpu",
    "eager", "gpu") — e.g. to run a whole program on the interpreter for comparison."""
    name = os.environ.get("AUTOGRAPH_JIT_BACKEND", "") or "cpu"
    if name not in ("cpu", "eager", "gpu"):
        raise ValueError(f"AUTOGRAPH_JIT_BACKEND must be cpu, eager or gpu, got {name!r}")
    return name


def run_functions_eagerly(run_eagerly):
    """When True, tf.function calls the Python function itself, untraced, op by op."""
    _state["run_eagerly"] = bool(run_eagerly)


def functions_run_eagerly():
    return _state["run_eagerly"]


def debug_tracebacks():
    """True keeps this library's frames in tracebacks (AUTOGRAPH_JIT_FULL_TRACEBACKS=1)."""
    return _state["debug_tracebacks"]


def set_debug_tracebacks(flag):
    _state["debug_tracebacks"] = bool(flag)


def list_physical_devices(device_type=None):
    from collections import namedtuple
    Device = namedtuple("PhysicalDevice", ["name", "device_type"])
    devices = [Device("/physical_device:CPU:0", "CPU")]
    return [d for d in devices if device_type is None or d.device_type == device_type]


class experimental:
    """`tf.config.experimental` (names kept for tutorial compatibility)."""

    @staticmethod
    def set_memory_growth(device, enable):
        return None

    @staticmethod
    def set_trace_cache_size(size):
        """How many concrete functions (traces) each tf.function keeps, least recently used
        dropped first (beyond TF, whose cache is unbounded). Default 64, or
        $AUTOGRAPH_JIT_TRACE_CACHE_SIZE; a function's `experimental_trace_cache_size=` wins.

        Example: `tf.config.experimental.set_trace_cache_size(16)`."""
        _state["trace_cache_size"] = _positive_size(size, "set_trace_cache_size")

    @staticmethod
    def get_trace_cache_size():
        """The number of traces each tf.function keeps (set_trace_cache_size)."""
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
    Options apply to graphs optimized afterwards (each concrete function optimizes once)."""

    _options = {}

    @staticmethod
    def set_experimental_options(options):
        from .passes.pipeline import check_options
        check_options(options)
        optimizer._options.update(dict(options))

    @staticmethod
    def get_experimental_options():
        """The options set so far (as TF: only the ones set)."""
        return dict(optimizer._options)

    @staticmethod
    def reset():
        """Back to every pass on (this project's addition, handy in tests and notebooks)."""
        optimizer._options.clear()
