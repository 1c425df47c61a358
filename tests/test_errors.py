"""tf.errors: one module with TF's status classes and codes, plus this compiler's own errors."""
import ast
import inspect
import pathlib

import pytest

import autograph_jit as tf
from autograph_jit import errors

TF_CLASSES = {
    "CancelledError": 1, "UnknownError": 2, "InvalidArgumentError": 3, "DeadlineExceededError": 4,
    "NotFoundError": 5, "AlreadyExistsError": 6, "PermissionDeniedError": 7,
    "ResourceExhaustedError": 8, "FailedPreconditionError": 9, "AbortedError": 10,
    "OutOfRangeError": 11, "UnimplementedError": 12, "InternalError": 13, "UnavailableError": 14,
    "DataLossError": 15, "UnauthenticatedError": 16,
}


@pytest.mark.parametrize("name,code", sorted(TF_CLASSES.items()))
def test_each_tf_error_class_is_an_op_error_with_tfs_code(name, code):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError)
    assert cls.error_code == code
    assert tf.errors.exception_type_from_error_code(code) is cls
    assert tf.errors.error_code_from_exception_type(cls) == code


def test_status_code_constants_match_tf():
    assert (tf.errors.OK, tf.errors.INVALID_ARGUMENT, tf.errors.OUT_OF_RANGE,
            tf.errors.UNAUTHENTICATED) == (0, 3, 11, 16)


def test_op_error_takes_this_packages_and_tfs_argument_forms():
    ours = tf.errors.InvalidArgumentError("bad shape", "reshape")
    assert (ours.message, ours.op, ours.node_def, str(ours)) == (
        "bad shape", "reshape", None, "bad shape")
    theirs = tf.errors.OutOfRangeError(None, None, "End of sequence")
    assert (theirs.message, theirs.op, str(theirs)) == ("End of sequence", None, "End of sequence")
    assert theirs.experimental_payloads == {}


def test_invalid_argument_is_a_value_error_and_out_of_range_an_index_error():
    assert issubclass(tf.errors.InvalidArgumentError, ValueError)
    assert issubclass(tf.errors.OutOfRangeError, IndexError)
    assert issubclass(tf.errors.AssertionFailedError, tf.errors.InvalidArgumentError)
    assert issubclass(tf.errors.AssertionFailedError, AssertionError)


def test_an_op_failing_eagerly_raises_the_errors_module_class():
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.reshape(tf.zeros([6]), [4])
    assert info.value.error_code == tf.errors.INVALID_ARGUMENT


def test_error_code_from_exception_type_rejects_a_non_op_error():
    with pytest.raises(TypeError, match="OpError subclass"):
        tf.errors.error_code_from_exception_type(ValueError)


def test_every_error_class_in_the_package_is_defined_in_errors_py():
    # Internal control-flow signals (NotLowerable, Uncacheable, ...) never reach the user and stay
    # with the code that raises and catches them; anything named *Error lives in errors.py.
    root = pathlib.Path(errors.__file__).parent
    elsewhere = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "errors.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error") and any(
                    isinstance(b, (ast.Name, ast.Attribute)) for b in node.bases) and any(
                    getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception"))
                    for b in node.bases):
                elsewhere.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    assert elsewhere == []


def test_every_error_class_has_a_docstring_and_is_exported():
    classes = [v for v in vars(errors).values()
               if inspect.isclass(v) and issubclass(v, BaseException)]
    assert sorted(c.__name__ for c in classes) == sorted(
        n for n in errors.__all__ if n[0].isupper() and not n.isupper())
    assert [c.__name__ for c in classes if not (c.__doc__ or "").strip()] == []


def test_errors_module_is_a_leaf():
    tree = ast.parse(pathlib.Path(errors.__file__).read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == []
