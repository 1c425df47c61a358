"""Peer frameworks (TensorFlow, JAX, PyTorch, Numba): which are importable, loaded lazily, once.

A peer that is not installed (or fails to import) is skipped with its reason; the benchmarks never
need one. Imports are quietened and pinned to the CPU before they happen.
"""
import os

# Column order in the table, and each column's heading: what the peer's time measures.
ORDER = ("tf", "jax", "torch", "numba")
LABELS = {"tf": "tf.function", "jax": "jax.jit", "torch": "torch eager", "numba": "numba.njit"}
_MODULES = {"tf": "tensorflow", "jax": "jax", "torch": "torch", "numba": "numba"}

_loaded = {}   # name -> module, or an Exception saying why it is unavailable
PINNED_VAR = "AUTOGRAPH_JIT_BENCH_THREADS"   # set by `--threads N`: pools pinned to N threads


def _quiet_environment():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def load(name):
    """The peer's top-level module, or None when it cannot be imported (see `reason`)."""
    if name not in _loaded:
        _quiet_environment()
        try:
            module = __import__(_MODULES[name])
            if name == "tf":
                import logging
                logging.getLogger("tensorflow").setLevel(logging.ERROR)
                module.get_logger().setLevel("ERROR")
            _pin(name, module)
            _loaded[name] = module
        except Exception as e:  # ImportError, or a broken install
            _loaded[name] = e
    value = _loaded[name]
    return None if isinstance(value, Exception) else value


def _pin(name, module):
    """Apply `--threads N` to the pools that environment variables do not reach."""
    n = int(os.environ.get(PINNED_VAR, "0"))
    if n <= 0:
        return
    if name == "tf":
        module.config.threading.set_intra_op_parallelism_threads(n)
        module.config.threading.set_inter_op_parallelism_threads(n)
    elif name == "torch":
        module.set_num_threads(n)


def reason(name):
    value = _loaded.get(name)
    return f"{type(value).__name__}: {value}" if isinstance(value, Exception) else ""


def version(name):
    module = load(name)
    return getattr(module, "__version__", "?") if module is not None else None


def parse(spec):
    """`--peers` text: "all", "none", or a comma list of names from ORDER."""
    if spec in (None, "all"):
        return ORDER
    if spec == "none":
        return ()
    names = tuple(n.strip() for n in spec.split(",") if n.strip())
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        raise ValueError(f"unknown peer(s) {unknown}; choose from {', '.join(ORDER)}")
    return names
