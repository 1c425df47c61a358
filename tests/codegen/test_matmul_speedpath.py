"""How compiled matmuls reach BLAS (codegen/llvm/k_matmul.py, runtime/blas.py): through NumPy's own
OpenBLAS where NumPy ships one, so a compiled product is NumPy's `@` (equal to eager bit for bit,
same thread choice), except thin products OpenBLAS would thread, which run as slices of
one-thread products claimed by ag_parallel_for's threads; no thread count is set around any call; fusion epilogues, batches, transposes and strided views
still agree with eager; concurrent calls from Python threads agree."""
import threading

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.runtime import blas

NUMPY_BLAS = bool(blas.numpy_cblas()[0])
needs_numpy_blas = pytest.mark.skipif(not NUMPY_BLAS, reason="this NumPy ships no 64-bit CBLAS")


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@needs_numpy_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n,ta,tb", [(64, 64, 64, False, False), (128, 128, 128, False, False),
                                         (96, 160, 72, True, False), (33, 17, 65, False, True),
                                         (70, 90, 40, True, True), (50, 64, 60, False, False)])
def test_compiled_product_equals_eager_bit_for_bit(dtype, m, k, n, ta, tb):
    rng = np.random.default_rng(m + k + n)
    a = tf.constant(_rand(rng, (k, m) if ta else (m, k), dtype))
    b = tf.constant(_rand(rng, (n, k) if tb else (k, n), dtype))

    def f(a, b):
        return tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
    got = tf.function(f, backend="cpu")(a, b).numpy()
    want = f(a, b).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("m,k,n,ta", [(50, 784, 100, False), (784, 50, 100, True),
                                      (100, 50, 784, False)])
def test_thin_products_openblas_would_thread_run_as_claimed_slices_and_agree_with_eager(
        m, k, n, ta):
    from autograph_jit.codegen.llvm import k_matmul
    assert min(m, k, n) < k_matmul.THIN_DIM and m * n * k > k_matmul.OPENBLAS_THREADED_MACS
    rng = np.random.default_rng(m)
    a = tf.constant(_rand(rng, (k, m) if ta else (m, k), np.float32))
    b = tf.constant(_rand(rng, (k, n), np.float32))

    def f(a, b):
        return tf.matmul(a, b, transpose_a=ta)
    cf = tf.function(f, backend="cpu").get_concrete_function(a, b)
    np.testing.assert_allclose(cf(a, b).numpy(), f(a, b).numpy(), rtol=1e-5, atol=1e-4)
    text = cf.llvm_ir()
    assert "ag_matmul_serial_f32" in text and "@\"ag_matmul_f32\"" not in text
    assert "ag_parallel_for" in text


def test_thin_product_with_unit_batch_dims_and_an_epilogue_agrees_with_eager():
    rng = np.random.default_rng(6)
    x = tf.constant(_rand(rng, (1, 50, 784), np.float32))
    w = tf.constant(_rand(rng, (1, 784, 100), np.float32) * 0.05)
    bias = tf.constant(_rand(rng, (1, 1, 100), np.float32))

    def f(x, w, bias):
        return tf.nn.relu(tf.matmul(x, w) + bias)
    cf = tf.function(f, backend="cpu").get_concrete_function(x, w, bias)
    np.testing.assert_allclose(cf(x, w, bias).numpy(), f(x, w, bias).numpy(), rtol=1e-5,
                               atol=1e-4)
    assert "ag_parallel_for" in cf.llvm_ir()


def test_square_products_use_the_threaded_wrapper():
    a = tf.constant(np.ones((128, 128), np.float32))
    f = tf.function(lambda a, b: a @ b, backend="cpu")
    f(a, a)
    text = f.get_concrete_function(a, a).llvm_ir()
    assert "ag_matmul_f32" in text and "ag_matmul_serial" not in text


@needs_numpy_blas
def test_batched_and_broadcast_products_equal_eager_bit_for_bit():
    rng = np.random.default_rng(1)
    a = tf.constant(_rand(rng, (3, 40, 30), np.float32))
    b = tf.constant(_rand(rng, (30, 50), np.float32))
    f = (lambda a, b: tf.matmul(a, b))
    np.testing.assert_array_equal(tf.function(f, backend="cpu")(a, b).numpy(), f(a, b).numpy())


def test_no_product_sets_a_blas_thread_count():
    rng = np.random.default_rng(2)
    fns = [lambda a, b: a @ b, lambda a, b: tf.nn.relu(a @ b + 1.0),
           lambda a, b: tf.matmul(a, b, transpose_a=True)]
    a = tf.constant(_rand(rng, (256, 256), np.float32))
    for fn in fns:
        f = tf.function(fn, backend="cpu")
        f(a, a)
        text = f.get_concrete_function(a, a).llvm_ir()
        assert "ag_matmul_f32" in text
        assert "set_threads" not in text and "set_num_threads" not in text


def test_matmul_fusion_epilogue_runs_after_the_blas_product():
    rng = np.random.default_rng(3)
    x = tf.constant(_rand(rng, (50, 784), np.float32))
    w = tf.constant(_rand(rng, (784, 100), np.float32) * 0.05)
    bias = tf.constant(_rand(rng, (100,), np.float32))
    f = (lambda x, w, bias: tf.nn.relu(x @ w + bias))
    cf = tf.function(f, backend="cpu").get_concrete_function(x, w, bias)
    assert any(n.op.name == "fusion" and n.attrs.get("kind") == "matmul"
               for n in cf.optimized_graph.nodes)
    np.testing.assert_allclose(cf(x, w, bias).numpy(), f(x, w, bias).numpy(), rtol=1e-5,
                               atol=1e-4)


def test_products_of_transposed_and_sliced_views_agree_with_eager():
    rng = np.random.default_rng(4)
    a = tf.constant(_rand(rng, (96, 80), np.float64))
    b = tf.constant(_rand(rng, (100, 64), np.float64))

    def f(a, b):
        return [tf.transpose(a) @ b[:96], a[::2, :64] @ tf.transpose(b[:50]), a[:, 1:65] @ b[1:65]]
    got = tf.function(f, backend="cpu")(a, b)
    for g, w in zip(got, f(a, b)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("a_shape,b_shape", [((160, 160), (160, 160)), ((50, 784), (784, 100))])
def test_concurrent_compiled_products_from_python_threads_agree_with_numpy(a_shape, b_shape):
    rng = np.random.default_rng(5)
    pairs = [(_rand(rng, a_shape, np.float32), _rand(rng, b_shape, np.float32)) for _ in range(4)]
    f = tf.function(lambda a, b: a @ b, backend="cpu")
    f(tf.constant(pairs[0][0]), tf.constant(pairs[0][1]))
    errors = []

    def work(k):
        a, b = pairs[k]
        for _ in range(20):
            got = f(tf.constant(a), tf.constant(b)).numpy()
            if not np.allclose(got, a @ b, rtol=1e-5, atol=1e-3):
                errors.append(k)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
