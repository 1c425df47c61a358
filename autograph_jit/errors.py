"""`tf.errors`: every exception type the package raises on purpose, in one module.

TF's status classes (`OpError` and its seventeen subclasses, each with TF's `error_code`) come first,
then the few errors that belong to this compiler (AutoGraph conversion, graph verification, the
optimizer, the native backend, SavedModel). Each docstring says what usually causes the error and
how to fix it.

This module is a leaf: it imports nothing from the package, so every layer (ops, tracing, passes,
codegen, the runtime) can import it.

    import autograph_jit as tf
    try:
        tf.reshape(tf.zeros([6]), [4])
    except tf.errors.InvalidArgumentError as e:
        print(e.op, e.error_code)      # reshape 3
"""

__all__ = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    "OpError", "CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
    "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "GraphvizUnavailableError", "DataLossError",
    "UnauthenticatedError",
    "AssertionFailedError", "ConversionError", "NotConverted", "VerificationError",
    "OptimizerError", "FallbackError", "SaveError", "HostOnlyError", "SymbolicValueError",
    "NotCompiledError",
    "DeletedInBothBranchesError",
    "exception_type_from_error_code", "error_code_from_exception_type",
]

# TF's canonical status codes (tensorflow/core/protobuf/error_codes.proto).
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """TF's `tf.errors.OpError`: an op could not run on these inputs; the base of TF's status errors.

    Attributes: `message` (the text), `op` (the op's name, or None), `node_def` (always None: there
    are no NodeDefs here), `error_code` (TF's status code of the subclass).

    Raise it as this package does, `InvalidArgumentError("message", "op_name")`, or as TF code does,
    `InvalidArgumentError(node_def, op, message)`; both work.

    >>> try:
    ...     tf.debugging.assert_positive(tf.constant([-1.0]))
    ... except tf.errors.OpError as e:
    ...     print(type(e).__name__, e.error_code)
    AssertionFailedError 3
    """

    error_code = UNKNOWN

    def __init__(self, *args, **kwargs):
        if len(args) >= 3 or "node_def" in kwargs:    # TF's (node_def, op, message, *args)
            names = ("node_def", "op", "message")
            values = dict(zip(names, args), **kwargs)
            node_def, op, message = (values.get(n) for n in names)
        else:
            message = kwargs.get("message", args[0] if args else "")
            op = kwargs.get("op", args[1] if len(args) > 1 else None)
            node_def = None
        super().__init__(message)
        self.message = message
        self.op = op
        self.node_def = node_def

    @property
    def experimental_payloads(self):
        """TF's per-error payload map; always empty here."""
        return {}


class CancelledError(OpError):
    """An operation was cancelled, usually because another part of the program stopped it.

    Fix: nothing in this package cancels ops today; it exists so TF code catching it ports as is.

    >>> issubclass(tf.errors.CancelledError, tf.errors.OpError), tf.errors.CancelledError.error_code
    (True, 1)
    """

    error_code = CANCELLED


class UnknownError(OpError):
    """An error with no better category, typically one raised inside user Python code run by an op.

    Fix: read the chained exception (`__cause__`) for the original error.

    >>> issubclass(tf.errors.UnknownError, tf.errors.OpError), tf.errors.UnknownError.error_code
    (True, 2)
    """

    error_code = UNKNOWN


class InvalidArgumentError(OpError, ValueError):
    """An op got an argument it cannot accept: a wrong dtype, an incompatible shape, an index out of
    range, a failed `tf.debugging.assert_*`.

    Also a ValueError, which is what TF raises for the same problem while tracing. Fix: the message
    names the op and the argument; cast (`tf.cast`), reshape or clip the input it names.

    >>> try:
    ...     tf.reshape(tf.ones([6]), [4])
    ... except tf.errors.InvalidArgumentError as e:
    ...     print(type(e).__name__, isinstance(e, ValueError))
    InvalidArgumentError True
    """

    error_code = INVALID_ARGUMENT


