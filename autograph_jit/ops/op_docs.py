"""TF's documentation of the ops that math_ops.py builds with its factories (`_binary_fn`,
`_unary_fn`, `_reduce_fn`): the summary line and a doctested example, keyed by the op's name.
`binary_doc`/`unary_doc`/`reduce_doc` write the whole docstring (summary, arguments, returns,
example); an op missing here keeps a one-line docstring naming TF's function."""

SUMMARY = {'add': 'Returns x + y element-wise.',
 'subtract': 'Returns x - y element-wise.',
 'multiply': 'Returns an element-wise x * y.',
 'floormod': "Returns element-wise remainder of division, with the sign of the divisor (Python's "
             '`%`).',
 'pow': 'Computes the power of one value to another, element-wise.',
 'maximum': 'Returns the max of x and y (i.e. x > y ? x : y) element-wise.',
 'minimum': 'Returns the min of x and y (i.e. x < y ? x : y) element-wise.',
 'negative': 'Computes numerical negative value element-wise.',
 'abs': 'Computes the absolute value of a tensor.',
 'sign': 'Returns an element-wise indication of the sign of a number (-1, 0 or 1).',
 'square': 'Computes square of x element-wise.',
 'sqrt': 'Computes element-wise square root of the input tensor.',
 'rsqrt': 'Computes reciprocal of square root of x element-wise.',
 'exp': 'Computes exponential of x element-wise.',
 'log': 'Computes natural logarithm of x element-wise.',
 'log1p': 'Computes natural logarithm of (1 + x) element-wise, accurately for small x.',
 'expm1': 'Computes `exp(x) - 1` element-wise, accurately for small x.',
 'sin': 'Computes sine of x element-wise.',
 'cos': 'Computes cos of x element-wise.',
 'tanh': 'Computes hyperbolic tangent of `x` element-wise.',
 'sigmoid': 'Computes sigmoid of `x` element-wise: `1 / (1 + exp(-x))`.',
 'reciprocal': 'Computes the reciprocal of x element-wise.',
 'floor': 'Returns element-wise largest integer not greater than x.',
 'ceil': 'Return the ceiling of the input, element-wise.',
 'erf': 'Computes the Gauss error function of `x` element-wise.',
 'equal': 'Returns the truth value of (x == y) element-wise.',
 'not_equal': 'Returns the truth value of (x != y) element-wise.',
 'less': 'Returns the truth value of (x < y) element-wise.',
 'less_equal': 'Returns the truth value of (x <= y) element-wise.',
 'greater': 'Returns the truth value of (x > y) element-wise.',
 'greater_equal': 'Returns the truth value of (x >= y) element-wise.',
 'logical_and': 'Returns the truth value of x AND y element-wise.',
 'logical_or': 'Returns the truth value of x OR y element-wise.',
 'logical_xor': 'Logical XOR function: x ^ y, element-wise.',
 'logical_not': 'Returns the truth value of `NOT x` element-wise.',
 'is_nan': 'Returns which elements of x are NaN.',
 'is_finite': 'Returns which elements of x are finite.',
 'is_inf': 'Returns which elements of x are Inf.',
 'reduce_sum': 'Computes the sum of elements across dimensions of a tensor.',
 'reduce_mean': 'Computes the mean of elements across dimensions of a tensor.',
 'reduce_max': 'Computes `tf.math.maximum` of elements across dimensions of a tensor.',
 'reduce_min': 'Computes the `tf.math.minimum` of elements across dimensions of a tensor.',
 'reduce_prod': 'Computes `tf.math.multiply` of elements across dimensions of a tensor.',
 'reduce_any': 'Computes `tf.math.logical_or` of elements across dimensions of a tensor.',
 'reduce_all': 'Computes `tf.math.logical_and` of elements across dimensions of a tensor.'}

