"""Registry-driven op tests: every OpSpec in `tests/ops/specs_*.py` against NumPy and finite
differences, and completeness checks tying the specs to `autograph_jit.ops.opdef.REGISTRY`.

- `test_eager_matches_numpy`: the eager result equals the spec's NumPy reference (dtype exactly,
  shape exactly, integers/bools exactly, floats within tolerance, NaN == NaN).
- `test_vjp_matches_central_differences`: the tape's gradient of `reduce_sum(output * w)` (w a
  fixed random weight per output, so every output element matters) equals central differences of
  the same scalar computed through the NumPy reference.

Known TF divergences are marked on a case (or spec) by setting a `marks` attribute, e.g.
`xfail_case(case, reason)` from specs_math; `grad_marks` does the same for the gradient test.
"""
import glob
import importlib
import os
import pkgutil

import numpy as np
import pytest

import autograph_jit as tf
import autograph_jit.ops
from autograph_jit.ops import opdef

# Every module of the ops package registers its ops on import; the completeness tests below are
# strict about all of them, so new op families are picked up without editing this file.
for _info in pkgutil.iter_modules(autograph_jit.ops.__path__):
    importlib.import_module(f"autograph_jit.ops.{_info.name}")


def _spec_modules():
    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(here, "specs_*.py")))
    return [importlib.import_module(f"tests.ops.{n}") for n in names]


ALL_SPECS = [spec for mod in _spec_modules() for spec in mod.SPECS]

# Ops whose results are random or stateful: a NumPy reference cannot predict them, so each is
# covered by the behaviour test named here instead.
EXEMPT = {
    "read_variable": "tests/test_variables.py",
    "assign_variable": "tests/test_variables.py",
    "apply_adam": "tests/ops/test_training_ops.py",   # writes three variables
    "print": "tests/test_print.py",
    "write_summary": "tests/summary/test_summary.py",
    # An effect with no output: it raises or does nothing (eagerly and in graphs).
    "assert": "tests/autograph/test_logical.py",
    "random_uniform": "tests/test_random.py",
    "random_normal": "tests/test_random.py",
    "truncated_normal": "tests/test_random.py",
    "random_uniform_int": "tests/test_random.py",
    "random_shuffle": "tests/test_random.py",
    # Control flow holds region graphs and has no eager kernel: eagerly tf.cond / tf.while_loop
    # run Python; the ops (and their VJPs) only exist in traced functions.
    "cond": "tests/tracing/test_control_flow.py",
    "while_loop": "tests/tracing/test_control_flow.py",
    # Made only by the optimizer (after differentiation) around ordinary ops' bodies.
    "fusion": "tests/passes/test_fusion.py",
    # tf.data host effects reading a dataset / iterator attribute, no tensor inputs
    "dataset_elements": "tests/data/test_compiled.py",
    "iterator_get_next": "tests/data/test_compiled.py",
}

# Ops with a VJP that only exist to compute other ops' gradients (their gradient is tested
# through the ops whose VJPs use them); none so far.
GRAD_EXEMPT = set()


# -- parametrization ---------------------------------------------------------------------------


def _params(cases_of, marks_attr):
    out = []
    for spec in ALL_SPECS:
        for i, case in enumerate(cases_of(spec)):
            marks = list(getattr(spec, marks_attr, ())) + list(getattr(case, marks_attr, ()))
            out.append(pytest.param(spec, case, id=f"{spec.name}-{i}{case!r}", marks=marks))
    return out


def _arrays(case):
    """The case's args with NumPy scalars (what `sample` gives for shape ()) as 0-d arrays."""
    return [np.asarray(a) if isinstance(a, np.generic) else a for a in case.args]


def _tensor_indices(spec, case):
    if spec.tensor_args is not None:
        return set(spec.tensor_args)
    return {i for i, a in enumerate(_arrays(case)) if isinstance(a, np.ndarray)}


def _to_tensors(spec, case):
    idx = _tensor_indices(spec, case)
    return [tf.constant(a) if i in idx else a for i, a in enumerate(_arrays(case))]


