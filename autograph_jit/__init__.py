"""autograph_jit: TensorFlow-2-style tensors, eager ops on NumPy, and a tracing compiler.

    import autograph_jit as tf

Public names follow TF2 (docs/api lists them); this module only gathers them.
"""
import importlib.util as _ilu
import os as _os
import sys as _sys


def _load_runtime():
    """Make `autograph_jit.runtime` importable in both layouts.

    A wheel installs the top-level `runtime/` folder as `autograph_jit/runtime/`, found by the normal
    import system. Imported straight from a checkout (tests, examples, an editable install), the
    package's sibling `runtime/` folder is loaded under that name, before any import hook can pick
    another checkout's copy (an editable install of another tree maps the same name elsewhere)."""
    package_dir = _os.path.dirname(_os.path.abspath(__file__))
    if _os.path.isfile(_os.path.join(package_dir, "runtime", "__init__.py")):  # installed layout
        return
    folder = _os.path.join(_os.path.dirname(package_dir), "runtime")
    path = _os.path.join(folder, "__init__.py")
    if not _os.path.isfile(path):
        raise ImportError(
            f"autograph_jit: the runtime is missing: neither {package_dir}/runtime/ (installed "
            f"wheel) nor {folder}/ (checkout) exists; reinstall the package with `pip install .`")
    spec = _ilu.spec_from_file_location(__name__ + ".runtime", path,
                                        submodule_search_locations=[folder])
    module = _ilu.module_from_spec(spec)
    _sys.modules[spec.name] = module
    spec.loader.exec_module(module)


_load_runtime()

from . import dtypes  # noqa: E402,F401
from .dtypes import (  # noqa: E402,F401
    DType, as_dtype, bool, complex64, complex128, double, float16, float32, float64, half, int8,
    int16, int32, int64, string, uint8)
from .tensor import Tensor, convert_to_tensor, is_tensor  # noqa: E402,F401
from .tensor_shape import TensorShape  # noqa: E402,F401
from .ops import operators as _operators  # noqa: E402
from .errors import InvalidArgumentError, OpError  # noqa: E402,F401
from .ops.math_ops import (  # noqa: E402,F401
    abs, add, add_n, argmax, argmin, cast, ceil, clip_by_value, cos, cumsum, divide, equal, exp,
    expm1, floor, floordiv, greater, greater_equal, less, less_equal, log, log1p, logical_and,
    logical_not, logical_or, logical_xor, matmul, maximum, minimum, mod, multiply, negative,
    not_equal, pow, reduce_all, reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
    reduce_prod, reduce_std, reduce_sum, reduce_variance, round, rsqrt, saturate_cast, sigmoid,
    sign, sin, sqrt, square, squared_difference, subtract, tanh, tensordot, truediv, where)
from .ops.array_ops import (  # noqa: E402,F401
    concat, constant, expand_dims, eye, fill, identity, linspace, ones, ones_like, range, rank,
    reshape, shape, size, squeeze, stack, stop_gradient, transpose, unstack, zeros, zeros_like)
from .ops.slicing import slice, split  # noqa: E402, F401
from .ops.tiling import broadcast_to, pad, reverse, tile  # noqa: E402,F401
from .ops.gather_ops import (  # noqa: E402,F401
    argsort, boolean_mask, gather, gather_nd, one_hot, sort)
from .variables import Variable  # noqa: E402,F401
from .module import Module, name_scope  # noqa: E402,F401
from .autodiff.tape import GradientTape, UnconnectedGradients  # noqa: E402,F401
from . import nest  # noqa: E402,F401
from .ops.io_ops import tf_print as print  # noqa: E402, F401
from . import random  # noqa: E402
from . import nn  # noqa: E402
from . import errors, linalg, math  # noqa: E402, F401
from .ops.einsum_ops import einsum  # noqa: E402,F401
from .ops.linalg_ops import norm  # noqa: E402,F401
from .custom_gradient import custom_gradient  # noqa: E402,F401
from .py_function import numpy_function, py_function  # noqa: E402,F401
from .eager_context import device, executing_eagerly, init_scope  # noqa: E402,F401
from . import keras  # noqa: E402,F401
from .keras.initializers import (  # noqa: E402,F401
    constant_initializer, ones_initializer, random_normal_initializer, random_uniform_initializer,
    zeros_initializer)

from . import config  # noqa: E402,F401
from .tracing.function import Function, function  # noqa: E402,F401
from .tracing.signature import TensorSpec  # noqa: E402,F401
from .tracing.concrete import ConcreteFunction  # noqa: E402,F401
from .ops.control_ops import cond, while_loop  # noqa: E402,F401
from .ops import while_grad as _while_grad  # noqa: E402,F401  (sets while_loop's VJP)
from .ops import fusion_ops as _fusion_ops  # noqa: E402,F401  (registers the optimizer's op)
from .ops.tensor_array import TensorArray  # noqa: E402,F401
from . import autograph, debugging  # noqa: E402,F401
from .debugging import Assert  # noqa: E402,F401
from . import saved_model  # noqa: E402,F401
from . import train  # noqa: E402,F401
from . import data, io, sparse  # noqa: E402,F401
from .sparse import SparseTensor  # noqa: E402,F401
from . import summary  # noqa: E402,F401
from . import ragged, strings  # noqa: E402
from .ops.complex_ops import complex  # noqa: E402,F401
from .ragged import RaggedTensor  # noqa: E402,F401
from .ragged import dispatch as _ragged_dispatch  # noqa: E402
from . import distribute  # noqa: E402,F401

newaxis = None


def _package_version():
    from importlib import metadata
    try:
        return metadata.version("autograph_jit")
    except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
        return "0.1.0"


__version__ = _package_version()

_operators.install_on(Tensor)
_ragged_dispatch.install(_sys.modules[__name__], math, nn)
from . import api_boundary as _api_boundary  # noqa: E402
_api_boundary.install(_sys.modules[__name__], math, nn, linalg, random, strings, ragged,
                      debugging)

# What importing made (modules, classes, op tables: ~40,000 objects with NumPy's) lives as long
# as the process: frozen out of the cycle collector's reach (AUTOGRAPH_JIT_GC_FREEZE=0: not)
from .ir import gc_pause as _gc_pause  # noqa: E402
_gc_pause.freeze_imported()
