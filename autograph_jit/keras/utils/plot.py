"""`tf.keras.utils.plot_model` / `model_to_dot`: a model's layer graph as Graphviz DOT source,
rendered to an image by Graphviz's `dot` program (an optional system dependency) through the
package's one renderer, `ir/render.py` (the same that draws `cf.render_graph()`)."""
import os

from ...ir import render

__all__ = ["model_to_dot", "plot_model"]


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shape_text(layer):
    try:
        shape = layer.output.shape
        return str(tuple(shape.as_list() if hasattr(shape, "as_list") else shape))
    except Exception:  # an unbuilt or multi-output layer: Keras prints "?"
        return "?"


def _edges(model, config):
    layers = config.get("layers") or []
    if any("inbound_nodes" in entry for entry in layers):
        edges = []
        for entry in layers:
            def walk(value):
                if isinstance(value, dict):
                    history = value.get("config", {}).get("keras_history") \
                        if value.get("class_name") == "__keras_tensor__" else None
                    if history:
                        edges.append((history[0], entry["name"]))
                    for v in value.values():
                        walk(v)
                elif isinstance(value, (list, tuple)):
                    for v in value:
                        walk(v)
            walk(entry.get("inbound_nodes", []))
        return edges
    names = [layer.name for layer in model.layers]
    return list(zip(names, names[1:]))


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", dpi=200, **kwargs):
    """The DOT source (a string) of `model`'s layer graph.

    Example: `print(tf.keras.utils.model_to_dot(model, show_shapes=True))`

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> dot = tf.keras.utils.model_to_dot(model, show_shapes=True)
    >>> dot.startswith('digraph'), 'output: (None, 1)' in dot
    (True, True)
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR'. Received: rankdir={rankdir}")
    lines = [f"digraph {_quote(model.name)} {{", f"  rankdir={rankdir};", f"  dpi={int(dpi)};",
             "  node [shape=record];"]
    for layer in model.layers:
        label = type(layer).__name__
        if show_layer_names:
            label = f"{layer.name} ({label})"
        if show_dtype:
            label += f"|dtype: {layer.dtype}"
        if show_shapes:
            label += f"|output: {_shape_text(layer)}"
        lines.append(f"  {_quote(layer.name)} [label={_quote('{' + label + '}')}];")
    for src, dst in _edges(model, model.get_config() if hasattr(model, "get_config") else {}):
        lines.append(f"  {_quote(src)} -> {_quote(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", dpi=200, **kwargs):
    """Converts a Keras model to dot format and saves it to a file.

    Draws `model`'s layer graph into `to_file` with Graphviz (`.png`, `.svg`, `.pdf`, ...);
    a `.dot` or `.gv` name writes the DOT source and needs nothing installed.

    Args:
      model: a built `tf.keras.Model` (Sequential or functional).
      to_file: the file to write; its extension picks the format (default "model.png").
      show_shapes: show each layer's output shape.
      show_dtype: show each layer's dtype.
      show_layer_names: show each layer's name next to its class.
      rankdir: "TB" (top to bottom, default) or "LR" (left to right).
      dpi: the picture's resolution.

    Returns:
      An `IPython.display.Image` of the picture when IPython is installed and the format is a
      bitmap (so a notebook cell shows it), else None.

    Raises:
      GraphvizUnavailableError (an ImportError): Graphviz is not installed.

    >>> import tempfile, os
    >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
    >>> tf.keras.utils.plot_model(model, to_file=path, show_shapes=True)
    >>> open(path).read().count("<svg")
    1
    """
    source = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                          show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi)
    to_file = str(to_file)
    ext = os.path.splitext(to_file)[1][1:].lower() or "png"
    if ext in ("dot", "gv"):
        with open(to_file, "w") as f:
            f.write(source)
        return None
    render.render_dot(source, format=ext, path=to_file, what=f"model {model.name!r}")
    if ext in ("png", "jpg", "jpeg", "gif"):
        try:  # as Keras does: in IPython/Jupyter, the picture is the cell's result
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