def _as_list(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


# -- comparison --------------------------------------------------------------------------------


def _tolerances(spec, dtype):
    if dtype == np.float16:
        return max(spec.rtol, 1e-3), max(spec.atol, 1e-3)
    return spec.rtol, spec.atol


def assert_matches(spec, got, want, what="output"):
    assert isinstance(got, tf.Tensor), f"{what}: expected a tf.Tensor, got {type(got).__name__}"
    # a rank-0 string tensor's numpy() is bytes (as TF's); compare as an object array
    is_str = got.dtype == tf.string
    got_arr = np.asarray(got.numpy(), dtype=object if is_str else None)
    want_arr = np.asarray(want, dtype=object if is_str else None)
    if spec.check_dtype:
        assert got_arr.dtype == want_arr.dtype, \
            f"{what}: dtype {got_arr.dtype}, reference dtype {want_arr.dtype}"
    assert got_arr.shape == want_arr.shape, \
        f"{what}: shape {got_arr.shape}, reference shape {want_arr.shape}"
    if want_arr.dtype.kind == "f" or got_arr.dtype.kind == "f":
        rtol, atol = _tolerances(spec, got_arr.dtype)
        np.testing.assert_allclose(got_arr.astype(np.float64), want_arr.astype(np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got_arr, want_arr, err_msg=what)


@pytest.mark.parametrize("spec,case", _params(lambda s: s.cases, "marks"))
def test_eager_matches_numpy(spec, case):
    got = _as_list(spec.fn(*_to_tensors(spec, case), **case.kwargs))
    with np.errstate(all="ignore"):
        want = _as_list(spec.ref(*_arrays(case), **case.kwargs))
    assert len(got) == len(want), f"{len(got)} outputs, reference has {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        assert_matches(spec, g, w, what=f"output {k}")


# -- gradients ---------------------------------------------------------------------------------

MAX_PERTURBED = 30  # elements perturbed per input: keeps the finite differences cheap


def _grad_indices(spec, case):
    if spec.grad_args is not None:
        return list(spec.grad_args)
    idx = _tensor_indices(spec, case)
    return [i for i, a in enumerate(_arrays(case))
            if i in idx and isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def _eps_and_tols(spec, outputs):
    """Central differences in float64 with eps 1e-6; a lower-precision output (e.g. a cast to
    float32) needs a larger step and looser tolerances to see past its rounding."""
    lowest = min((np.finfo(o.dtype.np_dtype).bits for o in outputs if o.dtype.is_floating),
                 default=64)
    if lowest >= 64:
        return 1e-6, spec.grad_rtol, spec.grad_atol
    return 1e-3, max(spec.grad_rtol, 1e-3), max(spec.grad_atol, 1e-3)


@pytest.mark.parametrize("spec,case", _params(lambda s: s.gradient_cases(), "grad_marks"))
def test_vjp_matches_central_differences(spec, case):
    rng = np.random.default_rng(1234)
    args = _to_tensors(spec, case)
    gi = _grad_indices(spec, case)
    assert gi, "a gradient case needs at least one float tensor argument"
    sources = [args[i] for i in gi]
    with tf.GradientTape() as tape:
        tape.watch(sources)
        outputs = _as_list(spec.fn(*args, **case.kwargs))
        weights = [rng.uniform(0.5, 1.5, o.shape.as_list()).astype(o.dtype.np_dtype)
                   if o.dtype.is_floating else None for o in outputs]
        terms = [tf.reduce_sum(o * tf.constant(w)) for o, w in zip(outputs, weights)
                 if w is not None]
        assert terms, "a gradient case needs a floating output"
        loss = tf.add_n(terms)
    grads = tape.gradient(loss, sources)

    def scalar(arrays):
        with np.errstate(all="ignore"):
            outs = _as_list(spec.ref(*arrays, **case.kwargs))
        return sum(float(np.sum(np.asarray(o, dtype=np.float64) * w.astype(np.float64)))
                   for o, w in zip(outs, weights) if w is not None)

    eps, rtol, atol = _eps_and_tols(spec, outputs)
    base = _arrays(case)
    for i, g in zip(gi, grads):
        x = base[i]
        analytic = np.zeros(x.shape) if g is None else np.asarray(g.numpy(), np.float64)
        assert analytic.shape == x.shape, f"gradient of arg {i}: shape {analytic.shape}, " \
                                          f"input shape {x.shape}"
        flat = np.arange(x.size)
        if x.size > MAX_PERTURBED:
            flat = np.sort(rng.choice(x.size, MAX_PERTURBED, replace=False))
        numeric = []
        for j in flat:
            plus = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in base]
            minus = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in base]
            plus[i].flat[j] += eps
            minus[i].flat[j] -= eps
            numeric.append((scalar(plus) - scalar(minus)) / (2 * eps))
        np.testing.assert_allclose(analytic.ravel()[flat], np.array(numeric), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of arg {i}")


# -- completeness ------------------------------------------------------------------------------


def _covered():
    return {name for spec in ALL_SPECS for name in spec.covers}


def test_every_registered_op_has_a_spec():
    missing = sorted(set(opdef.REGISTRY) - _covered() - set(EXEMPT))
    assert not missing, f"registered ops without an OpSpec (add one to tests/ops/specs_*.py): " \
                        f"{missing}"


def _has_vjp(name):
    op = opdef.REGISTRY.get(name)
    return op is not None and op.vjp is not None and name not in GRAD_EXEMPT | set(EXEMPT)


def test_every_differentiable_op_has_a_gradient_case():
    """Each op with a VJP is covered by a spec with gradient cases, and the spec named after
    such an op (its main spec) has gradient cases itself."""
    with_grad = {n for s in ALL_SPECS if s.grad and s.gradient_cases() for n in s.covers}
    missing = sorted(n for n in opdef.REGISTRY if _has_vjp(n) and n not in with_grad)
    assert not missing, f"differentiable ops without a gradient case: {missing}"
    main_without = sorted(s.name for s in ALL_SPECS if _has_vjp(s.name) and s.name in s.covers
                          and not (s.grad and s.gradient_cases()))
    assert not main_without, f"main specs of differentiable ops without gradient cases: " \
                             f"{main_without}"
