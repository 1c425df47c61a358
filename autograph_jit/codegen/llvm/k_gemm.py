"""A register-blocked float32 GEMM in LLVM IR for AVX-512 hosts: C = op(A) @ B with no packing,
for the convolution kernels' products (k_conv.py), whose N (output channels) is a few vectors.

Why not BLAS there: the OpenBLAS that NumPy and SciPy ship picks its kernels by CPU, and where
it runs its Haswell (AVX2) kernels on an AVX-512 machine — OPENBLAS_CORETYPE=Haswell forces it,
and some CPUs it does not know get them too — a product runs at half the machine's FMA width.
The CNN training step spends most of its time in these products (k_conv.py), so on an AVX-512
host they run here, 16 floats a vector, at the code generator's full width.

The kernel: columns in blocks of 32 (two <16 x float> vectors, a masked load and store at the
edge: AVX-512 masks cost what plain moves do), rows in blocks of ROWS (12 accumulators that
stay in registers), and for each k, two vectors of B's row k and one broadcast element of A per
row, fused multiply-adds. A row tail runs one row at a time. `op(A)` is A or A^T (a transposed
A is read down its columns: element (i, k) at a[k * lda + i]). C is written, never read
(beta = 0), so k_conv calls it only where it would call BLAS with beta 0.

Each element of C sums its K products in k order with one rounding per fused multiply-add:
not BLAS's order (its K blocks) nor NumPy's, but within the tolerance every float32 product of
the compiled code is held to against eager (the differential tests).
"""
from llvmlite import ir

from .emit import F32, I1, I32, I64, PTR, Loops, i64
from ...runtime import cpu_engine

LANES = 16          # float32 lanes of a 512-bit vector
VECTORS = 2         # vectors of C per row in a block: 32 columns
ROWS = 6            # rows of C per block: ROWS * VECTORS accumulators
_VEC = ir.VectorType(F32, LANES)
_MASK = ir.VectorType(I1, LANES)


def available(dtype):
    """Whether float products of `dtype` run here: float32 on a host with AVX-512F."""
    return dtype.name == "float32" and "+avx512f" in cpu_engine.host_info()["features"]


def call(b, module, transpose_a, m, n, kdim, a, lda, bm, ldb, c, ldc):
    """Emit C[m, n] = op(A)[m, kdim] @ B[kdim, n] at builder `b` (sizes and leading dimensions
    i64 values or ints; row-major; op(A) = A^T when `transpose_a`).

    Example (k_conv.py, one image of a convolution):
        k_gemm.call(k.b, k.fn.module, False, g.p, o, kd, cols, kd, filt, o, out, o)
    """
    fn = _function(module, transpose_a)
    b.call(fn, [_i64(m), _i64(n), _i64(kdim), a, _i64(lda), bm, _i64(ldb), c, _i64(ldc)])


def _i64(v):
    return v if isinstance(v, ir.Value) else i64(v)


def _function(module, transpose_a):
    name = f"agj_sgemm_{'tn' if transpose_a else 'nn'}"
    if name in module.globals:
        return module.globals[name]
    fnty = ir.FunctionType(ir.VoidType(), [I64, I64, I64, PTR, I64, PTR, I64, PTR, I64])
    fn = ir.Function(module, fnty, name=name)
    fn.linkage = "internal"
    for arg in (fn.args[3], fn.args[5], fn.args[7]):
        arg.add_attribute("noalias")
    _emit(fn, transpose_a)
    return fn


def _intrinsics(module):
    def get(name, ret, args):
        return module.globals.get(name) or ir.Function(module, ir.FunctionType(ret, args),
                                                       name=name)
    load = get("llvm.masked.load.v16f32.p0", _VEC, [PTR, I32, _MASK, _VEC])
    store = get("llvm.masked.store.v16f32.p0", ir.VoidType(), [_VEC, PTR, I32, _MASK])
    fma = get("llvm.fma.v16f32", _VEC, [_VEC, _VEC, _VEC])
    return load, store, fma


def _emit(fn, transpose_a):
    m, n, kdim, a, lda, bm, ldb, c, ldc = fn.args
    module = fn.module
    masked_load, masked_store, fma = _intrinsics(module)
    entry = ir.IRBuilder(fn.append_basic_block("entry"))
    accs = entry.alloca(ir.ArrayType(_VEC, ROWS * VECTORS))  # SROA keeps them in registers
    start = fn.append_basic_block("start")
    entry.branch(start)
    b = ir.IRBuilder(start)
    loops = Loops(b)
    zero = ir.Constant(_VEC, None)
    align = ir.Constant(I32, 4)

    def at(ptr, index):
        return b.gep(ptr, [index], source_etype=F32, inbounds=True)

    def splat(x):
        v = b.insert_element(ir.Constant(_VEC, ir.Undefined), x, ir.Constant(I32, 0))
        return b.shuffle_vector(v, ir.Constant(_VEC, ir.Undefined),
                                ir.Constant(ir.VectorType(I32, LANES), [0] * LANES))

    def acc(r, v):
        return b.gep(accs, [i64(0), i64(r * VECTORS + v)])

    def column_block(jb):
        j0 = b.mul(jb, i64(LANES * VECTORS))
        width = b.sub(n, j0)
        masks = []
        for v in range(VECTORS):  # lanes j0 + 16v + l < n: the low (n - j0 - 16v) bits
            lanes = b.sub(width, i64(v * LANES))
            lanes = b.select(b.icmp_signed("<", lanes, i64(0)), i64(0), lanes)
            lanes = b.select(b.icmp_signed(">", lanes, i64(LANES)), i64(LANES), lanes)
            bits = b.sub(b.shl(i64(1), lanes), i64(1))
            masks.append(b.bitcast(b.trunc(bits, ir.IntType(LANES)), _MASK))

        def rows(i0, count):
            for r in range(count):
                for v in range(VECTORS):
                    b.store(zero, acc(r, v))

            def step(kk):
                brow = b.mul(kk, ldb)
                bv = [b.call(masked_load, [at(bm, b.add(brow, b.add(j0, i64(v * LANES)))),
                                           align, masks[v], zero]) for v in range(VECTORS)]
                for r in range(count):
                    i = b.add(i0, i64(r))
                    index = b.add(b.mul(kk, lda), i) if transpose_a else \
                        b.add(b.mul(i, lda), kk)
                    x = splat(b.load(at(a, index), typ=F32))
                    for v in range(VECTORS):
                        b.store(b.call(fma, [x, bv[v], b.load(acc(r, v), typ=_VEC)]), acc(r, v))
            loops.range(kdim, step, name="k")
            for r in range(count):
                crow = b.mul(b.add(i0, i64(r)), ldc)
                for v in range(VECTORS):
                    b.call(masked_store, [b.load(acc(r, v), typ=_VEC),
                                          at(c, b.add(crow, b.add(j0, i64(v * LANES)))),
                                          align, masks[v]])

        full = b.sdiv(m, i64(ROWS))
        loops.range(full, lambda ib: rows(b.mul(ib, i64(ROWS)), ROWS), name="ib")
        tail = b.mul(full, i64(ROWS))
        loops.range(b.sub(m, tail), lambda r: rows(b.add(tail, r), 1), name="it")

    width = LANES * VECTORS
    loops.range(b.sdiv(b.add(n, i64(width - 1)), i64(width)), column_block, name="jb")
    b.ret_void()