class DeadlineExceededError(OpError):
    """An operation ran past its deadline (TF: a timeout on an RPC or a queue).

    Fix: raise the timeout or make the work smaller.

    >>> issubclass(tf.errors.DeadlineExceededError, tf.errors.OpError), tf.errors.DeadlineExceededError.error_code
    (True, 4)
    """

    error_code = DEADLINE_EXCEEDED


class NotFoundError(OpError):
    """A file or resource named by the program does not exist (TF: `tf.io.read_file`, checkpoints).

    Fix: check the path; a relative path is resolved from the current directory.

    >>> try:
    ...     tf.io.read_file('/no/such/file')
    ... except tf.errors.NotFoundError as e:
    ...     print(type(e).__name__, e.error_code)
    NotFoundError 5
    """

    error_code = NOT_FOUND


class AlreadyExistsError(OpError):
    """An entity the program tries to create already exists (TF: a file or a resource).

    Fix: choose another name or remove the old entity first.

    >>> issubclass(tf.errors.AlreadyExistsError, tf.errors.OpError), tf.errors.AlreadyExistsError.error_code
    (True, 6)
    """

    error_code = ALREADY_EXISTS


class PermissionDeniedError(OpError):
    """The program may not do this operation (TF: a file the process cannot read or write).

    Fix: check the file's permissions or write somewhere else (e.g. a temporary directory).

    >>> issubclass(tf.errors.PermissionDeniedError, tf.errors.OpError), tf.errors.PermissionDeniedError.error_code
    (True, 7)
    """

    error_code = PERMISSION_DENIED


class ResourceExhaustedError(OpError):
    """A resource ran out: memory for a tensor, disk space, a quota.

    Fix: use smaller batches or shapes, or free memory held by other tensors.

    >>> issubclass(tf.errors.ResourceExhaustedError, tf.errors.OpError), tf.errors.ResourceExhaustedError.error_code
    (True, 8)
    """

    error_code = RESOURCE_EXHAUSTED


class FailedPreconditionError(OpError):
    """State is not ready for the operation (TF: reading a variable before it is initialized,
    restoring into an object of another structure).

    Fix: initialize or build the state before the operation that reads it.

    >>> issubclass(tf.errors.FailedPreconditionError, tf.errors.OpError), tf.errors.FailedPreconditionError.error_code
    (True, 9)
    """

    error_code = FAILED_PRECONDITION


class AbortedError(OpError):
    """An operation was aborted, typically by a concurrency conflict (TF: a transaction abort).

    Fix: retry the operation.

    >>> issubclass(tf.errors.AbortedError, tf.errors.OpError), tf.errors.AbortedError.error_code
    (True, 10)
    """

    error_code = ABORTED


class OutOfRangeError(OpError, IndexError):
    """Iteration ran past the end, e.g. `next()` on an exhausted `tf.data` iterator.

    Also an IndexError. Fix: stop at the end (a `for` loop over the dataset does), or `.repeat()`
    the dataset.

    >>> it = iter(tf.data.Dataset.range(1))
    >>> _ = next(it)
    >>> try:
    ...     it.get_next()
    ... except tf.errors.OutOfRangeError as e:
    ...     print(type(e).__name__, e.error_code)
    OutOfRangeError 11
    """

    error_code = OUT_OF_RANGE


class UnimplementedError(OpError):
    """The operation is not implemented for these inputs (a dtype or mode the op does not support).

    Fix: the message names what is supported; cast the input or use the op it suggests.

    >>> issubclass(tf.errors.UnimplementedError, tf.errors.OpError), tf.errors.UnimplementedError.error_code
    (True, 12)
    """

    error_code = UNIMPLEMENTED


class InternalError(OpError):
    """An invariant of the library itself broke: a bug here, not in the user's program.

    Fix: report it with the smallest program that shows it.

    >>> issubclass(tf.errors.InternalError, tf.errors.OpError), tf.errors.InternalError.error_code
    (True, 13)
    """

    error_code = INTERNAL


