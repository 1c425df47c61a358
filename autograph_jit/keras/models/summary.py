"""`Model.summary()`: Keras 3's table of layers, output shapes and parameter counts.

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
    ┃ Layer (type)                         ┃ Output Shape                   ┃     Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
    │ dense (Dense)                        │ (None, 1)                      │           3 │
    └──────────────────────────────────────┴────────────────────────────────┴─────────────┘
     Total params: 3 (12.00 B)
     Trainable params: 3 (12.00 B)
     Non-trainable params: 0 (0.00 B)

An unbuilt model shows `?` shapes and `0 (unbuilt)` parameters. Functional models with
branches add a "Connected to" column.
"""
import re
import shutil

import numpy as np

from ... import nest
from .functional import Functional
from .sequential import Sequential

__all__ = ["print_summary", "readable_memory_size"]


def readable_memory_size(size):
    """`12.00 B`, `10.79 KB`, ... (powers of 1024, as Keras prints)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _weights_size(weights):
    count = sum(int(np.prod(v.shape.as_list())) for v in weights)
    size = sum(int(np.prod(v.shape.as_list())) * v.dtype.np_dtype.itemsize for v in weights)
    return count, size


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return "[" + ", ".join(_format_shape(tuple(s)) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in tuple(shape)) + ")"


def _format_shapes(shapes):
    """One shape as `(None, 4)`; several as Keras prints their structure."""
    if _is_shape(shapes):
        return _format_shape(shapes)
    formatted = nest.map_structure(lambda leaf: _format_shape(leaf.shape),
                                   _shape_structure(shapes))
    flat = nest.flatten(formatted)
    return flat[0] if len(flat) == 1 else str(formatted).replace("'", "")


def _is_shape(shape):
    return isinstance(shape, tuple) and all(d is None or isinstance(d, (int, np.integer))
                                            for d in shape)


def _shape_structure(shapes):
    """Shapes as opaque leaves (so map_structure does not walk into the tuples)."""
    if _is_shape(shapes):
        return _Leaf(shapes)
    if isinstance(shapes, dict):
        return {k: _shape_structure(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_shape_structure(v) for v in shapes)
    return _Leaf(tuple(shapes))


class _Leaf:
    def __init__(self, shape):
        self.shape = shape


def _output_shape(model, layer):
    """Keras 3's `format_layer_shape`: the outputs of the layer's last call on KerasTensors;
    for a layer only ever called on real tensors, `compute_output_shape` of its build shape."""
    if isinstance(model, Sequential):
        shape = model._output_shapes.get(id(layer))
        if shape is not None:
            return _format_shapes(shape if _is_shape(shape) else list(shape))
    if layer._inbound_nodes:
        outs = layer._inbound_nodes[-1].outputs
        formatted = nest.map_structure(lambda o: _format_shape(tuple(o.shape)), outs)
        flat = nest.flatten(formatted)
        return flat[0] if len(flat) == 1 else str(formatted).replace("'", "")
    build_shape = getattr(layer, "_build_input_shape", None)
    if not layer.built or build_shape is None:
        return "?"
    try:
        return _format_shapes(layer.compute_output_shape(build_shape))
    except Exception:  # noqa: BLE001  (Keras prints '?' when the shape is unknown)
        return "?"


def _sequential_like(model):
    """Keras 3's rule: a functional model prints as a plain stack unless some depth holds
    several nodes, a node has several inputs, or a layer is called more than once."""
    if not isinstance(model, Functional):
        return True
    nodes = []
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and
                                    len(depth_nodes[0].input_tensors) > 1):
            return False
        nodes += depth_nodes
    for layer in model.layers:
        if sum(1 for n in layer._inbound_nodes if n in nodes) > 1:
            return False
    return True


def _connected_to(model, layer):
    """`dense[0][0], dense_1[0][0]`: the layer's inputs within `model` (Keras's separators)."""
    parts = []
    relevant = model._node_set
    for node in layer._inbound_nodes:
        if node not in relevant:
            continue
        for x in node.input_tensors:
            src, node_index, tensor_index = x._keras_history
            parts.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


def _column_widths(line_length, positions):
    """Column widths (padding included) as Keras's rich table lays them out: the positions'
    widths, then rich's even reduction until they fit `line_length` with the borders."""
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current if pos <= 1 else int(pos) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    widths = [w + 2 for w in widths]
    available = line_length - (len(widths) + 1)
    excess, total_ratio, out = sum(widths) - available, len(widths), []
    if excess > 0:   # rich's ratio_reduce with equal ratios
        for w in widths:
            cut = min(w, round(excess / total_ratio))
            out.append(w - cut)
            excess -= cut
            total_ratio -= 1
        return out
    if excess < 0:   # rich's ratio_distribute (a table of fixed width expands)
        total, total_ratio, out = -excess, sum(widths), []
        for w in widths:
            extra = int(-(-w * total // total_ratio)) if total_ratio else 0
            out.append(w + extra)
            total -= extra
            total_ratio -= w
        return out
    return widths


def _wrap(text, width):
    """Rich's word wrapping of a cell (a word longer than the cell ends with '…')."""
    if len(text) <= width:
        return [text]
    lines, line = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _table(widths, header, rows, align):
    def cell(text, width, how):
        inner = width - 2
        if how == "right":
            text = text.rjust(inner)
        elif how == "center":
            text = text.center(inner)
        else:
            text = text.ljust(inner)
        return " " + text + " "
    lines = ["┏" + "┳".join("━" * w for w in widths) + "┓",
             "┃" + "┃".join(cell(h, w, a) for h, w, a in zip(header, widths, align)) + "┃",
             "┡" + "╇".join("━" * w for w in widths) + "┩"]
    for i, row in enumerate(rows):
        wrapped = [_wrap(text, w - 2) for text, w in zip(row, widths)]
        for k in range(max(len(c) for c in wrapped)):
            texts = [c[k] if k < len(c) else "" for c in wrapped]
            lines.append("│" + "│".join(cell(t, w, a) for t, w, a in zip(texts, widths, align))
                         + "│")
        if i != len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def _layer_range_bounds(layers, layer_range):
    """Keras 3's `layer_range=(first, last)`: names (regular expressions) of the first and last
    layers printed."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError("layer_range must be a list or tuple of length 2. Received: "
                         f"layer_range = {layer_range} of length {len(layer_range)}")
    if not all(isinstance(n, str) for n in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError("Passed layer_names do not match the layer names in the model. "
                         f"Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print (or pass to `print_fn` as one string, as Keras 3 does) the summary table of
    `model`. `expand_nested=True` adds the layers of nested models under theirs, indented
    with `└`."""
    sequential_like = _sequential_like(model)
    layers = list(model._operations) if isinstance(model, Functional) else model.layers
    if sequential_like:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths = _column_widths(line_length, positions)

    def fields(layer, prefix):
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape(model, layer),
               params]
        if not sequential_like:
            row.append(_connected_to(model, layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def layer_rows(layer, level=0):
        rows = [fields(layer, "   " * level + "└ " if level else "")]
        nested = getattr(layer, "layers", None) if expand_nested else None
        for sub in nested or []:
            rows.extend(layer_rows(sub, level + 1))
        return rows

    first, last = _layer_range_bounds(layers, layer_range)
    rows = [row for layer in layers[first:last] for row in layer_rows(layer)]
    lines = [f'Model: "{model.name}"']
    lines += _table(widths, header, rows, align)
    trainable_count, trainable_size = _weights_size(model.trainable_weights)
    frozen_count, frozen_size = _weights_size(model.non_trainable_weights)
    total_count, total_size = trainable_count + frozen_count, trainable_size + frozen_size
    optimizer = getattr(model, "optimizer", None)
    opt_count = opt_size = 0
    if optimizer is not None and getattr(optimizer, "built", False):
        opt_count, opt_size = _weights_size(optimizer.variables)
        total_count += opt_count
        total_size += opt_size
    lines.append(f" Total params: {total_count:,} ({readable_memory_size(total_size)})")
    lines.append(f" Trainable params: {trainable_count:,} "
                 f"({readable_memory_size(trainable_size)})")
    lines.append(f" Non-trainable params: {frozen_count:,} "
                 f"({readable_memory_size(frozen_size)})")
    if opt_count:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_memory_size(opt_size)})")
    if print_fn is None:
        print("\n".join(lines))
    else:
        print_fn("\n".join(lines) + "\n")
