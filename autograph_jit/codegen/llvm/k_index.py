"""Native index ops with run-time positions: sliced writes, gradient scatters, mirror pads,
TensorArray rows.

- `strided_slice_update` (`v[i].assign(u)`, a copy of x with u written at [spec]) and
  `strided_slice_grad` (zeros with g written at [spec]): static spec entries fix the target
  region's base and strides at compile time; each run-time index is bounds-checked in native
  code (eager's message) and moves the region by i * stride. strided_slice_grad also takes
  run-time slice bounds (the gradient of `x[i:j]`): start/stop are wrapped and clamped natively
  as Python's slice.indices() does, and the length must equal the incoming gradient's.
- `tensor_array_read` / `tensor_array_write` with a static buffer shape: a row view / a copy
  with one row replaced, the index checked natively; a `dynamic_size` write at a known index
  past the end makes the grown (static) shape. A buffer that grows by a run-time amount is a
  growable record (k_grow.py): reads and writes go there, in place.
"""
import numpy as np

from ... import dtypes
from . import k_grow
from .emit import Kernel, i64
from .k_array import NotLowerable
from .k_map import emit_copy, emit_map
from .scalar import ScalarEmitter, cast_value
from ...ops.slicing import _expand


def _index_value(k, s, view):
    """A scalar int view's value as i64 inside kernel `k` (its pointer is passed in)."""
    return cast_value(s, k.load(k.ptrs[view[0]], view[1].dtype, i64(0)), view[1].dtype,
                      dtypes.int64)


def _zero_fill(lw, node, out):
    dt = out.dtype
    emit_map(lw, "zeros", [out], [], lambda s, vals: [s.const(dt, 0)], lw.annotate(node))


# ----------------------------------------------------------------------------------------------
# strided_slice_update / strided_slice_grad: write a source into [spec] of an output
# ----------------------------------------------------------------------------------------------


def _clamped(b, v, n, step, default):
    """Python's slice.indices() rule for one run-time bound v (i64): wrap, then clamp."""
    lower, upper = (0, n) if step > 0 else (-1, n - 1)
    if v is None:
        return i64(default)
    v = b.select(b.icmp_signed("<", v, i64(0)), b.add(v, i64(n)), v)
    v = b.select(b.icmp_signed("<", v, i64(lower)), i64(lower), v)
    return b.select(b.icmp_signed(">", v, i64(upper)), i64(upper), v)