class UnavailableError(OpError):
    """A service or device the program needs is not available right now (TF: a remote worker).

    Fix: retry later, or run on another device.

    >>> try:
    ...     tf.function(lambda x: x + 1, backend="gpu")(tf.constant(1.0))
    ... except tf.errors.UnavailableError as e:
    ...     print(type(e).__name__, e.error_code)
    UnavailableError 14
    """

    error_code = UNAVAILABLE


class GraphvizUnavailableError(UnavailableError, ImportError):
    """Graphviz (its `dot` program or its Python package) is not installed, so a graph cannot be
    drawn as a picture (`cf.render_graph()`, Jupyter's display, `tf.keras.utils.plot_model`).
    Also an ImportError, as Keras raises for `plot_model` without Graphviz.

    Fix: install it as the message says (`apt-get install graphviz`, `brew install graphviz` or
    `conda install graphviz`, and `pip install 'autograph_jit[plot]'`), or keep the DOT text
    (`cf.to_dot()`, a `.dot` file).

    >>> issubclass(tf.errors.GraphvizUnavailableError, (tf.errors.UnavailableError, ImportError))
    True
    """


class DataLossError(OpError):
    """Data is unrecoverably lost or corrupted (TF: a truncated checkpoint or record file).

    Fix: write the file again; check that it was copied completely.

    >>> issubclass(tf.errors.DataLossError, tf.errors.OpError), tf.errors.DataLossError.error_code
    (True, 15)
    """

    error_code = DATA_LOSS


class UnauthenticatedError(OpError):
    """The request has no valid credentials (TF: a remote file system).

    Fix: provide credentials for the service.

    >>> issubclass(tf.errors.UnauthenticatedError, tf.errors.OpError), tf.errors.UnauthenticatedError.error_code
    (True, 16)
    """

    error_code = UNAUTHENTICATED


_CODE_TO_CLASS = {cls.error_code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
    AlreadyExistsError, PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError,
    AbortedError, OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
    DataLossError, UnauthenticatedError)}


def exception_type_from_error_code(error_code):
    """TF's `tf.errors.exception_type_from_error_code`: the OpError subclass for a status code.

    >>> tf.errors.exception_type_from_error_code(3).__name__
    'InvalidArgumentError'
    """
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls):
    """TF's `tf.errors.error_code_from_exception_type`: the status code of an OpError subclass.

    >>> tf.errors.error_code_from_exception_type(tf.errors.OutOfRangeError)
    11
    """
    if not (isinstance(cls, type) and issubclass(cls, OpError)):
        raise TypeError(f"error_code_from_exception_type expects an OpError subclass, got {cls!r}")
    return cls.error_code


# ------------------------------------------------------------------------------------------------
# Errors of this compiler (not in TF's tf.errors).
# ------------------------------------------------------------------------------------------------


class AssertionFailedError(InvalidArgumentError, AssertionError):
    """A run-time check failed: `tf.debugging.assert_*`, `tf.Assert`, or a converted `assert`.

    Both TF's InvalidArgumentError and Python's AssertionError, so code written for either catches
    it. In a compiled function it is raised when the graph runs, not when it is traced. Fix: the
    message holds the check's message and the data it was given.

    >>> try:
    ...     tf.debugging.Assert(tf.constant(False), [tf.constant(0)])
    ... except tf.errors.AssertionFailedError as e:
    ...     print(type(e).__name__, isinstance(e, tf.errors.InvalidArgumentError))
    AssertionFailedError True
    """


class ConversionError(Exception):
    """AutoGraph could not convert a function (no source code, a lambda it cannot find, converted
    code that does not compile); the function then runs as written, with a warning.

    Fix: define the function in a file (not in a REPL or `exec`), or decorate it with
    `tf.autograph.experimental.do_not_convert` to silence the warning.

    >>> issubclass(tf.errors.NotConverted, tf.errors.ConversionError)
    True
    """


class NotConverted(ConversionError):
    """A function AutoGraph leaves as written by design (generators, coroutines); no warning.

    >>> issubclass(tf.errors.NotConverted, tf.errors.ConversionError)
    True
    """


