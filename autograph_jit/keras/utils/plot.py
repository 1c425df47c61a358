"""`tf.keras.utils.plot_model` / `model_to_dot`: a model's layer graph as Graphviz DOT source,
rendered to an image by Graphviz's `dot` program (an optional system dependency) through the
package's one renderer, `ir/render.py` (the same that draws `cf.render_graph()`)."""
import os

from ...ir import render
from ..models.functional import Functional
from ..models.sequential import Sequential

__all__ = ["DotGraph", "model_to_dot", "plot_model"]


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


class DotGraph(str):
    """The DOT source `model_to_dot` returns when pydot is not installed: a `str` (print it, save
    it) with the methods of `pydot.Dot` that code calls on Keras's result — `to_string()`,
    `write(path, format=...)`, `create(format=...)` and `write_<format>` / `create_<format>`
    — drawn through Graphviz by the package's renderer. With pydot installed, `model_to_dot`
    returns a real `pydot.Dot`, as Keras 3 does."""

    def to_string(self):
        return str(self)

    def create(self, prog="dot", format="ps", encoding=None):  # noqa: A002
        """The picture as bytes (`format` "png", "svg", "pdf", ...; "dot"/"raw" the source)."""
        if format in ("dot", "raw", "canon"):
            return str(self).encode(encoding or "utf-8")
        return render.render_dot(str(self), format=format, what="this model graph")

    def write(self, path, prog="dot", format="raw", encoding=None):  # noqa: A002
        """Write the picture (or, with the default format "raw", the DOT source) to `path`."""
        data = self.create(prog=prog, format=format, encoding=encoding)
        with open(path, "wb") as f:
            f.write(data)
        return True

    def __getattr__(self, name):
        for prefix in ("write_", "create_"):
            if name.startswith(prefix) and len(name) > len(prefix):
                method, fmt = getattr(self, prefix[:-1]), name[len(prefix):]
                return lambda *args, **kwargs: method(*args, format=fmt, **kwargs)
        raise AttributeError(f"'DotGraph' object has no attribute '{name}'")


def _check_kwargs(kwargs):
    """Keras 3's checks of `plot_model`'s and `model_to_dot`'s extra keywords."""
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")


def _check_built(model):
    if not model.built:
        raise ValueError("This model has not yet been built. Build the model first by calling "
                         "`build()` or by calling the model on a batch of data.")


def _activation_name(layer):
    activation = layer.activation
    return getattr(activation, "__name__", None) or type(activation).__name__.lower()


def _label(layer, show_layer_names, show_dtype, show_shapes, show_layer_activations,
           show_trainable):
    label = type(layer).__name__
    if show_layer_names:
        label = f"{layer.name} ({label})"
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        label += f"|activation: {_activation_name(layer)}"
    if show_dtype:
        label += f"|dtype: {layer.dtype}"
    if show_shapes:
        label += f"|output: {_shape_text(layer)}"
    if show_trainable:
        label += f"|trainable: {bool(layer.trainable)}"
    return "{" + label + "}"


def _is_container(layer):
    return isinstance(layer, (Functional, Sequential))