def _emit_spec_write(lw, node, op, out, src_view, dyn_inputs, spec, in_shape, exact=False):
    """out[spec] = src (broadcast to the region); out is contiguous and already filled.

    Static entries fix the region's base and strides at compile time; run-time indices are
    bounds-checked (eager's message) and move the base. Run-time slice bounds (static step)
    are allowed when `exact`: the region then has the source's shape (strided_slice_grad, whose
    source is the slice itself), and the length the bounds give is checked against it."""
    entries = _expand(spec, len(in_shape), op)
    region_rank = sum(1 for it in entries if it[0] != "index")
    # (what cannot be lowered is refused before the kernel exists: a half-built function
    # would leave the whole module unparsable)
    if any(isinstance(f, tuple) for it in entries if it[0] == "slice" for f in it[1:]):
        if not exact or len(src_view.shape) != region_rank:
            raise NotLowerable(f"{op} with run-time slice bounds")
    if any(isinstance(it[3], tuple) or it[3] == 0 for it in entries if it[0] == "slice"):
        raise NotLowerable(f"{op} with a run-time or zero step")
    dyn_views = [lw.view(v) for v in dyn_inputs]
    k = Kernel(lw.module, lw.fresh_name(op), 2 + len(dyn_views), lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b

    def dyn(field):
        if isinstance(field, tuple):
            return _index_value(k, s, (2 + field[1], dyn_views[field[1]]))
        return None if field is None else i64(field)

    base, extra, shape, strides, d_i = 0, i64(0), [], [], 0
    for it in entries:
        if it[0] == "new":
            shape.append(1)
            strides.append(0)
            continue
        n, stride = in_shape[d_i], out.strides[d_i]
        if it[0] == "index":
            code = lw.errors.code(
                f"slice index {{1}} of dimension {d_i} out of bounds. [Op:{op}] Fix: valid "
                f"indices for a dimension of size {n} are {-n}..{n - 1}.", lw.where(node))
            i = dyn(it[1])
            k.fail(b.or_(b.icmp_signed("<", i, i64(-n)), b.icmp_signed(">=", i, i64(n))),
                   code, [i])
            i = b.select(b.icmp_signed("<", i, i64(0)), b.add(i, i64(n)), i)
            extra = b.add(extra, b.mul(i, i64(stride)))
        else:
            start, stop, step = it[1:]
            if isinstance(step, tuple) or step == 0:
                raise NotLowerable(f"{op} with a run-time or zero step")
            step = 1 if step is None else step
            if not isinstance(start, tuple) and not isinstance(stop, tuple):
                a, z, c = slice(start, stop, step).indices(n)
                base += a * stride
                shape.append(len(range(a, z, c)))
            else:
                want = src_view.shape[len(shape)]
                a = _clamped(b, dyn(start), n, step, 0 if step > 0 else n - 1)
                z = _clamped(b, dyn(stop), n, step, n if step > 0 else -1)
                span = b.sub(z, a) if step > 0 else b.sub(a, z)
                got = b.sdiv(b.add(span, i64(abs(step) - 1)), i64(abs(step)))
                got = b.select(b.icmp_signed(">", span, i64(0)), got, i64(0))
                code = lw.errors.code(
                    f"{op}: the slice of dimension {d_i} has {{1}} elements but the value has "
                    f"{want} [Op:{op}]", lw.where(node))
                k.fail(b.icmp_signed("!=", got, i64(want)), code, [got])
                extra = b.add(extra, b.mul(a, i64(stride)))
                shape.append(want)
            strides.append(step * stride)
        d_i += 1
    sshape = src_view.shape
    if len(sshape) > len(shape) or any(a not in (1, z) for a, z in zip(
            reversed(sshape), reversed(shape))):  # the type rules exclude this: never guess
        raise NotLowerable(f"{op}: value shape {list(sshape)} does not fit the region "
                           f"{list(shape)}")
    src = src_view.with_layout(shape, src_view.broadcast_strides(shape), src_view.offset)

    def body(idx):
        dst = b.add(extra, k.linear(base, strides, idx))
        k.store(k.load(k.ptrs[1], src.dtype, k.linear(0, src.strides, idx)),
                k.ptrs[0], out.dtype, dst)
    if int(np.prod(shape, dtype=np.int64)):
        k.loops.nest(shape, body)
    lw.call_kernel(k, [out, src] + dyn_views)


def lower_strided_slice_update(lw, node):
    x_v, u_v, *dyn = node.data_inputs
    x = lw.view(x_v)
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        emit_copy(lw, out, x)
    _emit_spec_write(lw, node, "strided_slice_update", out, lw.view(u_v), dyn,
                     node.attrs["spec"], out.shape)
    lw.bind(node.outputs[0], out)


def lower_strided_slice_grad(lw, node):
    g_v, _, *dyn = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    if out.size:
        _zero_fill(lw, node, out)
    _emit_spec_write(lw, node, "strided_slice_grad", out, lw.view(g_v), dyn,
                     node.attrs["spec"], out.shape, exact=True)
    lw.bind(node.outputs[0], out)


# ----------------------------------------------------------------------------------------------
# TensorArray rows
# ----------------------------------------------------------------------------------------------


def lower_tensor_array_read(lw, node):
    buf_v, i_v = node.data_inputs
    buf, iv = lw.view(buf_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    if isinstance(buf, k_grow.GrowView):
        k_grow.lower_read(lw, node, buf, iv, out, lw.spec(buf_v).placeholder)
        lw.bind(node.outputs[0], out)
        return
    n = buf.shape[0]
    code = lw.errors.code(f"TensorArray.read: index {{1}} is out of range for a TensorArray of "
                          f"size {n}", lw.where(node))
    k = Kernel(lw.module, lw.fresh_name("ta_read"), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    i = _index_value(k, s, (2, iv))
    k.fail(b.icmp_unsigned(">=", i, i64(n)), code, [i])
    row = buf.with_layout(out.shape, buf.strides[1:], 0)
    off = b.mul(i, i64(buf.strides[0]))

    def body(idx):
        k.store(k.load(k.ptrs[1], buf.dtype, b.add(off, k.linear(0, row.strides, idx))),
                k.ptrs[0], out.dtype, k.linear(0, out.strides, idx))
    if out.size:
        k.loops.nest(out.shape, body)
    lw.call_kernel(k, [out, buf, iv])
    lw.bind(node.outputs[0], out)


def lower_tensor_array_write(lw, node):
    buf_v, i_v, val_v = node.data_inputs
    buf, iv, val = lw.view(buf_v), lw.view(i_v), lw.view(val_v)
    dynamic = node.attrs["dynamic_size"]
    if lw.spec(node.outputs[0]).growable:
        if not isinstance(buf, k_grow.GrowView):  # a static array starts growing here
            buf = k_grow.create(lw, node, buf, val.shape, len(buf.shape) != len(val.shape) + 1)
        lw.bind(node.outputs[0], k_grow.lower_write(lw, node, buf, iv, val, dynamic))
        return
    out = lw.alloc_for(node.outputs[0])
    n = out.shape[0]
    if out.shape[1:] != val.shape:  # the type rules exclude this: never guess
        raise NotLowerable("tensor_array_write of a value with another element shape")
    if len(buf.shape) == len(val.shape) + 1:
        if buf.shape[1:] != val.shape:
            raise NotLowerable("tensor_array_write of a value with another element shape")
        if buf.shape[0] != n:  # a dynamic_size write at a known index past the end
            rows = out.with_layout(buf.shape, out.strides, 0)
            _zero_fill(lw, node, out)
            if buf.size:
                emit_copy(lw, rows, buf)
        elif out.size:
            emit_copy(lw, out, buf)
    elif out.size:  # the placeholder buffer: the first element fixes the shape
        _zero_fill(lw, node, out)
    neg = lw.errors.code("TensorArray.write: index {1} is negative", lw.where(node))
    past = lw.errors.code(
        f"TensorArray.write: tried to write to index {{1}} but the array is not resizeable and "
        f"its size is {n}. Fix: tf.TensorArray(..., dynamic_size=True).", lw.where(node))
    k = Kernel(lw.module, lw.fresh_name("ta_write"), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    i = _index_value(k, s, (2, iv))
    k.fail(b.icmp_signed("<", i, i64(0)), neg, [i])
    k.fail(b.icmp_signed(">=", i, i64(n)), past, [i])
    off = b.mul(i, i64(out.strides[0]))

    def body(idx):
        k.store(k.load(k.ptrs[1], val.dtype, k.linear(0, val.strides, idx)),
                k.ptrs[0], out.dtype, b.add(off, k.linear(0, out.strides[1:], idx)))
    if val.size:
        k.loops.nest(val.shape, body)
    lw.call_kernel(k, [out, val, iv])
    lw.bind(node.outputs[0], out)


def lower_shape_of_grown(lw, node):
    """shape / size of a TensorArray grown natively (static shapes are folded earlier)."""
    buf = lw.view(node.data_inputs[0])
    if not isinstance(buf, k_grow.GrowView):
        raise NotLowerable(f"{node.op.name} of a value whose shape was not folded")
    out = lw.alloc_for(node.outputs[0])
    k_grow.lower_shape(lw, buf, out, lw.spec(node.data_inputs[0]).placeholder)
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "shape": lower_shape_of_grown,
    "size": lower_shape_of_grown,
    "strided_slice_update": lower_strided_slice_update,
    "strided_slice_grad": lower_strided_slice_grad,
    "tensor_array_read": lower_tensor_array_read,
    "tensor_array_write": lower_tensor_array_write,
}

__all__ = ["LOWERINGS"]