EXAMPLES = {'add': '>>> tf.add([1, 2], [10, 20]).numpy()\narray([11, 22], dtype=int32)',
 'subtract': '>>> tf.subtract([5.0, 3.0], 1.5).numpy()\narray([3.5, 1.5], dtype=float32)',
 'multiply': '>>> tf.multiply(tf.constant([[1, 2], [3, 4]]), [10, 100]).numpy()\n'
             'array([[ 10, 200],\n'
             '       [ 30, 400]], dtype=int32)',
 'floormod': '>>> tf.math.floormod([7, -7], 3).numpy()\narray([1, 2], dtype=int32)',
 'pow': '>>> tf.pow([2.0, 3.0], 2.0).numpy()\narray([4., 9.], dtype=float32)',
 'maximum': '>>> tf.maximum([1.0, 5.0], [3.0, 2.0]).numpy()\narray([3., 5.], dtype=float32)',
 'minimum': '>>> tf.minimum([1.0, 5.0], [3.0, 2.0]).numpy()\narray([1., 2.], dtype=float32)',
 'negative': '>>> tf.negative([1, -2]).numpy()\narray([-1,  2], dtype=int32)',
 'abs': '>>> tf.abs([-1.5, 2.0]).numpy()\narray([1.5, 2. ], dtype=float32)',
 'sign': '>>> tf.sign([-3.0, 0.0, 2.0]).numpy()\narray([-1.,  0.,  1.], dtype=float32)',
 'square': '>>> tf.square([2, -3]).numpy()\narray([4, 9], dtype=int32)',
 'sqrt': '>>> tf.sqrt([4.0, 9.0]).numpy()\narray([2., 3.], dtype=float32)',
 'rsqrt': '>>> tf.math.rsqrt([4.0, 16.0]).numpy()\narray([0.5 , 0.25], dtype=float32)',
 'exp': '>>> tf.exp([0.0, 1.0]).numpy()\narray([1.      , 2.718282], dtype=float32)',
 'log': '>>> tf.math.log([1.0, 100.0]).numpy()\narray([0.       , 4.6051702], dtype=float32)',
 'log1p': '>>> tf.math.log1p([0.0, 1e-8]).numpy()\narray([0.e+00, 1.e-08], dtype=float32)',
 'expm1': '>>> tf.math.expm1([0.0, 1e-8]).numpy()\narray([0.e+00, 1.e-08], dtype=float32)',
 'sin': '>>> tf.sin([0.0, 1.5707964]).numpy()\narray([0., 1.], dtype=float32)',
 'cos': '>>> tf.cos([0.0, 3.1415927]).numpy()\narray([ 1., -1.], dtype=float32)',
 'tanh': '>>> tf.tanh([-1.0, 0.0, 1.0]).numpy()\n'
         'array([-0.7615942,  0.       ,  0.7615942], dtype=float32)',
 'sigmoid': '>>> tf.sigmoid([-2.0, 0.0, 2.0]).numpy()\n'
            'array([0.11920292, 0.5       , 0.880797  ], dtype=float32)',
 'reciprocal': '>>> tf.math.reciprocal([2.0, 4.0]).numpy()\narray([0.5 , 0.25], dtype=float32)',
 'floor': '>>> tf.floor([-1.5, 1.5]).numpy()\narray([-2.,  1.], dtype=float32)',
 'ceil': '>>> tf.math.ceil([-1.5, 1.5]).numpy()\narray([-1.,  2.], dtype=float32)',
 'erf': '>>> tf.math.erf([0.0, 1.0]).numpy()\narray([0.       , 0.8427008], dtype=float32)',
 'equal': '>>> tf.equal([1, 2, 3], 2).numpy()\narray([False,  True, False])',
 'not_equal': '>>> tf.not_equal([1, 2, 3], 2).numpy()\narray([ True, False,  True])',
 'less': '>>> tf.less([1, 2, 3], 2).numpy()\narray([ True, False, False])',
 'less_equal': '>>> tf.less_equal([1, 2, 3], 2).numpy()\narray([ True,  True, False])',
 'greater': '>>> tf.greater([1, 2, 3], 2).numpy()\narray([False, False,  True])',
 'greater_equal': '>>> tf.greater_equal([1, 2, 3], 2).numpy()\narray([False,  True,  True])',
 'logical_and': '>>> tf.logical_and([True, True, False], [True, False, False]).numpy()\n'
                'array([ True, False, False])',
 'logical_or': '>>> tf.logical_or([True, True, False], [True, False, False]).numpy()\n'
               'array([ True,  True, False])',
 'logical_xor': '>>> tf.math.logical_xor([True, True, False], [True, False, False]).numpy()\n'
                'array([False,  True, False])',
 'logical_not': '>>> tf.logical_not([True, False]).numpy()\narray([False,  True])',
 'is_nan': ">>> tf.math.is_nan([1.0, float('nan'), float('inf')]).numpy()\n"
           'array([False,  True, False])',
 'is_finite': ">>> tf.math.is_finite([1.0, float('nan'), float('inf')]).numpy()\n"
              'array([ True, False, False])',
 'is_inf': ">>> tf.math.is_inf([1.0, float('nan'), float('-inf')]).numpy()\n"
           'array([False, False,  True])',
 'reduce_sum': '>>> x = tf.constant([[1, 1, 1], [1, 1, 1]])\n'
               '>>> print(tf.reduce_sum(x))\n'
               'tf.Tensor(6, shape=(), dtype=int32)\n'
               '>>> tf.reduce_sum(x, axis=0).numpy()\n'
               'array([2, 2, 2], dtype=int32)\n'
               '>>> tf.reduce_sum(x, axis=1, keepdims=True).numpy()\n'
               'array([[3],\n'
               '       [3]], dtype=int32)',
 'reduce_mean': '>>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])\n'
                '>>> print(tf.reduce_mean(x))\n'
                'tf.Tensor(2.5, shape=(), dtype=float32)\n'
                '>>> tf.reduce_mean(x, axis=0).numpy()\n'
                'array([2., 3.], dtype=float32)',
 'reduce_max': '>>> x = tf.constant([[1, 5], [7, 2]])\n'
               '>>> print(tf.reduce_max(x))\n'
               'tf.Tensor(7, shape=(), dtype=int32)\n'
               '>>> tf.reduce_max(x, axis=1).numpy()\n'
               'array([5, 7], dtype=int32)',
 'reduce_min': '>>> x = tf.constant([[1, 5], [7, 2]])\n'
               '>>> print(tf.reduce_min(x))\n'
               'tf.Tensor(1, shape=(), dtype=int32)\n'
               '>>> tf.reduce_min(x, axis=1).numpy()\n'
               'array([1, 2], dtype=int32)',
 'reduce_prod': '>>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])\n'
                '>>> print(tf.reduce_prod(x))\n'
                'tf.Tensor(24.0, shape=(), dtype=float32)\n'
                '>>> tf.reduce_prod(x, axis=0).numpy()\n'
                'array([3., 8.], dtype=float32)',
 'reduce_any': '>>> x = tf.constant([[True, False], [False, False]])\n'
               '>>> print(tf.reduce_any(x))\n'
               'tf.Tensor(True, shape=(), dtype=bool)\n'
               '>>> tf.reduce_any(x, axis=1).numpy()\n'
               'array([ True, False])',
 'reduce_all': '>>> x = tf.constant([[True, True], [False, True]])\n'
               '>>> print(tf.reduce_all(x))\n'
               'tf.Tensor(False, shape=(), dtype=bool)\n'
               '>>> tf.reduce_all(x, axis=0).numpy()\n'
               'array([False,  True])'}

