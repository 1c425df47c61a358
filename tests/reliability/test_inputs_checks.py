"""Input checks: bad shapes, dtypes and axes raise TF's error types with messages that name the
op, the same eagerly and traced (interpreter and native code); no raw NumPy or Python error
("tuple index out of range", "operands could not be broadcast ...") reaches the user."""
import inspect
import re
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.runtime.kernel_errors import leaked

MODES = ["eager", "cpu", "interpreter"]


def run(mode, fn, *args):
    """fn(*args) eagerly, or inside a tf.function on the cpu backend / the interpreter."""
    if mode == "eager":
        return fn(*args)
    f = tf.function(fn, backend="cpu" if mode == "cpu" else "eager")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (ops left to the interpreter)
        return f(*args)


# -- the listed cases -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("make", [lambda: tf.zeros([2.5]), lambda: tf.ones([2.0, 3]),
                                  lambda: tf.fill([2.5], 1.0),
                                  lambda: tf.reshape(tf.ones([4]), [2.0, 2]),
                                  lambda: tf.random.normal([1.5])],
                         ids=["zeros", "ones", "fill", "reshape", "random.normal"])
def test_float_dims_raise_type_error_instead_of_truncating(mode, make):
    with pytest.raises(TypeError, match="integer"):
        run(mode, make)


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.bool, tf.float32])
def test_constant_of_an_empty_list_takes_the_requested_dtype(dtype):
    for value, shape in (([], (0,)), ([[], []], (2, 0))):
        t = tf.constant(value, dtype=dtype)
        assert t.dtype is dtype and t.shape == shape


def test_constant_of_a_float_list_still_refuses_an_int_dtype():
    with pytest.raises(TypeError, match="int32"):
        tf.constant([1.5], dtype=tf.int32)


@pytest.mark.parametrize("mode", MODES)
def test_a_number_cast_to_string_is_unimplemented_as_in_tf(mode):
    with pytest.raises(tf.errors.UnimplementedError, match="Cast float32 to string"):
        run(mode, lambda: tf.cast(tf.ones([2]), tf.string))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("make", [lambda: tf.zeros([2], tf.string),
                                  lambda: tf.zeros_like(tf.ones([2]), dtype=tf.string)],
                         ids=["zeros", "zeros_like"])
def test_string_zeros_are_empty_strings_as_in_tf(mode, make):
    assert run(mode, make).numpy().tolist() == [b"", b""]


@pytest.mark.parametrize("make", [lambda: tf.ones([2], "string"),
                                  lambda: tf.constant([1.0], dtype=tf.string)],
                         ids=["ones", "constant"])
def test_numbers_as_strings_raise_type_error_as_in_tf(make):
    with pytest.raises(TypeError, match="Cannot convert"):
        make()


@pytest.mark.parametrize("mode", MODES)
def test_reshape_to_a_run_time_shape_with_minus_two_raises(mode):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reshape.*\[-2, 6\]"):
        run(mode, lambda x, s: tf.reshape(x, s), tf.ones([6]), tf.constant([-2, 6]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num", [2.5, 2.0, "tensor"])
def test_linspace_refuses_a_non_integer_num(mode, num):
    if num == "tensor":
        num = tf.constant(2.5)
    with pytest.raises(TypeError, match="linspace: num must be an integer"):
        run(mode, lambda: tf.linspace(0.0, 1.0, num=num))


@pytest.mark.parametrize("mode", MODES)
def test_linspace_with_an_int_num_matches_numpy(mode):
    np.testing.assert_allclose(run(mode, lambda: tf.linspace(0.0, 1.0, num=5)).numpy(),
                               np.linspace(0, 1, 5), rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [2, -3, 7])
def test_unstack_with_a_bad_axis_raises_value_error(mode, axis):
    with pytest.raises(ValueError, match=r"unstack: Argument `axis` = .* not in range \[-2, 2\)"):
        run(mode, lambda x: tf.unstack(x, axis=axis), tf.ones([2, 3]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("perm", [[0, 5], [0, 1, 2], [1, 1]])
def test_transpose_with_a_bad_perm_raises_invalid_argument(mode, perm):
    with pytest.raises(tf.errors.InvalidArgumentError, match="transpose"):
        run(mode, lambda x: tf.transpose(x, perm=perm), tf.ones([2, 3]))


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_tensordot_with_dims_unknown_when_traced_matches_numpy(backend):
    @tf.function(input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([3, None])],
                 backend=backend)
    def one_axis(a, b):
        return tf.tensordot(a, b, axes=1)

    @tf.function(input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None, None])],
                 backend=backend)
    def listed_axes(a, b):
        return tf.tensordot(a, b, axes=[[0], [1]])

    rng = np.random.default_rng(0)
    a, b = rng.random((2, 4, 3), np.float32), rng.random((3, 5), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(one_axis(a, b).numpy(), np.tensordot(a, b, 1), rtol=1e-5)
        c, d = rng.random((3, 2), np.float32), rng.random((4, 3), np.float32)
        np.testing.assert_allclose(listed_axes(c, d).numpy(), np.tensordot(c, d, [[0], [1]]),
                                   rtol=1e-5)


def test_tensordot_of_unknown_rank_says_what_to_do():
    @tf.function(input_signature=[tf.TensorSpec(None), tf.TensorSpec(None)])
    def f(a, b):
        return tf.tensordot(a, b, axes=[[1], [0]])

    with pytest.raises(ValueError, match="tensordot: the inputs need a known rank"):
        f(tf.ones([2, 3]), tf.ones([3, 4]))


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_run_time_shape_mismatch_in_a_graph_is_a_tf_error_naming_the_op(backend):
    @tf.function(input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None, None])],
                 backend=backend)
    def f(a, b):
        return a + b

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"add|Incompatible shapes"):
            f(tf.ones([2, 3]), tf.ones([3, 2]))


