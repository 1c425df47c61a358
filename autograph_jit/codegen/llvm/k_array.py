"""Array ops: views without copies, and the copy/gather kernels of the rest.

View ops (reshape, transpose, slice, strided_slice, broadcast_to, reverse, squeeze, split, ...)
are lowered by *probing the op's own NumPy kernel*: it runs once at compile time on an array
holding each input element's memory offset; when the result is affine in the output index
(offset + sum(i_d * stride_d)) the output is a strided view of the input storage and costs
nothing at run time. That keeps the index semantics in one place (the OpDef's kernel).
When it is not (only reshape can make that: merging dims that a transpose, a reversed or stepped
slice or a broadcast left non-mergeable), the input is copied C-contiguous by the copy kernel
(`emit_copy`, the GPU backend's own when it lowers) and the op probed again, which then always
gives a view: a strided gather loop, reported in explain()/llvm_ir() like every kernel.
concat/stack/tile/pad/fill/one_hot/bias_add/sum_to become strided copies, maps or reductions;
gather checks every index against its bound and raises InvalidArgumentError.
"""
import numpy as np

from .emit import Kernel, View, i64, storage_type
from .k_map import emit_copy, emit_map
from .scalar import ScalarEmitter, cast_value, emit_scalar
from .symdim import SymbolicUnsupported, concrete, is_symbolic
from ... import dtypes
from ...ops.slicing import _expand
from .k_reduce import emit_reduce

VIEW_OPS = {"identity", "stop_gradient", "reshape", "expand_dims", "squeeze", "transpose",
            "reverse", "slice", "strided_slice", "broadcast_to", "broadcast_like", "unstack",
            "split"}
_SHAPE_ARGS = {"broadcast_like"}  # inputs past the first only give a shape


class NotLowerable(Exception):
    """This node has no native lowering in this form; it runs through a host callback."""


def _offsets(view):
    if not view.shape:
        return np.array(view.offset, np.int64)
    grids = np.indices(view.shape, dtype=np.int64) if view.size else None
    if grids is None:
        return np.zeros(view.shape, np.int64)
    return view.offset + sum(g * s for g, s in zip(grids, view.strides))


def _affine(arr):
    """(offset, strides) when arr[i] == offset + sum(i_d * strides_d), else None."""
    arr = np.asarray(arr)
    if arr.size == 0:
        return 0, (0,) * arr.ndim
    base = int(arr.flat[0])
    strides = []
    for d in range(arr.ndim):
        if arr.shape[d] > 1:
            e = [0] * arr.ndim
            e[d] = 1
            strides.append(int(arr[tuple(e)]) - base)
        else:
            strides.append(0)
    expect = np.full(arr.shape, base, np.int64)
    if arr.ndim:
        grids = np.indices(arr.shape, dtype=np.int64)
        expect = base + sum(g * s for g, s in zip(grids, strides))
    if not np.array_equal(expect, arr):
        return None
    return base, tuple(strides)


def _view_layouts(node, x_offsets, args, out_shapes):
    """Run the op's kernel on `x_offsets`: the (offset, strides) of each output when every
    output is a strided view of the input's storage, else None."""
    result = node.op.kernel(x_offsets, *args, **node.attrs)
    results = result if isinstance(result, (tuple, list)) else (result,)
    layouts = []
    for arr, shape in zip(results, out_shapes):
        aff = _affine(arr) if np.shape(arr) == tuple(shape) else None
        if aff is None:
            return None
        layouts.append(aff)
    return layouts


def _dense_copy(lw, node, x, copy):
    """x copied into a fresh C-contiguous buffer (a strided gather loop: the backend's `copy`
    kernel), for a view op whose result is no strided view of x's layout, e.g. the reshape of
    a transpose. Every view op is a strided view of a C-contiguous input."""
    dst = lw.alloc_spec(x.dtype, x.shape)
    if x.size:
        copy(lw, dst, x, annotation=lw.annotate(node, "contiguous copy: no strided view of "
                                                     "its input's layout"))
    return dst


