"""Small programs shown on the hand-written pages with the output they really print: each runs in
this process from a file named after it (so tracebacks and converted code name `NAME.py:LINE`),
stdout and stderr captured, warnings shown, and an exception ending it shown as `Type: message`.
A template refers to one as `{{snippet:NAME}}`."""
import contextlib
import importlib.util
import io
import os
import sys
import tempfile
import textwrap
import warnings

SNIPPETS = {
    # --- tf.function and AutoGraph -------------------------------------------------------------
    "if_on_tensor": '''
import autograph_jit as tf

@tf.function
def clip_sign(x):
    if tf.reduce_sum(x) > 0:          # a tensor condition: becomes tf.cond
        y = x
    else:
        y = -x
    return y

print(clip_sign(tf.constant([1.0, -3.0])))
print(clip_sign.get_concrete_function(tf.constant([1.0, -3.0])).graph)
''',
    "loops": '''
import autograph_jit as tf

@tf.function
def loops(n):
    total = tf.constant(0)
    for i in tf.range(n):             # over a tensor: becomes a while_loop
        if i % 3 == 0:
            continue
        if total > 20:
            break
        total += i
    squares = []
    for k in [1, 2, 3]:               # over a Python list: unrolled while tracing
        squares.append(k * k)
    return total, squares

print(loops(tf.constant(10)))
''',
    "assert_on_tensor": '''
import autograph_jit as tf

@tf.function
def safe_log(x):
    assert tf.reduce_all(x > 0), "safe_log needs positive inputs"
    return tf.math.log(x)

print(safe_log(tf.constant([1.0, 2.0])))
safe_log(tf.constant([1.0, -2.0]))
''',
    "python_values": '''
import autograph_jit as tf

@tf.function
def power(x, n):
    result = tf.ones_like(x)
    for _ in range(n):                # n is a Python int: the loop is unrolled, n times
        result *= x
    return result

print(power(tf.constant(2.0), 3))
print(power(tf.constant(2.0), 5))
print("traces:", power.experimental_get_tracing_count())
''',
    "retracing": '''
import autograph_jit as tf

@tf.function
def double(x):
    return x * 2

double(tf.constant([1.0, 2.0]))
double(tf.constant([1.0, 2.0, 3.0]))     # a new shape: traced again
double(tf.constant([1, 2]))              # a new dtype: traced again
double(tf.constant([5.0, 6.0]))          # a signature seen before: no trace
print("traces:", double.experimental_get_tracing_count())
for reason in double.retrace_reasons():
    print("retraced because", reason)
''',
    "input_signature": '''
import autograph_jit as tf

@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def double(x):
    return x * 2

for n in (2, 3, 4):
    double(tf.ones([n]))
print("traces:", double.experimental_get_tracing_count())
double(tf.constant([1, 2]))              # int32 does not match the signature
''',
    "retrace_warning": '''
import autograph_jit as tf

@tf.function
def scale(x, factor):
    return x * factor

for factor in range(6):                  # a new Python value each call: a new trace each call
    scale(tf.constant(1.0), factor)
''',
    "trace_time_print": '''
import autograph_jit as tf

@tf.function
def f(x):
    print("Python print, while tracing:", x)
    tf.print("tf.print, every call:", x)
    return x + 1

f(tf.constant(1))
f(tf.constant(2))
''',
    "err_bool_of_tensor": '''
import autograph_jit as tf

def collatz_step(n):
    if n % 2 == 0:
        return n // 2
    return 3 * n + 1

graph_only = tf.function(collatz_step, autograph=False)
graph_only(tf.constant(6))
''',
    "err_branch_dtypes": '''
import autograph_jit as tf

@tf.function
def f(x):
    if x > 0:
        y = tf.constant(1.0)
    else:
        y = tf.constant(1)
    return y

f(tf.constant(3))
''',
    "err_undefined_in_branch": '''
import autograph_jit as tf

@tf.function
def f(x):
    if x > 0:
        y = x * 2
    return y

f(tf.constant(3))
''',
    "err_loop_dtype": '''
import autograph_jit as tf

@tf.function
def f(n):
    total = tf.constant(0)
    i = tf.constant(0)
    while i < n:
        total = tf.cast(total, tf.float32) + 0.5   # int32 before the loop, float32 after
        i += 1
    return total

f(tf.constant(3))
''',
    "err_variable_in_function": '''
import autograph_jit as tf

@tf.function
def f(x):
    v = tf.Variable(1.0)
    return v * x

f(tf.constant(2.0))
''',
    "to_code": '''
import autograph_jit as tf

def relu_sum(xs):
    total = 0.0
    for x in xs:
        if x > 0:
            total += x
    return total

print(tf.autograph.to_code(relu_sum))
''',
    "explain": '''
import autograph_jit as tf

@tf.function
def mse(y, p):
    return tf.reduce_mean(tf.square(y - p))

y, p = tf.ones([1000]), tf.zeros([1000])
mse(y, p)
print(mse.get_concrete_function(y, p).explain())
''',
}


def run(name):
    """The snippet's source and what it printed: (code, output)."""
    code = textwrap.dedent(SNIPPETS[name]).strip() + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{name}.py")
        with open(path, "w") as f:
            f.write(code)
        buf = io.StringIO()
        spec = importlib.util.spec_from_file_location(f"_snippet_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf), \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    spec.loader.exec_module(module)
                except Exception as e:  # the snippet shows the error it ends with
                    buf.write(f"{type(e).__module__.replace('builtins', '').strip('.')}"
                              f"{'.' if type(e).__module__ != 'builtins' else ''}"
                              f"{type(e).__name__}: {e}\n")
            for w in caught:
                buf.write(f"{w.category.__name__}: {w.message}\n")
        finally:
            sys.modules.pop(spec.name, None)
    out = buf.getvalue().replace(tmp + os.sep, "")
    return code, out


def block(name):
    code, out = run(name)
    return f"```python\n{code.rstrip()}\n```\n\nOutput:\n\n```\n{out.rstrip()}\n```"