class VerificationError(Exception):
    """A graph broke an IR invariant (SSA, types, closed regions, the effect token).

    After tracing or after a pass this is a bug in that pass, and the message names it; switch the
    pass off with `tf.config.optimizer.set_experimental_options({name: False})` and report it.

    >>> issubclass(tf.errors.VerificationError, Exception)
    True
    """


class OptimizerError(RuntimeError):
    """A graph pass raised: the message names the pass, the function, and the option that switches
    the pass off (`tf.config.optimizer.set_experimental_options({name: False})`).

    >>> issubclass(tf.errors.OptimizerError, RuntimeError)
    True
    """


class FallbackError(RuntimeError):
    """`tf.function(..., strict=True)` and some op would run on the graph interpreter instead of
    native code.

    Fix: the message lists each op and why it cannot be compiled; rewrite it with supported ops,
    or drop `strict=True` to accept the interpreter for those ops.

    >>> @tf.function(strict=True)
    ... def positives(x):
    ...     return tf.boolean_mask(x, x > 0)
    >>> try:
    ...     positives(tf.constant([1.0, -1.0]))
    ... except tf.errors.FallbackError as e:
    ...     print(type(e).__name__)
    FallbackError
    """


class SaveError(ValueError):
    """`tf.saved_model.save` met something the SavedModel format cannot represent (a Python object
    as an attribute, a dtype with no encoding, a function without an input signature).

    Fix: the message names the object or op attribute; give the tf.function an `input_signature`
    or keep the value in a tf.Variable.

    >>> issubclass(tf.errors.SaveError, ValueError)
    True
    """


class NotCompiledError(RuntimeError, ValueError):
    """A Keras model's `fit`/`evaluate`/`train_on_batch`/... before `compile()`: a
    RuntimeError that is also the ValueError Keras 3 raises, with its message ("You must call
    `compile()` before using the model."), so `except ValueError` written for Keras catches it.

    >>> issubclass(tf.errors.NotCompiledError, RuntimeError), issubclass(
    ...     tf.errors.NotCompiledError, ValueError)
    (True, True)
    """


class SymbolicValueError(AttributeError, TypeError):
    """A symbolic tensor's value (`.numpy()`) was asked for: it has none while a function is
    traced, nor afterwards when it leaked out in a Python list or attribute.

    An AttributeError as in TF (a graph tensor has no `numpy`: `hasattr(t, "numpy")` is False),
    and a TypeError for code written against this library's earlier error. Fix: return the
    tensor from the tf.function, or tf.print it to see its value at run time.

    >>> @tf.function
    ... def f(x):
    ...     return float(x.numpy())
    >>> try:
    ...     f(tf.constant(1.0))
    ... except tf.errors.SymbolicValueError as e:
    ...     print(type(e).__name__, isinstance(e, AttributeError))
    SymbolicValueError True
    """


class HostOnlyError(TypeError):
    """A host-only function (tf.io parsing and serialization, tf.sparse) got a symbolic tensor:
    autograph_jit has no string tensors inside graphs.

    Inside `Dataset.map` (and filter, scan, ...) it switches the function to eager execution;
    elsewhere, fix: call the function eagerly, or inside a `Dataset.map`.

    >>> issubclass(tf.errors.HostOnlyError, TypeError)
    True
    """


    http_status = 413


class DeletedInBothBranchesError(ValueError, UnboundLocalError):
    """A variable has a value before a tensor-dependent `if`, both branches `del` it, and it may
    be read after the `if`. TF raises ValueError here; Python would raise UnboundLocalError at
    the read, so this error is both.

    Fix: do not `del` a variable used after the `if`, or give it a new value on both paths.

    >>> @tf.function
    ... def f(x):
    ...     y = x
    ...     if x > 0:
    ...         del y
    ...     else:
    ...         del y
    ...     return y
    >>> try:
    ...     f(tf.constant(1))
    ... except ValueError as e:
    ...     print(type(e).__name__, isinstance(e, UnboundLocalError))
    DeletedInBothBranchesError True
    """
