"""`tf.einsum`: the Einstein-summation OpDef, its equation parser, and its gradient.

An equation is normalized once (ellipses expanded to explicit letters, the implicit output made
explicit), so the type rule, the NumPy kernel and the VJP all read the same explicit form. The
gradient of operand i is another einsum: the upstream gradient and the other operands contracted
to operand i's letters; letters that only operand i had (summed away in the forward) come back by
broadcasting. Ranks must be known when the op is built (TF requires it too).
"""
import string

import numpy as np

from ..errors import InvalidArgumentError
from ..ir.types import TensorType
from ..tensor_shape import TensorShape
from . import type_rules as tr
from ._args import match_dtypes, to_tensor
from .opdef import apply, defop
from ..tracing import context
from .array_ops import expand_dims, reshape, shape, transpose
from .math_ops import matmul, reduce_sum, unbroadcast
from .tiling import broadcast_to

_SPARE = string.ascii_uppercase  # letters for ellipsis dimensions (users write lower case)


def _fail(msg):
    raise InvalidArgumentError(f"einsum: {msg} [Op:Einsum]", "einsum")


def normalize(equation, ranks):
    """('ij,jk', [2, 2]) -> (['ij', 'jk'], 'ik'): explicit output, ellipses spelled out."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    ins = lhs.split(",")
    if len(ins) != len(ranks):
        _fail(f"the equation {equation!r} names {len(ins)} operand(s) but {len(ranks)} were given")
    used = set(eq) - set(".,->")
    spare = [c for c in _SPARE if c not in used]
    n_ell = 0
    for sub, rank in zip(ins, ranks):
        if "..." in sub:
            n_ell = max(n_ell, rank - (len(sub) - 3))
    ell = "".join(spare[:n_ell])
    norm_ins = []
    for sub, rank in zip(ins, ranks):
        if "..." in sub:
            k = rank - (len(sub) - 3)
            if k < 0:
                _fail(f"operand subscripts {sub!r} have more letters than the operand's rank {rank}")
            sub = sub.replace("...", ell[n_ell - k:])
        if not all(c.isalpha() for c in sub):
            _fail(f"invalid subscript characters in {equation!r}; use letters, ',' '->' and '...'")
        if len(sub) != rank:
            _fail(f"operand subscripts {sub!r} do not match the operand's rank {rank}")
        norm_ins.append(sub)
    if explicit:
        out = out.replace("...", ell)
    else:
        counts = {}
        for sub in norm_ins:
            for c in sub:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    letters = set("".join(norm_ins))
    for c in out:
        if c not in letters:
            _fail(f"output subscript {c!r} appears in no input of {equation!r}")
    if len(set(out)) != len(out):
        _fail(f"output subscripts of {equation!r} repeat a letter")
    return norm_ins, out


def _einsum_infer(in_types, equation):
    dt = tr.same_dtype("einsum", in_types)
    tr.check_dtype("einsum", in_types[0], tr.NUMERIC)
    if any(t.shape.rank is None for t in in_types):
        return TensorType(dt, TensorShape(None))
    ins, out = normalize(equation, [t.shape.rank for t in in_types])
    size = {}
    for sub, t in zip(ins, in_types):
        for c, d in zip(sub, t.shape.as_list()):
            prev = size.get(c)
            if d is None or d == 1 and prev is not None:
                size.setdefault(c, None)
                continue
            if prev is not None and prev != 1 and prev != d:
                _fail(f"dimension {c!r} has size {prev} in one operand and {d} in another "
                      f"({equation!r})")
            size[c] = d
    return TensorType(dt, TensorShape([size.get(c) for c in out]))


def _einsum_kernel(*arrays, equation):
    ins, out = normalize(equation, [a.ndim for a in arrays])
    res = np.einsum(",".join(ins) + "->" + out, *arrays, optimize=len(arrays) > 2)
    return np.asarray(res, dtype=arrays[0].dtype)


def _einsum_vjp(c, g):
    ins, out = normalize(c.attrs["equation"], [x.shape.rank for x in c.inputs])
    grads = []
    for i, (sub, x) in enumerate(zip(ins, c.inputs)):
        if len(set(sub)) != len(sub):
            _fail(f"the gradient of an operand with a repeated subscript ({sub!r}, a diagonal) "
                  "is not supported; take the diagonal with tf.linalg.diag_part first")
        others = [(s, t) for j, (s, t) in enumerate(zip(ins, c.inputs)) if j != i]
        present = set(out).union(*[set(s) for s, _ in others])
        kept = "".join(ch for ch in sub if ch in present)
        eq = ",".join([out] + [s for s, _ in others]) + "->" + kept
        gi = apply(_einsum, g, *[t for _, t in others], equation=eq)
        if kept != sub:  # letters only this operand had were summed: broadcast back
            for k, ch in enumerate(sub):
                if ch not in kept:
                    gi = expand_dims(gi, k)
            gi = broadcast_to(gi, shape(x))
        grads.append(unbroadcast(gi, x))
    return tuple(grads)


_einsum = defop("einsum", _einsum_infer, _einsum_kernel, vjp=_einsum_vjp,
                doc="Einstein summation over operands.")


def einsum(equation, *inputs, **kwargs):
    """Tensor contraction over specified indices and outer product.

    Args:
      equation: a string like `'ij,jk->ik'` (matmul), `'bij,bjk->bik'`, `'ii'` (trace),
        `'...ij->...ji'`; without `->` the output holds the letters used once, sorted.
      *inputs: the operands (all of one dtype).

    >>> tf.einsum('ij,jk->ik', tf.ones([2, 3]), tf.ones([3, 4])).shape
    TensorShape([2, 4])
    """
    unknown = set(kwargs) - {"name", "optimize"}
    if unknown:
        raise TypeError(f"einsum() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    tensors = [to_tensor(x) for x in inputs]
    if len(tensors) > 1:
        tensors = list(match_dtypes(*tensors))
    if context.current_builder() is not None and all(t.shape.is_fully_defined() for t in tensors):
        ins, out = normalize(equation, [t.shape.rank for t in tensors])
        _einsum_infer([t.type for t in tensors], equation)  # the op's checks and errors
        lowered = _as_native_ops(ins, out, tensors)
        if lowered is not None:
            return lowered
    return apply(_einsum, *tensors, equation=equation)


def _sum_own_letters(sub, x, keep):
    """Sum away the letters of `sub` that no other operand and not the output use."""
    axes = [k for k, ch in enumerate(sub) if ch not in keep]
    if not axes:
        return sub, x
    return "".join(ch for ch in sub if ch in keep), reduce_sum(x, axis=axes)


def _as_native_ops(ins, out, xs):
    """While tracing: one or two operands, no repeated letter, equal sizes for shared letters ->
    reduce_sum / transpose / reshape / matmul, which the CPU backend compiles natively (and
    whose gradients are the usual ones). None when the equation needs the general op."""
    if len(xs) > 2 or any(len(set(s)) != len(s) for s in ins):
        return None
    sizes = {}
    for sub, x in zip(ins, xs):
        for ch, d in zip(sub, x.shape.as_list()):
            if sizes.setdefault(ch, d) != d:
                return None  # a size-1 broadcast: leave it to the op
    if len(xs) == 1:
        sub, x = _sum_own_letters(ins[0], xs[0], set(out))
        perm = [sub.index(ch) for ch in out]
        return x if perm == list(range(len(perm))) else transpose(x, perm)
    (sa, a), (sb, b) = _sum_own_letters(ins[0], xs[0], set(out) | set(ins[1])), \
        _sum_own_letters(ins[1], xs[1], set(out) | set(ins[0]))
    batch = [ch for ch in out if ch in sa and ch in sb]
    free_a = [ch for ch in sa if ch in out and ch not in sb]
    free_b = [ch for ch in sb if ch in out and ch not in sa]
    contract = [ch for ch in sa if ch in sb and ch not in out]

    def prod(letters):
        n = 1
        for ch in letters:
            n *= sizes[ch]
        return n

    a2 = reshape(transpose(a, [sa.index(ch) for ch in batch + free_a + contract]),
                 [sizes[ch] for ch in batch] + [prod(free_a), prod(contract)])
    b2 = reshape(transpose(b, [sb.index(ch) for ch in batch + contract + free_b]),
                 [sizes[ch] for ch in batch] + [prod(contract), prod(free_b)])
    c = reshape(matmul(a2, b2), [sizes[ch] for ch in batch + free_a + free_b])
    order = batch + free_a + free_b
    perm = [order.index(ch) for ch in out]
    return c if perm == list(range(len(perm))) else transpose(c, perm)
