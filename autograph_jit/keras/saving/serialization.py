"""Keras 3's object (de)serialization: `{"module", "class_name", "config", "registered_name"}`
dicts for layers, models, losses, metrics, optimizers and the like, and `custom_objects`
lookup (`keras.saving.serialize_keras_object` / `deserialize_keras_object`)."""
import inspect
from .. import layers, losses, metrics, models, optimizers
from ..layers.core import NotEqual
from ..layers.layer import Layer
from ..models.functional import Functional
from ..models.sequential import Sequential
from .function_code import SafeModeScope, in_safe_mode
import importlib

import numpy as np

__all__ = ["serialize_keras_object", "deserialize_keras_object", "register_keras_serializable",
           "get_registered_object", "get_custom_objects", "get_registered_name",
           "CustomObjectScope", "custom_object_scope"]

_REGISTERED = {}
_SCOPES = []


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under `package>name` for deserialization.

    >>> @tf.keras.saving.register_keras_serializable(package='docs_example')
    ... class Half(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return x / 2
    >>> tf.keras.saving.get_registered_object('docs_example>Half') is Half
    True
    """
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        _REGISTERED[key] = obj
        obj._registered_name = key
        return obj
    return decorator


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Returns the class associated with `name` if it is registered with Keras.

    Looks in the active `custom_object_scope`s, then `custom_objects`, then the classes registered
    with `register_keras_serializable` (under "package>Name"), then `module_objects`.

    Args:
      name: the registered name.
      custom_objects: a dict of name to object, searched too.
      module_objects: a dict of name to object, searched last.

    Returns:
      The object, or None when `name` is not found.

    >>> @tf.keras.utils.register_keras_serializable(package="docs")
    ... class Twice(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> tf.keras.saving.get_registered_object("docs>Twice") is Twice
    True
    """
    for scope in reversed(_SCOPES):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects():
    """The live global dict of custom objects, `"package>Name"` (or a plain name) -> object:
    what `register_keras_serializable` registers, and where an entry added by hand is found by
    deserialization, as Keras 3's `get_custom_objects()` is.

    >>> class Half(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return x / 2
    >>> tf.keras.utils.get_custom_objects()["Half"] = Half
    >>> tf.keras.saving.get_registered_object("Half") is Half
    True
    >>> del tf.keras.utils.get_custom_objects()["Half"]
    """
    return _REGISTERED


def get_registered_name(obj):
    """The name `obj` is registered under (`"package>Name"`), else its `__name__`.

    >>> @tf.keras.utils.register_keras_serializable(package="docs_names")
    ... def scale(x):
    ...     return 2 * x
    >>> tf.keras.utils.get_registered_name(scale)
    'docs_names>scale'
    >>> tf.keras.utils.get_registered_name(tf.keras.layers.Dense)
    'Dense'
    """
    for name, value in _REGISTERED.items():
        if value is obj:
            return name
    return obj.__name__


class CustomObjectScope:
    """`with keras.saving.CustomObjectScope({"MyLayer": MyLayer}):` makes names resolvable.

    >>> class Half(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return x / 2
    >>> with tf.keras.saving.CustomObjectScope({'Half': Half}):
    ...     print(tf.keras.saving.get_registered_object('Half') is Half)
    True
    """

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.pop()
        return False


custom_object_scope = CustomObjectScope


def _module_of(obj):
    cls = obj if inspect.isclass(obj) else type(obj)
    mod = cls.__module__
    if mod.startswith("autograph_jit.keras."):
        parts = mod.split(".")
        return "keras." + parts[2] if parts[2] not in ("models",) else "keras"
    return mod


def serialize_keras_object(obj):
    """The Keras 3 dict for `obj` (plain Python values pass through).

    >>> tf.keras.saving.serialize_keras_object(tf.keras.layers.Dense(2))['class_name']
    'Dense'
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"module": obj.__module__.replace("autograph_jit.", "", 1), "class_name":
                "function", "config": obj.__name__,
                "registered_name": getattr(obj, "_registered_name", obj.__name__)}
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        out = {"module": _module_of(obj), "class_name": type(obj).__name__,
               "config": _plain(config),
               "registered_name": getattr(type(obj), "_registered_name", None)}
        if type(obj).__name__ == "Functional" and out["module"] == "keras":
            # Keras 3 writes its Functional class by its private module path
            out["module"], out["registered_name"] = "keras.src.models.functional", "Functional"
        if isinstance(obj, Layer):
            build = _build_config(obj)
            if build is not None:
                out["build_config"] = build
            if hasattr(obj, "get_compile_config") and getattr(obj, "compiled", False):
                out["compile_config"] = obj.get_compile_config()
        return out
    raise TypeError(f"Cannot serialize {obj!r}: it has no `get_config()`.")


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if callable(value) and not isinstance(value, type) or hasattr(value, "get_config") \
            and not isinstance(value, (str, bytes)):
        return serialize_keras_object(value)
    return value


def _build_config(layer):
    if not layer.built:
        return None
    shapes = getattr(layer, "_build_shapes_dict", None)
    if shapes is not None:   # Keras 3: a build taking several shapes (MultiHeadAttention)
        return {"shapes_dict": {k: _plain(v) for k, v in shapes.items()}}
    shape = getattr(layer, "_build_input_shape", None)
    if shape is None:
        inputs = getattr(layer, "inputs", None) if isinstance(layer, (Sequential, Functional)) \
            else None
        if not inputs:
            return None
        # Keras 3: a Sequential records its input's shape, a functional model None
        if isinstance(layer, Sequential) and len(inputs) == 1:
            return {"input_shape": list(inputs[0].shape)}
        return {"input_shape": None} if not isinstance(layer, Sequential) else None
    return {"input_shape": _plain(shape)}


def _all_classes():
    table = {}
    for module in (optimizers, losses, metrics, layers, models):
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                table.setdefault(name, obj)
    table["Functional"] = Functional
    for extra in ("initializers", "regularizers", "constraints", "activations"):
        try:
            module = __import__(f"autograph_jit.keras.{extra}", fromlist=["x"])
        except ImportError:
            continue
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj):
                table.setdefault(name, obj)
    return table


def _function(module_name, name):
    candidates = [module_name, "autograph_jit." + module_name if module_name else None,
                  "autograph_jit.keras.losses", "autograph_jit.keras.metrics",
                  "autograph_jit.keras.activations"]
    for mod in candidates:
        if not mod:
            continue
        try:
            module = importlib.import_module(mod)
        except ImportError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    return None


# Keras 3 operations that saved functional graphs hold as nodes (module keras.src.ops.*)
_KERAS_OPERATIONS = {"NotEqual": NotEqual}

# Keys newer Keras 3 releases (up to 3.15) write into configs, for features autograph_jit does
# not have; a file loads when each holds its "off" value, and fails naming the key otherwise.
_OFF_VALUE_KEYS = {"quantization_config": None, "lora_rank": None, "lora_alpha": None,
                   "optional": False}
# bookkeeping keys of the file format itself, not arguments of any constructor
_FORMAT_KEYS = ("shared_object_id",)


def normalize_config(config):
    """`config` (a `.keras` file's JSON) without the keys Keras 3 versions added for features this
    library lacks, when they are off; a feature that is on raises ValueError naming it."""
    if isinstance(config, list):
        return [normalize_config(c) for c in config]
    if not isinstance(config, dict):
        return config
    out = {k: normalize_config(v) for k, v in config.items() if k not in _FORMAT_KEYS}
    inner = out.get("config")
    if "class_name" in out and isinstance(inner, dict):
        for key, off in _OFF_VALUE_KEYS.items():
            if key in inner:
                if inner[key] != off:
                    raise ValueError(
                        f"{out['class_name']} '{inner.get('name', '')}' in this file sets "
                        f"`{key}={inner[key]!r}`, a Keras feature autograph_jit does not "
                        f"support; save the model with `{key}={off!r}`.")
                del inner[key]
    return out


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a `serialize_keras_object` dict (or a class/function name) stands for.

    `safe_mode` (Keras 3) refuses Python lambdas stored as bytecode (a `Lambda` layer's
    function) unless False; a surrounding `SafeModeScope` or
    `enable_unsafe_deserialization()` overrides it.

    >>> config = tf.keras.saving.serialize_keras_object(tf.keras.layers.Dense(2))
    >>> tf.keras.saving.deserialize_keras_object(config).units
    2
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        if found is not None:
            return found
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    class_name = config["class_name"]
    inner = config.get("config")
    registered = config.get("registered_name")
    if class_name == "function":
        fn = get_registered_object(registered or inner, custom_objects) or \
            get_registered_object(inner, custom_objects) or \
            _function(config.get("module"), inner)
        if fn is None:
            raise TypeError(f"Could not locate function '{inner}'. Make sure custom classes "
                            "and functions are passed in `custom_objects`.")
        return fn
    if class_name == "__tensor__" or class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    cls = get_registered_object(registered, custom_objects) if registered else None
    if cls is None:
        cls = get_registered_object(class_name, custom_objects)
    if cls is None:
        cls = _all_classes().get(class_name)
    if cls is None and str(config.get("module", "")).startswith("keras.src.ops"):
        cls = _KERAS_OPERATIONS.get(class_name)
    if cls is None:
        raise TypeError(f"Could not locate class '{class_name}'. Make sure custom classes are "
                        "decorated with `@keras.saving.register_keras_serializable()` or passed "
                        "in `custom_objects`. Full object config: " + str(config))
    params = inspect.signature(cls.from_config).parameters
    scoped = in_safe_mode()
    with SafeModeScope(scoped if scoped is not None else safe_mode):
        if "custom_objects" in params:
            obj = cls.from_config(inner, custom_objects=custom_objects)
        else:
            with CustomObjectScope(custom_objects or {}):
                obj = cls.from_config(inner)
    build = config.get("build_config")
    if build and hasattr(obj, "built") and not obj.built and build.get("shapes_dict"):
        obj.build(**{k: _tuples(v) for k, v in build["shapes_dict"].items()})
    elif build and hasattr(obj, "built") and not obj.built and build.get("input_shape"):
        try:
            obj.build(_tuples(build["input_shape"]))
        except Exception:  # a layer whose build needs more than a shape builds on first call
            pass
    compile_config = config.get("compile_config")
    if compile_config and kwargs.get("compile", True) and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config, custom_objects)
    return obj


def _tuples(value):
    if isinstance(value, list):
        if all(v is None or isinstance(v, int) for v in value):
            return tuple(value)
        return [_tuples(v) for v in value]
    return value