_BINARY_ARGS = """Args:
  x: a Tensor, or a value `tf.convert_to_tensor` accepts.
  y: the same, of x's dtype; x and y broadcast against each other as in NumPy.
  name: the op's name (accepted for TF compatibility).

Returns:
  A Tensor of the broadcast shape: of x's dtype (bool for comparisons and logical ops)."""

_UNARY_ARGS = """Args:
  x: a Tensor, or a value `tf.convert_to_tensor` accepts.
  name: the op's name (accepted for TF compatibility).

Returns:
  A Tensor of x's shape: of x's dtype (bool for the `is_*` tests)."""

_REDUCE_ARGS = """Args:
  input_tensor: the tensor to reduce.
  axis: the dimensions to reduce (an int or a list of ints, negative from the end); None (the
    default) reduces all of them. It must be known when a function is traced.
  keepdims: keep the reduced dimensions with length 1.
  name: the op's name (accepted for TF compatibility).

Returns:
  The reduced tensor."""


def _doc(name, args, fallback):
    summary = SUMMARY.get(name)
    if summary is None:
        return fallback
    example = EXAMPLES.get(name, "")
    return f"{summary}\n\n{args}\n\n{example}\n" if example else f"{summary}\n\n{args}\n"


def binary_doc(name):
    """The docstring of the elementwise binary op `name` (broadcasting)."""
    return _doc(name, _BINARY_ARGS,
                f"Elementwise `{name}` with broadcasting (TF's tf.math.{name}).")


def unary_doc(name):
    """The docstring of the elementwise unary op `name`."""
    return _doc(name, _UNARY_ARGS, f"Elementwise `{name}` (TF's tf.math.{name}).")


def reduce_doc(name):
    """The docstring of the reduction `name`."""
    return _doc(name, _REDUCE_ARGS,
                f"TF's tf.math.{name}(input_tensor, axis=None, keepdims=False).")
