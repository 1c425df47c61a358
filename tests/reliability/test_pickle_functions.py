"""Pickling: a tf.function travels as its Python function and options (the receiver traces
again), a loaded SavedModel as its export directory plus current variable values; what cannot
travel raises one TypeError saying what to send instead. Receivers run in fresh processes."""
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograph_jit as tf

cloudpickle = pytest.importorskip("cloudpickle")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@tf.function
def module_level_double(x):
    return x * 2.0


@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], backend="eager")
def module_level_with_options(x):
    return tf.reduce_sum(x)


class Scaler(tf.Module):
    def __init__(self, k):
        super().__init__()
        self.k = tf.Variable(k)

    @tf.function
    def __call__(self, x):
        return x * self.k


def _in_fresh_process(tmp_path, payload, code):
    """Unpickle `payload` (bytes) in a new interpreter and run `code` with it as `obj`."""
    (tmp_path / "payload.bin").write_bytes(payload)
    script = textwrap.dedent("""
        import pickle, sys
        import numpy as np
        import autograph_jit as tf
        import cloudpickle
        obj = pickle.loads(open(sys.argv[1], "rb").read())
    """) + textwrap.dedent(code)
    (tmp_path / "receiver.py").write_text(script)
    env = dict(os.environ, PYTHONPATH=ROOT, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(tmp_path / "receiver.py"),
                          str(tmp_path / "payload.bin")], capture_output=True, text=True,
                         env=env, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()


def test_module_level_function_pickles_by_name_and_runs_after_a_trace():
    module_level_double(tf.constant([1.0]))  # traced here: traces never travel
    copy = pickle.loads(pickle.dumps(module_level_double))
    assert copy is module_level_double
    copy = cloudpickle.loads(cloudpickle.dumps(module_level_double))
    assert copy is module_level_double


def test_module_level_function_in_a_fresh_process(tmp_path):
    payload = pickle.dumps(module_level_with_options)
    out = _in_fresh_process(tmp_path, payload, """
        print(float(obj(tf.constant([1.0, 2.0, 3.5]))), obj.backend, obj.input_signature[0].shape)
    """)
    assert out == ["6.5", "eager", "(None,)"]


def test_lambda_and_closure_travel_by_value_with_cloudpickle(tmp_path):
    k = 3.0
    f = tf.function(lambda x: x * k + 1.0, reduce_retracing=True)
    f(tf.constant([1.0]))
    payload = cloudpickle.dumps(f)
    out = _in_fresh_process(tmp_path, payload, """
        print(obj(tf.constant([1.0, 2.0])).numpy().tolist(), obj._reduce_retracing,
              obj.experimental_get_tracing_count())
    """)
    assert out == ["[4.0,", "7.0]", "True", "1"]


def test_main_module_function_travels_by_value_with_cloudpickle(tmp_path):
    """A tf.function defined in a script (`__main__`), sent by cloudpickle as Dask/Spark do."""
    script = textwrap.dedent("""
        import sys, cloudpickle
        import autograph_jit as tf

        @tf.function
        def step(x):
            total = 0.0
            for i in tf.range(3):
                total += x[i]
            return total

        step(tf.constant([1.0, 2.0, 3.0]))
        sys.stdout.buffer.write(cloudpickle.dumps(step))
    """)
    (tmp_path / "sender.py").write_text(script)
    env = dict(os.environ, PYTHONPATH=ROOT, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    sent = subprocess.run([sys.executable, str(tmp_path / "sender.py")], capture_output=True,
                          env=env, timeout=300)
    assert sent.returncode == 0, sent.stderr[-3000:]
    out = _in_fresh_process(tmp_path, sent.stdout, """
        print(float(obj(tf.constant([1.0, 2.0, 4.0]))))
    """)
    assert out == ["7.0"]


def test_plain_pickle_of_a_lambda_raises_one_clear_type_error():
    f = tf.function(lambda x: x + 1.0)
    with pytest.raises(TypeError, match="cannot pickle tf.function.*cloudpickle"):
        pickle.dumps(f)


def test_concrete_function_says_what_to_send_instead():
    cf = module_level_double.get_concrete_function(tf.constant([1.0]))
    with pytest.raises(TypeError, match="Send the tf.function itself"):
        pickle.dumps(cf)


def test_module_with_a_function_method_pickles_with_its_variables():
    m = Scaler(2.0)
    assert float(m(tf.constant(3.0))) == 6.0
    m.k.assign(5.0)
    copy = cloudpickle.loads(cloudpickle.dumps(m))
    assert float(copy(tf.constant(3.0))) == 15.0
    assert not copy.k._value.flags.writeable
    copy.k.assign(1.0)
    assert float(m(tf.constant(3.0))) == 15.0  # the copy's variable is its own
    bound = pickle.loads(pickle.dumps(m.__call__))
    assert float(bound(tf.constant(2.0))) == 10.0


@pytest.fixture
def saved(tmp_path):
    m = Scaler(2.0)
    m.serve = tf.function(lambda x: m(x) + 1.0, input_signature=[tf.TensorSpec([None])])
    path = str(tmp_path / "model")
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_loaded_saved_model_pickles_by_directory_with_current_variables(saved, dumps):
    loaded = tf.saved_model.load(saved)
    loaded.k.assign(4.0)  # changed after loading: the receiver sees 4, not the saved 2
    copy = pickle.loads(dumps(loaded))
    assert float(copy.k.numpy()) == 4.0
    np.testing.assert_array_equal(copy.serve(tf.constant([1.0, 2.0])).numpy(), [5.0, 9.0])
    serve = pickle.loads(dumps(loaded.serve))
    np.testing.assert_array_equal(serve(tf.constant([1.0])).numpy(), [5.0])
    sig = pickle.loads(dumps(loaded.signatures["serving_default"]))
    assert list(sig(x=tf.constant([0.0])).values())[0].numpy().tolist() == [1.0]


def test_loaded_saved_model_in_a_fresh_process(saved, tmp_path):
    loaded = tf.saved_model.load(saved)
    out = _in_fresh_process(tmp_path, pickle.dumps(loaded), """
        print(obj.serve(tf.constant([3.0])).numpy().tolist())
    """)
    assert out == ["[7.0]"]


def test_unpickling_a_model_whose_directory_is_gone_names_it(saved, tmp_path):
    import shutil
    payload = pickle.dumps(tf.saved_model.load(saved))
    shutil.rmtree(saved)
    with pytest.raises(OSError, match="loads it again from .*model"):
        pickle.loads(payload)