def test_leaked_tells_a_deliberate_raise_from_an_accident():
    def accident():
        return (1, 2)[5]

    def numpy_error():
        return np.ones(2) + np.ones(3)

    def deliberate():  # a `raise ValueError(...)` of the package (array_ops.unstack)
        return tf.unstack(tf.ones([2, 3]), axis=7)

    errors = []
    for fn in (accident, numpy_error, deliberate):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    assert [leaked(e) for e in errors] == [True, True, False]


# -- the sweep over the public ops --------------------------------------------------------------

RAW = re.compile(r"tuple index out of range|list index out of range|int\(\) argument|"
                 r"only (0|length-1)|truth value of an array|could not be broadcast|"
                 r"unsupported operand type|'NoneType'|object is not (iterable|subscriptable)|"
                 r"is out of bounds for array|cannot reshape array|axes don't match|"
                 r"invalid literal|object has no attribute")


def _public_ops():
    seen = {}
    for prefix, module in (("tf", tf), ("tf.math", tf.math), ("tf.nn", tf.nn),
                           ("tf.linalg", tf.linalg)):
        for name in dir(module):
            fn = getattr(module, name)
            # (public functions are api boundaries wrapping the op functions: unwrap to see
            # which module defines them)
            if not name.startswith("_") and inspect.isfunction(fn) and \
                    inspect.unwrap(fn).__module__.startswith("autograph_jit.ops"):
                seen.setdefault(fn, f"{prefix}.{name}")
    return sorted(seen.items(), key=lambda item: item[1])


def _bad_calls():
    """(id, function name, call) for each public op: a bad axis, incompatible shapes, a bad
    dtype, a bool or scalar input, chosen from the op's signature."""
    cases = []
    t23 = lambda: tf.ones([2, 3])
    for fn, qual in _public_ops():
        params = list(inspect.signature(fn).parameters.values())
        names = [p.name for p in params]
        required = [p for p in params if p.default is p.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if "axis" in names and len(required) <= 1:
            cases.append((f"{qual}-axis7", fn, lambda fn=fn: fn(t23(), axis=7)))
        if len(required) == 2:
            cases.append((f"{qual}-shapes", fn, lambda fn=fn: fn(t23(), tf.ones([4, 5]))))
            cases.append((f"{qual}-dtypes", fn,
                          lambda fn=fn: fn(t23(), tf.ones([2, 3], tf.int32))))
        if len(required) == 1:
            cases.append((f"{qual}-bool", fn, lambda fn=fn: fn(tf.constant([[True, False]]))))
            cases.append((f"{qual}-scalar", fn, lambda fn=fn: fn(tf.constant(1.0))))
    return cases


_CASES = _bad_calls()


def test_the_sweep_covers_the_public_ops():
    assert len({name for name, _, _ in _CASES}) > 200
    assert len({fn for _, fn, _ in _CASES}) > 90


@pytest.mark.parametrize("mode", ["eager", "interpreter"])
@pytest.mark.parametrize("case", _CASES, ids=[c[0] for c in _CASES])
def test_bad_arguments_raise_tf_errors_that_name_the_op(mode, case):
    _, fn, call = case
    try:
        run(mode, call)
    except Exception as e:  # noqa: BLE001  (what is raised is the subject of the test)
        text = str(e)
        assert isinstance(e, (tf.errors.OpError, TypeError, ValueError)), \
            f"{type(e).__name__}: {text}"
        assert not isinstance(e, (IndexError, KeyError)), f"{type(e).__name__}: {text}"
        assert not RAW.search(text) or "[Op:" in text, f"raw message: {text}"
        names_op = "[Op:" in text or re.match(r"^[A-Za-z_.]+: ", text) or \
            re.search(r"'\w+' Op\b", text) or fn.__name__.lower() in text.lower()
        assert names_op, f"the message names no op: {type(e).__name__}: {text}"
