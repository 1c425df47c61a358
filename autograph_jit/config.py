"""`tf.config`: run functions eagerly (debugging), and library-wide switches."""
import os

_state = {"run_eagerly": False,
          "debug_tracebacks": os.environ.get("AUTOGRAPH_JIT_FULL_TRACEBACKS", "") not in ("", "0")}


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
