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
    shape = tuple(shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _output_shape(model, layer):
    if isinstance(model, Sequential):
        shape = model._output_shapes.get(id(layer))
        if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], tuple):
            return _format_shape(list(shape))
        return _format_shape(shape) if shape is not None else "?"
    nodes = [n for n in layer._inbound_nodes
             if not isinstance(model, Functional) or n in model._node_set]
    if not nodes:
        return "?"
    outs = nest.flatten(nodes[0].outputs)
    shapes = [tuple(o.shape) for o in outs if hasattr(o, "shape")]
    if len(shapes) == 1:
        return _format_shape(shapes[0])
    return _format_shape(shapes)


def _sequential_like(model):
    if not isinstance(model, Functional):
        return True
    if len(model._inputs) > 1 or len(model._outputs) > 1:
        return False
    for layer in model.layers:
        nodes = [n for n in layer._inbound_nodes if n in model._node_set]
        if len(nodes) > 1 or (nodes and len(nodes[0].input_tensors) > 1):
            return False
    return True


def _connected_to(model, layer):
    parts = []
    for node in layer._inbound_nodes:
        if node not in model._node_set:
            continue
        for x in node.input_tensors:
            src, node_index, tensor_index = x._keras_history
            parts.append(f"{src.name}[{node_index}][{tensor_index}]")
    return parts or ["-"]


def _table(widths, header, rows, align):
    def cell(text, width, how):
        inner = width - 2
        text = text if len(text) <= inner else text[:inner - 1] + "…"
        return " " + (text.rjust(inner) if how == "right" else text.ljust(inner)) + " "
    lines = ["┏" + "┳".join("━" * w for w in widths) + "┓",
             "┃" + "┃".join(cell(h, w, a) for h, w, a in zip(header, widths, align)) + "┃",
             "┡" + "╇".join("━" * w for w in widths) + "┩"]
    for i, row in enumerate(rows):
        height = max(len(c) for c in row)
        for k in range(height):
            texts = [c[k] if k < len(c) else "" for c in row]
            lines.append("│" + "│".join(cell(t, w, a) for t, w, a in zip(texts, widths, align))
                         + "│")
        if i != len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    """Print (or pass to `print_fn` line by line) Keras 3's summary table of `model`."""
    sequential_like = _sequential_like(model)
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.84, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    positions = positions or default_positions
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    widths, current = [], 0
    for pos in positions:
        widths.append(pos - current)
        current = pos
    if show_trainable:
        widths.append(11)
        header.append("Trainable")
        align.append("left")
    rows = []
    for layer in model.layers:
        name = f"{layer.name} ({type(layer).__name__})"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [[name], [_output_shape(model, layer)], [params]]
        if not sequential_like:
            row.append(_connected_to(model, layer) if isinstance(model, Functional) else ["-"])
        if show_trainable:
            row.append(["Y" if layer.trainable else "N"] if layer.weights else ["-"])
        rows.append(row)
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
        for line in lines:
            print_fn(line)
