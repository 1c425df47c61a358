"""`tf.keras`: Keras 3 for autograph_jit — layers, models, training (`compile`/`fit`), callbacks,
saving, optimizers, losses, metrics, and utilities; one module or subpackage each.

Both `tf.keras.layers.Dense` and `from autograph_jit.keras import layers` work. Subpackages load
on first use (PEP 562 `__getattr__`), so `import autograph_jit` does not pay for Keras."""
import importlib

from . import backend  # noqa: F401
from . import optimizers  # noqa: F401
from . import metrics  # noqa: F401

_SUBMODULES = ("activations", "callbacks", "config", "constraints", "datasets", "initializers",
               "layers",
               "losses", "models", "regularizers", "saving", "utils")
# top-level names: (module, attribute)
_NAMES = {"Input": ("layers", "Input"), "InputSpec": ("layers", "InputSpec"),
          "Layer": ("layers", "Layer"), "KerasTensor": ("layers.keras_tensor", "KerasTensor"),
          "Model": ("models", "Model"), "Sequential": ("models", "Sequential")}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        module, attr = _NAMES[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autograph_jit.keras' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_NAMES))
