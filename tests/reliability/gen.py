"""Seeded random-program generator for the differential reliability harness.

`generate(seed)` returns a `Program`: the Python source of a function `prog(...)` (elementwise,
reduction, shape and index ops; tf.cond / tf.while_loop / AutoGraph if-while-for; TensorArrays;
variables; GradientTape inside or around the function) plus its input arrays, all derived from
the seed alone, so `python -m tests.reliability.fuzz --seed N` re-creates the same program.
The generator tracks every value's dtype and static shape so that nearly all programs are valid;
inputs carry special values (NaN, +-inf, -0.0, integer min/max) and shapes include zero-size dims.
"""
import random
import re
from dataclasses import dataclass, field

import numpy as np

FLOATS = ("float16", "float32", "float64")
SINTS = ("int8", "int16", "int32", "int64")
INTS = SINTS + ("uint8",)
DTYPES = FLOATS + INTS + ("bool",)
SHAPES = [(), (3,), (4,), (2, 3), (3, 1), (1, 3), (3, 3), (0,), (2, 0), (2, 2, 3)]

# unary ops by dtype family: (template, differentiable)
F_UNARY = ["tf.negative({x})", "tf.abs({x})", "tf.square({x})", "tf.sqrt({x})", "tf.exp({x})",
           "tf.math.log({x})", "tf.math.log1p({x})", "tf.math.expm1({x})", "tf.sin({x})",
           "tf.cos({x})", "tf.tanh({x})", "tf.sigmoid({x})", "tf.floor({x})", "tf.math.ceil({x})",
           "tf.round({x})", "tf.sign({x})", "tf.math.rsqrt({x})", "tf.math.reciprocal({x})",
           "tf.nn.relu({x})", "tf.nn.softplus({x})", "tf.nn.elu({x})", "tf.nn.relu6({x})",
           "tf.nn.leaky_relu({x})", "tf.nn.softsign({x})", "tf.math.erf({x})", "-{x}",
           "tf.nn.silu({x})", "tf.stop_gradient({x})", "tf.identity({x})"]
GRAD_UNARY = ["tf.negative({x})", "tf.abs({x})", "tf.square({x})", "tf.sqrt({x})",
              "tf.exp({x})", "tf.math.log({x})", "tf.math.log1p({x})", "tf.sin({x})",
              "tf.cos({x})", "tf.tanh({x})", "tf.sigmoid({x})", "tf.nn.relu({x})",
              "tf.nn.softplus({x})", "tf.nn.elu({x})", "tf.math.reciprocal({x})", "-{x}",
              "tf.stop_gradient({x})", "tf.identity({x})", "tf.nn.softsign({x})"]
I_UNARY = ["tf.negative({x})", "tf.abs({x})", "tf.square({x})", "tf.sign({x})", "-{x}",
           "tf.identity({x})"]
U_UNARY = ["tf.square({x})", "tf.identity({x})"]
B_UNARY = ["tf.logical_not({x})", "tf.identity({x})"]

NUM_BINARY = ["tf.add({x}, {y})", "tf.subtract({x}, {y})", "tf.multiply({x}, {y})",
              "tf.maximum({x}, {y})", "tf.minimum({x}, {y})", "({x} + {y})", "({x} - {y})",
              "({x} * {y})", "tf.math.squared_difference({x}, {y})"]
F_BINARY = NUM_BINARY + ["tf.divide({x}, {y})", "({x} / {y})", "tf.pow({x}, {y})",
                         "tf.math.floordiv({x}, {y})", "tf.math.floormod({x}, {y})",
                         "tf.math.divide_no_nan({x}, {y})"]
GRAD_BINARY = ["tf.add({x}, {y})", "tf.subtract({x}, {y})", "tf.multiply({x}, {y})",
               "tf.maximum({x}, {y})", "tf.minimum({x}, {y})", "({x} / {y})",
               "tf.pow({x}, {y})", "tf.math.squared_difference({x}, {y})"]