def lower_view(lw, node, copy=emit_copy):
    """A view op: its outputs alias the input's storage through (offset, strides); when the
    input's layout has no such view (a reshape merging transposed or sliced dims), the input
    is first copied C-contiguous with `copy` (the backend's copy kernel) and viewed."""
    x = lw.view(node.data_inputs[0])
    if any(is_symbolic(lw.spec(v).shape) for v in node.data_inputs[:1] + node.data_outputs):
        return _lower_symbolic_view(lw, node, x, copy)
    args = []
    for v in node.data_inputs[1:]:
        spec = lw.spec(v)
        if spec.value is not None:
            args.append(spec.value)
        elif node.op.name in _SHAPE_ARGS:
            args.append(np.empty(spec.shape, spec.dtype.np_dtype))
        elif node.op.name == "strided_slice":
            return lower_dynamic_index(lw, node, x)
        else:
            raise NotLowerable(f"{node.op.name} with run-time bounds")
    shapes = [lw.spec(v).shape for v in node.data_outputs]
    layouts = _view_layouts(node, _offsets(x), args, shapes)
    if layouts is None:
        x = _dense_copy(lw, node, x, copy)
        layouts = _view_layouts(node, _offsets(x), args, shapes)
    if layouts is None:  # (the kernel's result disagrees with the specialized shapes)
        raise NotLowerable(f"{node.op.name} is no strided view even of a C-contiguous copy")
    for v, (offset, strides) in zip(node.data_outputs, layouts):
        lw.bind(v, x.with_layout(lw.spec(v).shape, strides, offset))


_VIEW_PROBES = (2, 3, 5)  # sizes of a symbolic dim the layout of a view is probed at


def _symbolic_layouts(lw, node, x):
    """The outputs' (offset, strides), the same for every size n of the symbolic dim, or None
    when some n gives no strided view or the layout depends on n."""
    layouts = set()
    for n in _VIEW_PROBES:
        xc = x.with_layout(concrete(x.shape, n), x.strides, x.offset)
        args = []
        for v in node.data_inputs[1:]:
            spec = lw.spec(v)
            if node.op.name in _SHAPE_ARGS:
                args.append(np.empty(concrete(spec.shape, n), spec.dtype.np_dtype))
            elif spec.value is None:
                raise SymbolicUnsupported(f"{node.op.name} with run-time arguments")
            else:
                args.append(spec.value)
        got = _view_layouts(node, _offsets(xc), args,
                            [concrete(lw.spec(v).shape, n) for v in node.data_outputs])
        if got is None:
            return None
        layouts.add(tuple(got))
    return layouts.pop() if len(layouts) == 1 else None


def _lower_symbolic_view(lw, node, x, copy):
    """A view op on a value with a symbolic leading dim (symdim.py): probe the op's kernel at
    several sizes n; it is a view for every n when each gives the same offset and strides.
    Otherwise the input is copied C-contiguous (its size scales with n) and probed again.
    A strided_slice index on the symbolic dim is checked against n at run time (the probes all
    have n > it; when the dim's stride is 0, as beside an empty dim, every n gives one layout)."""
    if node.op.name == "strided_slice":
        _check_symbolic_indices(lw, node, x.shape)
    layouts = _symbolic_layouts(lw, node, x)
    if layouts is None:
        x = _dense_copy(lw, node, x, copy)
        layouts = _symbolic_layouts(lw, node, x)
    if layouts is None:
        raise SymbolicUnsupported(f"{node.op.name}'s layout depends on the batch size even on "
                                  f"a C-contiguous copy of its input")
    for v, (offset, strides) in zip(node.data_outputs, layouts):
        lw.bind(v, x.with_layout(lw.spec(v).shape, strides, offset))


def _check_symbolic_indices(lw, node, dims):
    """In the entry: each static index of `node` (a strided_slice) on a symbolic dim lies in
    -n..n-1, with eager's error otherwise."""
    d = 0
    for it in _expand(node.attrs["spec"], len(dims), "strided_slice"):
        if it[0] == "new":
            continue
        if it[0] == "index" and isinstance(it[1], (int, np.integer)) and is_symbolic((dims[d],)):
            b, i = lw.b, int(it[1])
            n = lw.dim(dims[d])
            low = b.neg(n)
            bad = b.or_(b.icmp_signed("<", i64(i), low), b.icmp_signed(">=", i64(i), n))
            code = lw.errors.code(
                f"slice index {i} of dimension {d} out of bounds. [Op:strided_slice] Fix: "
                "valid indices for a dimension of size {1} are {2}..{3}.", lw.where(node))
            lw.fail_if(bad, code, [n, low, b.sub(n, i64(1))])
        d += 1


