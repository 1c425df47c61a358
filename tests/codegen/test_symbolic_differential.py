"""Differential harness with a symbolic batch dim: every OpSpec case whose first tensor argument
has a leading dim is run with that dim declared `None` (one tf.function per spec, every case's
first tensor resized to the same batch by repeating rows) at batch sizes 3, 1, 0 and 5, and must
agree with eager at each. Ops that take a symbolic dim (codegen/llvm/symdim.py) run all four sizes
on one executable; the others compile per shape; either way the results are eager's."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm.executable import SymbolicExecutable
from tests.codegen.test_ops_differential import assert_agrees
from tests.ops.test_registry import ALL_SPECS, _arrays, _as_list, _tensor_indices

pytestmark = pytest.mark.filterwarnings("ignore:.*run on the interpreter")

BATCHES = (3, 1, 0, 5)
CASES_PER_SPEC = 4
_symbolic_specs = []
_compiled_specs = []    # every spec that compiled with a symbolic batch, symbolic or per shape


@pytest.fixture
def quick_llvm(monkeypatch):
    """LLVM at -O0: this checks op semantics (see test_ops_differential.quick_llvm)."""
    monkeypatch.setenv("AUTOGRAPH_JIT_OPT_LEVEL", "0")


def _rows(a, n):
    return a[np.arange(n) % a.shape[0]] if n else a[:0]


def _batched_cases(spec):
    """[(case, tensor indices, first tensor index, args, {n: eager outputs})] for the cases that
    run eagerly at every batch size."""
    out = []
    for case in spec.cases:
        if getattr(case, "marks", ()):
            continue
        idx = sorted(_tensor_indices(spec, case))
        args = _arrays(case)
        if not idx or not isinstance(args[idx[0]], np.ndarray) or args[idx[0]].ndim == 0 \
                or args[idx[0]].shape[0] == 0:
            continue
        first = idx[0]
        wants = {}
        try:
            for n in BATCHES:
                call = [tf.constant(_rows(a, n) if i == first else a) if i in idx else a
                        for i, a in enumerate(args)]
                ws = _as_list(spec.fn(*call, **case.kwargs))
                if not all(isinstance(w, tf.Tensor) for w in ws):
                    raise TypeError("not a tensor result")
                wants[n] = [np.asarray(w.numpy()) for w in ws]
        except Exception:  # noqa: BLE001 - a case that needs its exact batch size
            continue
        out.append((case, idx, first, args, wants))
        if len(out) == CASES_PER_SPEC:
            break
    return out


@pytest.mark.parametrize("spec", [s for s in ALL_SPECS if not getattr(s, "marks", ())],
                         ids=lambda s: s.name)
def test_op_with_a_symbolic_batch_matches_eager(spec, quick_llvm):
    cases = _batched_cases(spec)
    if not cases:
        pytest.skip("no case runs eagerly at every batch size")
    signature = []
    for _, idx, first, args, _ in cases:
        for i in idx:
            a = np.asarray(args[i])
            shape = [None, *a.shape[1:]] if i == first else list(a.shape)
            signature.append(tf.TensorSpec(shape, tf.as_dtype(a.dtype)))

    def batch(tensors):
        it = iter(tensors)
        outs = []
        for case, idx, _, args, _ in cases:
            call = [next(it) if i in idx else a for i, a in enumerate(args)]
            outs.extend(_as_list(spec.fn(*call, **case.kwargs)))
        return outs

    compiled = tf.function(batch, backend="cpu", autograph=False, input_signature=[signature])
    try:
        compiled.get_concrete_function()
    except (ValueError, TypeError) as e:  # e.g. unstack along the batch needs its size
        pytest.skip(f"traces only with a static batch dim: {e}")
    for n in BATCHES:
        flat = [tf.constant(_rows(args[i], n) if i == first else args[i])
                for _, idx, first, args, _ in cases for i in idx]
        got = compiled(flat)
        want = [w for (*_, wants) in cases for w in wants[n]]
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            assert_agrees(g.numpy(), w, f"{spec.name} output {k} at batch {n}")
    cpu = compiled.get_concrete_function()._cpu
    _compiled_specs.append(spec.name)
    if cpu._sym_exe is not None:  # the whole graph took the symbolic dim: one executable
        _symbolic_specs.append(spec.name)
        assert cpu.executables == [cpu._sym_exe]
        assert isinstance(cpu._sym_exe, SymbolicExecutable)


def test_many_ops_ran_with_a_symbolic_batch():
    """(runs after the parametrized test above, in file order, in the same process) the harness
    exercised symbolic executables, not only the per-shape path: at least a quarter of the specs
    this process compiled took the symbolic dim (104 of 183 in one process today). A ratio, not
    a count: pytest-xdist shares the specs out between its workers."""
    if len(_compiled_specs) < 20:
        pytest.skip("run together with test_op_with_a_symbolic_batch_matches_eager (this "
                    f"process compiled {len(_compiled_specs)} specs)")
    assert len(_symbolic_specs) >= len(_compiled_specs) / 4, _symbolic_specs