I_BINARY = NUM_BINARY + ["({x} // {y})", "({x} % {y})", "tf.math.floordiv({x}, {y})",
                         "tf.math.floormod({x}, {y})"]
B_BINARY = ["tf.logical_and({x}, {y})", "tf.logical_or({x}, {y})", "tf.logical_xor({x}, {y})",
            "tf.equal({x}, {y})", "tf.not_equal({x}, {y})"]
COMPARE = ["tf.less({x}, {y})", "tf.greater_equal({x}, {y})", "tf.equal({x}, {y})",
           "({x} > {y})", "({x} <= {y})", "tf.not_equal({x}, {y})"]

REDUCE = {"num": ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"],
          "float": ["reduce_mean", "reduce_logsumexp", "reduce_variance", "reduce_std"],
          "int": ["reduce_mean"], "bool": ["reduce_any", "reduce_all"]}
GRAD_REDUCE = ["reduce_sum", "reduce_max", "reduce_min", "reduce_mean", "reduce_prod",
               "reduce_logsumexp"]


@dataclass
class Val:
    """A value of the generated program: its Python name, dtype name and static shape."""
    name: str
    dtype: str
    shape: tuple


@dataclass
class Program:
    """One generated program: source text, input arrays (two value sets of one type), how to
    call it, and which features it uses."""
    seed: int
    source: str
    inputs: list
    inputs2: list
    signature: object = None     # list of (shape with None dims, dtype) or None
    grad_outside: bool = False   # run under a tape around the call; differentiate wrt inputs
    variables: list = field(default_factory=list)
    features: set = field(default_factory=set)
    # every dtype a value of the program has (inputs, variables, each defined value): a float
    # result may carry the rounding of any float dtype it was computed in before a cast
    dtypes: frozenset = frozenset()


def family(dtype):
    if dtype in FLOATS:
        return "float"
    if dtype == "bool":
        return "bool"
    return "uint" if dtype == "uint8" else "int"


