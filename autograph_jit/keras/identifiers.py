"""Keras's identifier protocol, shared by constraints and regularizers: an object serializes to
`{"module", "class_name", "config", "registered_name"}`, and `get(identifier)` resolves None, a
name, such a dict, or a callable (Keras 3's `get`/`serialize`/`deserialize` functions)."""


def serialize(obj, module):
    """Keras 3's dict for `obj` (None for None)."""
    if obj is None:
        return None
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def deserialize(config, classes, kind, hint, custom_objects=None):
    """The object a name or serialized dict stands for, from `classes` (name -> class), else a
    user's (`user_object`)."""
    if isinstance(config, dict):
        inner = config.get("config")
        name, kwargs = config["class_name"], dict(inner) if isinstance(inner, dict) else {}
    else:
        name, kwargs = config, {}
    if name in classes and not (custom_objects and name in custom_objects):
        return classes[name].from_config(kwargs)
    found = user_object(config, custom_objects)
    if found is None:
        raise ValueError(f"Unknown {kind}: {name!r}. Valid names are {sorted(classes)} ({hint}; "
                         f"a function or class of your own: pass it in custom_objects).")
    return found


def user_object(config, custom_objects=None):
    """The user's function or object that a name or a serialized dict stands for — Keras 3
    writes a plain function as `{"class_name": "function", "config": name, "module": ...}` — found
    in `custom_objects`, an enclosing `custom_object_scope` (load_model opens one), the
    registered objects, or (a function) its module; a class is instantiated from the dict's
    config. None when nothing is found."""
    from .saving import serialization
    if not isinstance(config, dict):
        found = serialization.get_registered_object(config, custom_objects)
        return found() if isinstance(found, type) else found
    if config.get("class_name") == "function":
        try:
            return serialization.deserialize_keras_object(config, custom_objects)
        except TypeError:
            return None
    found = None
    for name in (config.get("registered_name"), config.get("class_name")):
        if name and found is None:
            found = serialization.get_registered_object(name, custom_objects)
    if isinstance(found, type):
        kwargs = dict(config.get("config") or {})
        return found.from_config(kwargs) if hasattr(found, "from_config") else found(**kwargs)
    return found


def get(identifier, deserialize_fn, kind):
    """Resolve a `kernel_<kind>=`-style argument: None, a name, a dict, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize_fn(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