def lower_runtime_shape(lw, node):
    """tf.shape / tf.size of a value with a symbolic dim (symdim.py): computed from n at run
    time, in the entry function."""
    out = lw.alloc_for(node.outputs[0])
    dims = lw.spec(node.data_inputs[0]).shape
    if node.op.name == "size":
        total = 1
        for d in dims:
            total = total * d
        dims = [total]
    b = lw.b
    ty = storage_type(out.dtype)
    base = b.bitcast(out.ptr, ty.as_pointer())
    for i, d in enumerate(dims):
        value = lw.dim(d)
        if ty != value.type:
            value = b.trunc(value, ty)
        b.store(value, b.gep(base, [i64(out.offset + i)], source_etype=ty))
    lw.bind(node.outputs[0], out)


def lower_dynamic_index(lw, node, x):
    """x[..., i, ...] with run-time scalar indices i (AutoGraph's `for row in tensor`): the
    static part of the spec is probed as for views (with every run-time index 0); each index is
    bounds-checked and adds i * stride to the offset of a strided copy."""
    spec = node.attrs["spec"]
    dims = lw.spec(node.data_inputs[0]).shape
    dyn_dims = {}
    d_i = 0
    for it in _expand(spec, len(dims), "strided_slice"):
        if it[0] == "new":
            continue
        fields = it[1:]
        if it[0] == "index" and isinstance(fields[0], tuple):
            dyn_dims[fields[0][1]] = d_i
        elif any(isinstance(f, tuple) for f in fields):
            raise NotLowerable("strided_slice with run-time slice bounds")
        d_i += 1
    dyn = node.data_inputs[1:]
    if set(dyn_dims) != set(range(len(dyn))):
        raise NotLowerable("strided_slice with run-time bounds")
    out = lw.alloc_for(node.outputs[0])
    # indexing an empty dimension always fails its bounds check (a loop over an empty tensor
    # never reaches it); there is no element to probe the layout with
    empty = any(dims[d] == 0 for d in dyn_dims.values())
    if empty:
        base, strides = 0, (0,) * len(out.shape)
    else:
        zeros = [np.zeros((), lw.spec(v).dtype.np_dtype) for v in dyn]
        shapes = [lw.spec(node.outputs[0]).shape]
        layouts = _view_layouts(node, _offsets(x), zeros, shapes)
        if layouts is None:  # (basic indexing of a strided layout always is one)
            x = _dense_copy(lw, node, x, emit_copy)
            layouts = _view_layouts(node, _offsets(x), zeros, shapes)
        if layouts is None:
            raise NotLowerable("strided_slice is no strided view even of a C-contiguous copy")
        base, strides = layouts[0]
    idx_views = [lw.view(v) for v in dyn]
    k = Kernel(lw.module, lw.fresh_name("index"), 2 + len(dyn), lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b
    extra = i64(0)
    for j, v in enumerate(idx_views):
        d = dyn_dims[j]
        n = dims[d]
        code = lw.errors.code(
            f"slice index {{1}} of dimension {d} out of bounds. [Op:strided_slice] Fix: valid "
            f"indices for a dimension of size {n} are {-n}..{n - 1}.", lw.where(node))
        i = cast_value(s, k.load(k.ptrs[2 + j], v.dtype, i64(0)), v.dtype, dtypes.int64)
        k.fail(b.or_(b.icmp_signed("<", i, i64(-n)), b.icmp_signed(">=", i, i64(n))), code, [i])
        i = b.select(b.icmp_signed("<", i, i64(0)), b.add(i, i64(n)), i)
        extra = b.add(extra, b.mul(i, i64(x.strides[d])))
    # the kernel's x pointer is x's storage at offset `base` (the view's offsets are absolute)
    src = x.with_layout(out.shape, strides, 0)

    def body(idx):
        lin = b.add(extra, k.linear(0, src.strides, idx))
        k.store(k.load(k.ptrs[1], x.dtype, lin), k.ptrs[0], out.dtype,
                k.linear(0, out.strides, idx))
    if out.size and not empty:
        k.loops.nest(out.shape, body)
    lw.call_kernel(k, [out, x.with_layout(x.shape, x.strides, base)] + idx_views)
    lw.bind(node.outputs[0], out)


def _sub(view, shape, offset_delta, strides=None):
    return view.with_layout(shape, view.strides if strides is None else strides,
                            view.offset + offset_delta)


def lower_concat(lw, node):
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % max(len(out.shape), 1)
    start = 0
    for v in node.data_inputs:
        x = lw.view(v)
        if x.size:
            emit_copy(lw, _sub(out, x.shape, start * out.strides[axis]), x)
        start += x.shape[axis]
    lw.bind(node.outputs[0], out)


def lower_stack(lw, node):
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    strides = out.strides[:axis] + out.strides[axis + 1:]
    for k, v in enumerate(node.data_inputs):
        x = lw.view(v)
        if x.size:
            emit_copy(lw, _sub(out, x.shape, k * out.strides[axis], strides), x)
    lw.bind(node.outputs[0], out)


def lower_tile(lw, node):
    x = lw.view(node.data_inputs[0])
    out = lw.alloc_for(node.outputs[0])
    if len(x.shape) == 0 or out.size == 0:
        emit_copy(lw, out, x) if out.size else None
        lw.bind(node.outputs[0], out)
        return
    m = [o // d if d else 0 for o, d in zip(out.shape, x.shape)]
    # out viewed as [m0, d0, m1, d1, ...] is still contiguous; x repeats with stride 0
    dst_shape, src_strides = [], []
    for k, d in enumerate(x.shape):
        dst_shape += [m[k], d]
        src_strides += [0, x.strides[k]]
    dst = View(out.ptr, out.dtype, dst_shape, None, out.offset, out.root)
    src = x.with_layout(dst_shape, src_strides, x.offset)
    emit_copy(lw, dst, src)
    lw.bind(node.outputs[0], out)


def lower_pad(lw, node):
    if node.attrs["mode"] != "CONSTANT":
        raise NotLowerable("pad mode " + node.attrs["mode"])
    x_v, p_v, c_v = node.data_inputs
    pads = lw.spec(p_v).value
    if pads is None:
        raise NotLowerable("pad with run-time paddings")
    x, c = lw.view(x_v), lw.view(c_v)
    out = lw.alloc_for(node.outputs[0])
    emit_copy(lw, out, c)
    pads = np.asarray(pads).reshape(len(x.shape), 2)
    off = sum(int(lo) * s for (lo, _), s in zip(pads.tolist(), out.strides))
    if x.size:
        emit_copy(lw, _sub(out, x.shape, off), x)
    lw.bind(node.outputs[0], out)


def lower_fill(lw, node):
    out = lw.alloc_for(node.outputs[0])
    emit_copy(lw, out, lw.view(node.data_inputs[1]))
    lw.bind(node.outputs[0], out)


def _const_fill(value):
    def lower(lw, node):
        out = lw.alloc_for(node.outputs[0])
        dt = out.dtype
        emit_map(lw, node.op.name, [out], [], lambda s, vals: [s.const(dt, value)],
                 lw.annotate(node))
        lw.bind(node.outputs[0], out)
    return lower


def lower_bias_add(lw, node):
    x, bias = (lw.view(v) for v in node.data_inputs)
    out = lw.alloc_for(node.outputs[0])
    ch = node.attrs["channel_axis"] % len(x.shape)
    strides = [0] * len(x.shape)
    strides[ch] = bias.strides[0]
    bview = bias.with_layout(x.shape, strides, bias.offset)
    dt = x.dtype
    emit_map(lw, "bias_add", [out], [x, bview],
             lambda s, vals: [emit_scalar(s, "add", [dt, dt], dt, vals, {})], lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_sum_to(lw, node):
    g = lw.view(node.data_inputs[0])
    g_spec = lw.spec(node.data_inputs[0])
    like = lw.spec(node.data_inputs[1]).shape
    lead = len(g.shape) - len(like)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(like)
                                      if d == 1 and g.shape[i + lead] != 1)
    out = lw.alloc_for(node.outputs[0])
    emit_reduce(lw, node, "reduce_sum", g_spec, axes, out, [g], lambda s, vals: vals[0],
                lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_one_hot(lw, node):
    idx_v, _, on_v, off_v = node.data_inputs
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"]
    r = len(lw.spec(idx_v).shape)
    a = r if axis == -1 else axis
    depth = out.shape[a]
    idx = lw.view(idx_v)
    idx_strides = list(idx.strides)
    idx_strides.insert(a, 0)
    idx_b = idx.with_layout(out.shape, idx_strides, idx.offset)
    iota = lw.constant_view(np.arange(depth, dtype=np.int64))
    iota_strides = [0] * len(out.shape)
    iota_strides[a] = 1
    iota_b = iota.with_layout(out.shape, iota_strides, 0)
    on, off = lw.view(on_v), lw.view(off_v)
    idt = idx.dtype

    def compute(s, vals):
        i, j, on_x, off_x = vals
        hit = s.b.icmp_signed("==", cast_value(s, i, idt, dtypes.int64), j)
        return [s.b.select(hit, on_x, off_x)]
    emit_map(lw, "one_hot", [out], [idx_b, iota_b, on, off], compute, lw.annotate(node))
    lw.bind(node.outputs[0], out)


def lower_gather(lw, node):
    if node.attrs["batch_dims"]:
        raise NotLowerable("gather with batch_dims")
    p_v, i_v = node.data_inputs
    p, idx = lw.view(p_v), lw.view(i_v)
    out = lw.alloc_for(node.outputs[0])
    axis = node.attrs["axis"] % len(p.shape)
    n = p.shape[axis]
    ir_ = len(idx.shape)
    message = (f"indices[{{1}}] = {{2}} is not in [0, {n}) [Op:gather]")
    code = lw.errors.code(message, lw.where(node))
    k = Kernel(lw.module, lw.fresh_name("gather"), 3, lw.annotate(node))
    s = ScalarEmitter(k, lw.errors, lw.where(node))
    b = k.b

    def body(oidx):
        pre_i, j_i, post_i = oidx[:axis], oidx[axis:axis + ir_], oidx[axis + ir_:]
        lin_i = k.linear(0, idx.strides, j_i)
        raw = k.load(k.ptrs[2], idx.dtype, lin_i)
        j = cast_value(s, raw, idx.dtype, dtypes.int64)
        bad = b.icmp_unsigned(">=", j, i64(n))  # negative is huge unsigned
        k.fail(bad, code, [lin_i, j])
        lin_p = b.add(k.linear(0, p.strides[:axis], pre_i),
                      b.add(b.mul(j, i64(p.strides[axis])),
                            k.linear(0, p.strides[axis + 1:], post_i)))
        k.store(k.load(k.ptrs[1], p.dtype, lin_p), k.ptrs[0], out.dtype,
                k.linear(0, out.strides, oidx))
    if out.size:
        k.loops.nest(out.shape, body)
    elif idx.size:  # nothing to gather but indices still need checking
        def check(jidx):
            j = cast_value(s, k.load(k.ptrs[2], idx.dtype, k.linear(0, idx.strides, jidx)),
                           idx.dtype, dtypes.int64)
            k.fail(b.icmp_unsigned(">=", j, i64(n)), code, [k.linear(0, idx.strides, jidx), j])
        k.loops.nest(idx.shape, check)
    lw.call_kernel(k, [out, p, idx])
    lw.bind(node.outputs[0], out)


LOWERINGS = {
    "concat": lower_concat,
    "stack": lower_stack,
    "tile": lower_tile,
    "pad": lower_pad,
    "fill": lower_fill,
    "zeros_like": _const_fill(0),
    "ones_like": _const_fill(1),
    "bias_add": lower_bias_add,
    "sum_to": lower_sum_to,
    "one_hot": lower_one_hot,
    "gather": lower_gather,
}
LOWERINGS.update({name: lower_view for name in VIEW_OPS})

__all__ = ["LOWERINGS", "NotLowerable", "VIEW_OPS"]