def values(rng, dtype, shape, special):
    """Random array of `dtype`/`shape`; with `special`, some entries are NaN/inf/-0.0/extremes."""
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "bool":
        return rng.random(n).reshape(shape) < 0.5
    if dtype in FLOATS:
        a = np.round(rng.uniform(-3, 3, n), 2)
        if special and n:
            pool = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-30, 60000.0, -1.0, 1.0, 0.5]
            k = rng.integers(1, max(2, n // 2 + 1))
            a[rng.integers(0, n, k)] = rng.choice(pool, k)
        return a.astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    lo, hi = (0, 12) if dtype == "uint8" else (-6, 7)
    a = rng.integers(lo, hi, n).astype(dtype)
    if special and n:
        pool = np.array([info.min, info.max, 0, -1 if info.min < 0 else 1, info.min + 1],
                        dtype=dtype)
        k = rng.integers(1, max(2, n // 2 + 1))
        a[rng.integers(0, n, k)] = rng.choice(pool, k)
    return a.reshape(shape)


def literal(r, dtype, positive=False):
    fam = family(dtype)
    if fam == "float":
        return repr(r.choice([0.5, 2.0, 1.5, 3.0] if positive else [0.5, -1.0, 2.0, 0.0, -2.5]))
    if fam == "bool":
        return f"tf.constant({r.choice([True, False])})"
    if fam == "uint" or positive:
        return str(r.choice([1, 2, 3, 7]))
    return str(r.choice([1, 2, -3, 0, 5]))


def _bshape(a, b):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


class Gen:
    """Builds one program's body line by line; `pool` holds the values in scope."""

    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed)
        self.lines = []
        self.pool = []
        self.count = 0
        self.indent = 1
        self.grad = False
        self.features = set()
        self.dtypes = set()        # of every value defined (see Program.dtypes)

    # -- helpers -------------------------------------------------------------------------
    def emit(self, text):
        self.lines.append("    " * self.indent + text)

    def fresh(self, prefix="v"):
        self.count += 1
        return f"{prefix}{self.count}"

    def define(self, expr, dtype, shape):
        v = Val(self.fresh(), dtype, tuple(shape))
        self.dtypes.add(dtype)
        self.emit(f"{v.name} = {expr}")
        self.pool.append(v)
        return v

    def pick(self, pred=lambda v: True, pool=None):
        cands = [v for v in (self.pool if pool is None else pool) if pred(v)]
        return self.r.choice(cands) if cands else None

    def unary_ops(self, dtype):
        if self.grad:
            return GRAD_UNARY
        return {"float": F_UNARY, "int": I_UNARY, "uint": U_UNARY, "bool": B_UNARY}[family(dtype)]

    def binary_ops(self, dtype):
        if self.grad:
            return GRAD_BINARY
        return {"float": F_BINARY, "int": I_BINARY, "uint": I_BINARY,
                "bool": B_BINARY}[family(dtype)]

    # -- same-type expressions (branches and loop bodies) ---------------------------------
    def expr_like(self, v, pool, depth=2):
        """An expression of exactly v's dtype and shape built from v and `pool`."""
        r = self.r
        if depth <= 0 or r.random() < 0.25:
            return v.name
        inner = self.expr_like(v, pool, depth - 1)
        choice = r.random()
        if choice < 0.35:
            return r.choice(self.unary_ops(v.dtype)).format(x=inner)
        if choice < 0.8:
            other = self.pick(lambda o: o.dtype == v.dtype and _bshape(o.shape, v.shape) == v.shape,
                              pool)
            op = r.choice(self.binary_ops(v.dtype))
            if other is not None and r.random() < 0.7:
                x, y = (inner, other.name) if r.random() < 0.6 else (other.name, inner)
            else:  # a Python literal goes second to a tf.* call (it takes the tensor's dtype)
                lit = literal(r, v.dtype)
                x, y = (lit, inner) if op.startswith("(") and r.random() < 0.4 else (inner, lit)
            return op.format(x=x, y=y)
        if v.dtype != "bool":
            cmp = r.choice(COMPARE).format(x=inner, y=literal(r, v.dtype))
            return f"tf.where({cmp}, {inner}, {v.name})"
        return inner

    def predicate(self, pool):
        """A scalar bool expression over a value in `pool`, computed exactly (no float sums:
        a summation order difference must not flip a branch)."""
        v = self.pick(lambda o: True, pool)
        if v.dtype == "bool":
            return f"tf.reduce_any({v.name})"
        red = self.r.choice(["reduce_any", "reduce_all"])
        return f"tf.{red}({v.name} > {literal(self.r, v.dtype)})"

    # -- steps ----------------------------------------------------------------------------
    def step(self):
        r = self.r
        kinds = ["unary", "binary", "binary", "reduce", "shape", "index", "cast", "where",
                 "matmul", "cumsum", "concat", "cond", "while", "ag_if", "ag_while", "ag_for",
                 "tensor_array", "ag_for_rows", "softmax"]
        if self.grad:
            kinds = [k for k in kinds if k not in ("cast", "cumsum", "softmax")] + ["unary"]
        for _ in range(20):
            kind = r.choice(kinds)
            out = getattr(self, "s_" + kind)()
            if out is not None:
                self.features.add(kind)
                return out
        return None

    def s_unary(self):
        v = self.pick()
        return self.define(self.r.choice(self.unary_ops(v.dtype)).format(x=v.name), v.dtype,
                           v.shape)

    def s_binary(self):
        x = self.pick()
        y = self.pick(lambda o: o.dtype == x.dtype and _bshape(o.shape, x.shape) is not None)
        if self.r.random() < 0.2:
            y = Val(literal(self.r, x.dtype), x.dtype, ())
        op = self.r.choice(self.binary_ops(x.dtype) + ([] if x.dtype == "bool" or self.grad
                                                        else COMPARE))
        is_cmp = op in COMPARE or op in B_BINARY
        out = "bool" if is_cmp else x.dtype
        if y.name.startswith("tf.constant") and op.startswith("("):
            op = "tf.add({x}, {y})" if x.dtype != "bool" else "tf.logical_or({x}, {y})"
            out = x.dtype
        return self.define(op.format(x=x.name, y=y.name), out, _bshape(x.shape, y.shape))

    def s_reduce(self):
        v = self.pick()
        fam = family(v.dtype)
        if self.grad:
            ops = GRAD_REDUCE
        else:
            ops = (REDUCE["bool"] if fam == "bool" else
                   REDUCE["num"] + (REDUCE["float"] if fam == "float" else REDUCE["int"]))
        op = self.r.choice(ops)
        rank = len(v.shape)
        keep = self.r.random() < 0.4
        if rank == 0 or self.r.random() < 0.3:
            axis, shape = None, ((1,) * rank if keep else ())
        elif self.r.random() < 0.3 and rank >= 2:
            axes = sorted(self.r.sample(range(rank), 2))
            axis = axes
            shape = tuple(1 if i in axes else d for i, d in enumerate(v.shape)) if keep else \
                tuple(d for i, d in enumerate(v.shape) if i not in axes)
        else:
            ax = self.r.randrange(rank)
            axis = ax - rank if self.r.random() < 0.3 else ax
            shape = tuple(1 if i == ax else d for i, d in enumerate(v.shape)) if keep else \
                tuple(d for i, d in enumerate(v.shape) if i != ax)
        if not self.grad and fam != "bool" and self.r.random() < 0.15 and rank >= 1:
            ax = self.r.randrange(rank)
            if v.shape[ax] == 0:
                return None
            fn = self.r.choice(["argmax", "argmin"])
            return self.define(f"tf.{fn}({v.name}, axis={ax})", "int64",
                               tuple(d for i, d in enumerate(v.shape) if i != ax))
        return self.define(f"tf.{op}({v.name}, axis={axis!r}, keepdims={keep})", v.dtype, shape)

    def s_cumsum(self):
        v = self.pick(lambda o: o.shape and o.dtype not in ("bool",))
        if v is None:
            return None
        ax = self.r.randrange(len(v.shape))
        ex, rev = self.r.random() < 0.3, self.r.random() < 0.3
        return self.define(f"tf.cumsum({v.name}, axis={ax}, exclusive={ex}, reverse={rev})",
                           v.dtype, v.shape)

    def s_softmax(self):
        v = self.pick(lambda o: o.dtype in FLOATS and o.shape and 0 not in o.shape)
        if v is None:
            return None
        fn = self.r.choice(["tf.nn.softmax", "tf.nn.log_softmax"])
        return self.define(f"{fn}({v.name})", v.dtype, v.shape)

    def s_cast(self):
        v = self.pick()
        to = self.r.choice(DTYPES)
        src = v.name
        if v.dtype in FLOATS and to not in FLOATS and to != "bool":
            # float -> int is undefined for NaN/out-of-range in C and in TF: keep values in range
            src = (f"tf.clip_by_value(tf.where(tf.math.is_nan({src}), tf.zeros_like({src}), "
                   f"{src}), -100.0, 100.0)")
        return self.define(f"tf.cast({src}, tf.{to})", to, v.shape)

    def s_where(self):
        c = self.pick(lambda o: o.dtype == "bool")
        x = self.pick(lambda o: o.dtype != "bool" or not self.grad)
        if c is None or x is None:
            return None
        y = self.pick(lambda o: o.dtype == x.dtype)
        shape = _bshape(c.shape, x.shape)
        shape = shape and _bshape(shape, y.shape)
        if shape is None:
            return None
        return self.define(f"tf.where({c.name}, {x.name}, {y.name})", x.dtype, shape)

    def s_matmul(self):
        ok = ("float32", "float64", "int32", "int64") if not self.grad else FLOATS
        a = self.pick(lambda o: len(o.shape) == 2 and o.dtype in ok)
        if a is None:
            return None
        b = self.pick(lambda o: len(o.shape) == 2 and o.dtype == a.dtype)
        ta, tb = self.r.random() < 0.3, self.r.random() < 0.3
        m, k = a.shape[::-1] if ta else a.shape
        k2, n = b.shape[::-1] if tb else b.shape
        if k != k2:
            return None
        return self.define(f"tf.matmul({a.name}, {b.name}, transpose_a={ta}, transpose_b={tb})",
                           a.dtype, (m, n))

    def s_concat(self):
        a = self.pick(lambda o: o.shape)
        if a is None:
            return None
        ax = self.r.randrange(len(a.shape))
        b = self.pick(lambda o: o.dtype == a.dtype and len(o.shape) == len(a.shape) and all(
            d == e for i, (d, e) in enumerate(zip(o.shape, a.shape)) if i != ax))
        if self.r.random() < 0.3 and b.shape == a.shape:
            return self.define(f"tf.stack([{a.name}, {b.name}], axis={ax})", a.dtype,
                               a.shape[:ax] + (2,) + a.shape[ax:])
        shape = tuple(d + b.shape[i] if i == ax else d for i, d in enumerate(a.shape))
        return self.define(f"tf.concat([{a.name}, {b.name}], axis={ax})", a.dtype, shape)

    def s_shape(self):
        v = self.pick()
        r, s = self.r, v.shape
        choice = r.randrange(8)
        if choice == 0:
            return self.define(f"tf.reshape({v.name}, [-1])", v.dtype,
                               (int(np.prod(s, dtype=np.int64)),))
        if choice == 1 and len(s) >= 2:
            perm = list(range(len(s)))
            r.shuffle(perm)
            return self.define(f"tf.transpose({v.name}, perm={perm})", v.dtype,
                               tuple(s[p] for p in perm))
        if choice == 2:
            ax = r.randrange(len(s) + 1)
            return self.define(f"tf.expand_dims({v.name}, {ax})", v.dtype,
                               s[:ax] + (1,) + s[ax:])
        if choice == 3 and 1 in s:
            ax = s.index(1)
            return self.define(f"tf.squeeze({v.name}, axis={ax})", v.dtype, s[:ax] + s[ax + 1:])
        if choice == 4 and s:
            mult = [r.choice([1, 2, 3]) for _ in s]
            return self.define(f"tf.tile({v.name}, {mult})", v.dtype,
                               tuple(d * m for d, m in zip(s, mult)))
        if choice == 5:
            target = (r.choice([2, 3]),) + tuple(s)
            return self.define(f"tf.broadcast_to({v.name}, {list(target)})", v.dtype, target)
        if choice == 6 and s:
            ax = r.randrange(len(s))
            return self.define(f"tf.reverse({v.name}, [{ax}])", v.dtype, s)
        if choice == 7 and s and v.dtype != "bool":
            pads = [[r.randrange(2), r.randrange(2)] for _ in s]
            return self.define(f"tf.pad({v.name}, {pads})", v.dtype,
                               tuple(d + a + b for d, (a, b) in zip(s, pads)))
        return None

    def s_index(self):
        v = self.pick(lambda o: o.shape)
        if v is None:
            return None
        r, s = self.r, v.shape
        choice = r.randrange(4)
        if choice == 0:  # strided slice on the first axis
            start, stop = r.choice([None, 0, 1, -1, -2]), r.choice([None, 2, -1, 5])
            step = r.choice([None, 1, 2, -1, -2])
            n = len(range(*slice(start, stop, step).indices(s[0])))
            return self.define(f"{v.name}[{_s(start)}:{_s(stop)}:{_s(step)}]", v.dtype,
                               (n,) + s[1:])
        if choice == 1 and s[0] > 0:
            i = r.randrange(-s[0], s[0])
            return self.define(f"{v.name}[{i}]", v.dtype, s[1:])
        if choice == 2 and s[-1] > 0:
            if r.random() < 0.3:
                i = r.randrange(-s[-1], s[-1])
                return self.define(f"{v.name}[..., {i}]", v.dtype, s[:-1])
            idx = [r.randrange(s[-1]) for _ in range(r.randrange(1, 4))]
            return self.define(f"tf.gather({v.name}, {idx}, axis={len(s) - 1})", v.dtype,
                               s[:-1] + (len(idx),))
        if choice == 3 and len(s) >= 1 and not self.grad and v.dtype in INTS:
            depth = r.choice([3, 4])
            return self.define(f"tf.one_hot(tf.cast({v.name}, tf.int32), {depth})", "float32",
                               s + (depth,))
        return None

    # -- control flow ---------------------------------------------------------------------
    def carried(self, n=2):
        vals = []
        for _ in range(n):
            v = self.pick(lambda o: o not in vals)
            if v is not None:
                vals.append(v)
        return vals

    def branches(self, v):
        """Two different expressions of v's type: identical branches let the optimizer drop
        the predicate (and an error it would raise), which TF need not do."""
        a, b = self.expr_like(v, self.pool), self.expr_like(v, self.pool)
        for _ in range(4):
            if a != b:
                return a, b
            b = self.expr_like(v, self.pool)
        ops = [u for u in self.unary_ops(v.dtype) if "identity" not in u and "stop_" not in u]
        return a, self.r.choice(ops).format(x=b)

    def s_cond(self):
        v = self.pick()
        pred = self.predicate(self.pool)
        a, b = self.branches(v)
        return self.define(f"tf.cond({pred}, lambda: {a}, lambda: {b})", v.dtype, v.shape)

    def s_ag_if(self):
        v = self.pick()
        name = self.fresh()
        self.emit(f"if {self.predicate(self.pool)}:")
        then, orelse = self.branches(v)
        self.indent += 1
        self.emit(f"{name} = {then}")
        self.indent -= 1
        self.emit("else:")
        self.indent += 1
        self.emit(f"{name} = {orelse}")
        self.indent -= 1
        out = Val(name, v.dtype, v.shape)
        self.pool.append(out)
        return out

    def s_while(self):
        vs = self.carried(self.r.choice([1, 2]))
        names = [self.fresh("c") for _ in vs]
        inner = [Val(n, v.dtype, v.shape) for n, v in zip(names, vs)]
        pool = inner + self.pool
        n_iter = self.r.choice([0, 1, 3])
        body = [self.expr_like(iv, pool) for iv in inner]
        params = ", ".join(["i"] + names)
        cond_fn, body_fn = self.fresh("cond_fn"), self.fresh("body_fn")
        self.emit(f"def {cond_fn}({params}):")
        self.emit(f"    return i < {n_iter}")
        self.emit(f"def {body_fn}({params}):")
        self.emit(f"    return [i + 1, {', '.join(body)}]")
        outs = [self.fresh() for _ in vs]
        mi = f", maximum_iterations={self.r.choice([1, 2])}" if self.r.random() < 0.2 else ""
        self.emit(f"_, {', '.join(outs)} = tf.while_loop({cond_fn}, {body_fn}, "
                  f"[tf.constant(0), {', '.join(v.name for v in vs)}]{mi})")
        for o, v in zip(outs, vs):
            self.pool.append(Val(o, v.dtype, v.shape))
        return self.pool[-1]

    def s_ag_while(self):
        v = self.pick()
        out, i = self.fresh(), self.fresh("i")
        self.emit(f"{out} = {v.name}")
        self.emit(f"{i} = tf.constant(0)")
        self.emit(f"while {i} < {self.r.choice([0, 2, 3])}:")
        self.indent += 1
        me = Val(out, v.dtype, v.shape)
        self.emit(f"{out} = {self.expr_like(me, [me] + self.pool, 3)}")
        if self.r.random() < 0.3:
            self.emit(f"if {self.predicate([me])}:")
            self.emit("    break")
        self.emit(f"{i} += 1")
        self.indent -= 1
        self.pool.append(me)
        return me

    def s_ag_for(self):
        v = self.pick()
        out, i = self.fresh(), self.fresh("i")
        self.emit(f"{out} = {v.name}")
        self.emit(f"for {i} in tf.range({self.r.choice([0, 1, 3])}):")
        self.indent += 1
        me = Val(out, v.dtype, v.shape)
        pool = [me] + self.pool
        if v.dtype in ("int32",):
            pool.append(Val(i, "int32", ()))
        self.emit(f"{out} = {self.expr_like(me, pool, 3)}")
        self.indent -= 1
        self.pool.append(me)
        return me

    def s_ag_for_rows(self):
        v = self.pick(lambda o: o.shape and o.dtype != "bool")
        if v is None:
            return None
        acc, row = self.fresh(), self.fresh("row")
        self.emit(f"{acc} = tf.zeros({list(v.shape[1:])}, tf.{v.dtype})")
        self.emit(f"for {row} in {v.name}:")
        self.emit(f"    {acc} = {acc} + {row}")
        me = Val(acc, v.dtype, v.shape[1:])
        self.pool.append(me)
        return me

    def s_tensor_array(self):
        v = self.pick()
        n = self.r.choice([0, 1, 3])
        ta, i, out = self.fresh("ta"), self.fresh("i"), self.fresh()
        dyn = self.r.random() < 0.4
        size = "size=0, dynamic_size=True" if dyn else f"size={n}"
        if n == 0 or self.r.random() < 0.3:  # an empty array's stack() needs the element shape
            size += f", element_shape={list(v.shape)}"
        self.emit(f"{ta} = tf.TensorArray(tf.{v.dtype}, {size})")
        me = Val(self.fresh("e"), v.dtype, v.shape)
        self.emit(f"{me.name} = {v.name}")
        self.emit(f"for {i} in tf.range({n}):")
        self.indent += 1
        self.emit(f"{me.name} = {self.expr_like(me, [me] + self.pool, 2)}")
        self.emit(f"{ta} = {ta}.write({i}, {me.name})")
        self.indent -= 1
        self.emit(f"{out} = {ta}.stack()")
        val = Val(out, v.dtype, (n,) + v.shape)
        self.pool.append(val)
        self.features.add("tensor_array_dynamic" if dyn else "tensor_array_fixed")
        return val


def _s(x):
    return "" if x is None else str(x)


def _read(name, lines):
    """Whether a line reads `name` other than to update it (`v = v + row` is no use of v)."""
    for line in lines:
        target, eq, rhs = line.strip().partition(" = ")
        if not eq or not re.fullmatch(r"[\w, ]+", target):
            target, rhs = "", line
        if re.search(rf"\b{name}\b", rhs) and name not in re.findall(r"\w+", target):
            return True
    return False


def generate(seed):
    """The program for `seed` (deterministic: the same seed gives the same program)."""
    g = Gen(seed)
    r = g.r
    rng = np.random.default_rng(seed)
    mode = r.choices(["plain", "grad_inside", "grad_outside", "variables"], [5, 2, 2, 2])[0]
    g.grad = mode.startswith("grad")
    dtype = r.choice(("float32", "float64") if g.grad else DTYPES + ("float32", "int32"))
    special = r.random() < 0.5
    n_in = r.choice([1, 2, 3])
    shapes = [r.choice(SHAPES) for _ in range(n_in)]
    dtypes = [dtype if (i == 0 or g.grad or r.random() < 0.7) else r.choice(DTYPES)
              for i in range(n_in)]
    names = "abc"[:n_in]
    inputs = [values(rng, d, s, special) for d, s in zip(dtypes, shapes)]
    inputs2 = [values(rng, d, s, special) for d, s in zip(dtypes, shapes)]
    for n, d, s in zip(names, dtypes, shapes):
        g.pool.append(Val(n, d, s))
    header = ["import numpy as np", "import autograph_jit as tf", "", "nan, inf = np.nan, np.inf"]
    variables = []
    if mode == "variables":
        for k in range(r.choice([1, 2])):
            d, s = r.choice(list(zip(dtypes, shapes)))
            init = values(rng, d, s, special)
            header.append(f"var{k} = tf.Variable(np.array({init.tolist()!r}, "
                          f"dtype=np.{d}).reshape({s!r}))")
            variables.append(Val(f"var{k}", d, s))
            g.pool.append(Val(f"var{k}.read_value()", d, s))
    signature = None
    if r.random() < 0.2:
        signature = [(tuple(None if r.random() < 0.5 else d for d in s), d)
                     for s, d in zip(shapes, dtypes)]
        g.features.add("input_signature")
        r2 = random.Random(seed * 7919 + 1)  # its own stream: the programs stay as they were
        if not variables and r2.random() < 0.6:
            # the second inputs take other sizes where the signature says None (equal sizes stay
            # equal, 1 stays 1): the same trace runs on other shapes, zero-size ones included
            sizes = {d for s in shapes for d in s if d != 1}
            new = {d: r2.choice([0, 2, 3, 5]) for d in sizes}
            shapes2 = [tuple(new.get(d, d) if sd is None else d for d, sd in zip(s, sig))
                       for s, (sig, _) in zip(shapes, signature)]
            rng2 = np.random.default_rng(seed + 1)
            inputs2 = [values(rng2, d, s, special) for d, s in zip(dtypes, shapes2)]
            g.features.add("relaxed_shapes")
    g.features.add(mode)
    body_start = len(g.lines)
    if g.grad and mode == "grad_inside":
        g.emit("with tf.GradientTape(persistent=True) as tape:")
        g.indent += 1
        for n in names:
            g.emit(f"tape.watch({n})")
    n_steps = r.randint(2, 7)
    for k in range(n_steps):
        g.step()
        if mode == "variables" and r.random() < 0.4:
            vv = r.choice(variables)
            src = g.pick(lambda o: o.dtype == vv.dtype and o.shape == vv.shape)
            meth = r.choice(["assign", "assign_add", "assign_sub"]) if vv.dtype != "bool" \
                else "assign"
            if src is not None:
                g.emit(f"{vv.name}.{meth}({src.name})")
                g.features.add("variable_" + meth)
    float_vals = [v for v in g.pool if v.dtype in FLOATS]
    # every value nothing else reads is returned: a graph prunes an unused op (and with it the
    # error it would raise, e.g. an integer division by zero), as TF's graphs do
    made = [v.name for v in g.pool[n_in + len(variables):]]
    unused = [n for n in made if n.isidentifier() and not _read(n, g.lines)]
    if mode == "grad_inside":
        loss = r.choice(float_vals[-3:])
        g.emit(f"loss = tf.reduce_sum({loss.name})")
        g.indent -= 1
        g.emit(f"grads = tape.gradient(loss, [{', '.join(names)}])")
        g.emit(f"return loss, grads, ({''.join(n + ', ' for n in unused)})")
    elif mode == "grad_outside":  # the runner differentiates the first result
        loss = r.choice(float_vals[-3:])
        g.emit(f"return tf.reduce_sum({loss.name}), ({''.join(n + ', ' for n in unused)})")
    else:
        outs = unused + [n for n in made[-3:] if n not in unused]
        if variables:
            outs += [f"{v.name}.read_value()" for v in variables]
        g.emit(f"return ({', '.join(outs or [names[0]])},)")
    del body_start
    body = "\n".join(g.lines)
    source = "\n".join(header) + f"\n\ndef prog({', '.join(names)}):\n{body}\n"
    return Program(seed, source, inputs, inputs2, signature, mode == "grad_outside",
                   [v.name for v in variables],
                   g.features | {f"dtype_{dtype}"} | ({"special_values"} if special else set())
                   | ({"zero_size"} if any(0 in s for s in shapes) else set()),
                   frozenset(g.dtypes | set(dtypes)))