def _body(model, options, expand_nested, indent, prefix=""):
    """The node and edge lines of `model` (nested models as clusters when expanded); returns
    (lines, first node id, last node id)."""
    lines, ends = [], {}
    for layer in model.layers:
        node = prefix + layer.name
        if expand_nested and _is_container(layer):
            inner, first, last = _body(layer, options, expand_nested, indent + "  ",
                                       prefix=node + "/")
            lines.append(f"{indent}subgraph {_quote('cluster_' + node)} {{")
            lines.append(f"{indent}  label={_quote(layer.name)}; labeljust=l; style=dashed;")
            lines.extend(inner)
            lines.append(f"{indent}}}")
            ends[layer.name] = (first, last)
        else:
            lines.append(f"{indent}{_quote(node)} [label={_quote(_label(layer, **options))}];")
            ends[layer.name] = (node, node)
    for src, dst in _edges(model, model.get_config() if hasattr(model, "get_config") else {}):
        if src in ends and dst in ends:
            lines.append(f"{indent}{_quote(ends[src][1])} -> {_quote(ends[dst][0])};")
    names = [layer.name for layer in model.layers]
    first = ends[names[0]][0] if names else None
    last = ends[names[-1]][1] if names else None
    return lines, first, last


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """`model`'s layer graph in Graphviz's DOT language (Keras 3's options).

    Args:
      model: a built Keras model; a subclassed model is one node.
      show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable: what
        each node shows (output shape, dtype, "name (Class)", activation, trainable).
      rankdir: "TB" (top to bottom) or "LR" (left to right).
      expand_nested: draw nested Sequential/functional models as clusters of their layers.
      dpi: the picture's resolution.
      subgraph: return the graph as a `cluster` subgraph (to nest it in another graph).
      splines: how edges are drawn ("ortho", "curved", "polyline", "spline", "line").

    Returns:
      A `pydot.Dot` when pydot is installed (as Keras 3), else a `DotGraph`: the DOT source as a
      `str` with pydot's `to_string`, `write` and `create` methods.

    Raises:
      ValueError: an unbuilt model, a bad `rankdir`, `layer_range` (no longer supported in
        Keras 3) or any other unknown keyword.

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> dot = tf.keras.utils.model_to_dot(model, show_shapes=True)
    >>> dot.to_string().startswith('digraph'), 'output: (None, 1)' in dot.to_string()
    (True, True)
    """
    _check_kwargs(kwargs)
    _check_built(model)
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR'. Received: rankdir={rankdir}")
    options = {"show_layer_names": show_layer_names, "show_dtype": show_dtype,
               "show_shapes": show_shapes, "show_layer_activations": show_layer_activations,
               "show_trainable": show_trainable}
    if subgraph:
        lines = [f"subgraph {_quote('cluster_' + model.name)} {{",
                 f"  label={_quote(model.name)}; labeljust=l; style=dashed;"]
    else:
        lines = [f"digraph {_quote(model.name)} {{", f"  rankdir={rankdir};",
                 "  concentrate=true;", f"  dpi={int(dpi)};", f"  splines={splines};",
                 "  node [shape=record];"]
    if _is_container(model):
        lines.extend(_body(model, options, expand_nested, "  ")[0])
    else:   # a subclassed model: one node, as Keras draws it
        lines.append(f"  {_quote(model.name)} [label={_quote(_label(model, **options))}];")
    lines.append("}")
    source = "\n".join(lines) + "\n"
    try:
        import pydot
    except ImportError:
        return DotGraph(source)
    return pydot.graph_from_dot_data(source)[0]


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Converts a Keras model to dot format and saves it to a file.

    Draws `model`'s layer graph into `to_file` with Graphviz (`.png`, `.svg`, `.pdf`, ...);
    a `.dot` or `.gv` name writes the DOT source and needs nothing installed.

    Args:
      model: a built `tf.keras.Model`.
      to_file: the file to write; its extension picks the format (default "model.png").
      show_shapes: show each layer's output shape.
      show_dtype: show each layer's dtype.
      show_layer_names: show each layer's name next to its class (default False, as Keras 3).
      rankdir: "TB" (top to bottom, default) or "LR" (left to right).
      expand_nested: draw nested models as clusters of their layers.
      dpi: the picture's resolution.
      show_layer_activations: show the activation of layers that have one.
      show_trainable: show whether each layer is trainable.
      splines: how edges are drawn (default "ortho").

    Returns:
      An `IPython.display.Image` of the picture when IPython is installed and the format is a
      bitmap (so a notebook cell shows it), else None.

    Raises:
      GraphvizUnavailableError (an ImportError): Graphviz is not installed.
      ValueError: an unbuilt model, `layer_range` or any other unknown keyword (as Keras 3).

    >>> import tempfile, os
    >>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
    >>> tf.keras.utils.plot_model(model, to_file=path, show_shapes=True)
    >>> open(path).read().count("<svg")
    1
    """
    _check_kwargs(kwargs)
    _check_built(model)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)
    source = dot.to_string()
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
