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
    """The object a name or serialized dict stands for, from `classes` (name -> class)."""
    if isinstance(config, dict):
        name, kwargs = config["class_name"], dict(config.get("config") or {})
    else:
        name, kwargs = config, {}
    if custom_objects and name in custom_objects:
        return custom_objects[name](**kwargs)
    if name not in classes:
        raise ValueError(f"Unknown {kind}: {name!r}. Valid names are {sorted(classes)} ({hint}).")
    return classes[name].from_config(kwargs)


def get(identifier, deserialize_fn, kind):
    """Resolve a `kernel_<kind>=`-style argument: None, a name, a dict, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize_fn(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
