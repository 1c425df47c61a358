"""`tf.keras.utils.plot_model` / `model_to_dot`: a model's layer graph as Graphviz DOT source,
rendered to an image by Graphviz's `dot` program (an optional system dependency)."""
import os
import shutil
import subprocess

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
    """Draw `model`'s layer graph into `to_file` (`.png`, `.svg`, `.pdf`, ... via Graphviz's
    `dot`; `.dot` writes the source and needs nothing).

    Example: `tf.keras.utils.plot_model(model, "model.png", show_shapes=True)`
    """
    source = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                          show_layer_names=show_layer_names, rankdir=rankdir, dpi=dpi)
    to_file = str(to_file)
    ext = os.path.splitext(to_file)[1][1:].lower() or "png"
    if ext in ("dot", "gv"):
        with open(to_file, "w") as f:
            f.write(source)
        return None
    dot = shutil.which("dot")
    if dot is None:
        raise ImportError("plot_model needs Graphviz's `dot` program to draw "
                          f"'{to_file}': install Graphviz (`apt install graphviz`, "
                          "`brew install graphviz`, or `conda install graphviz`), or save the "
                          "DOT source with a `.dot` file name.")
    subprocess.run([dot, f"-T{ext}", "-o", to_file], input=source.encode(), check=True,
                   capture_output=True)
    return None
