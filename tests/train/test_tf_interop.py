"""Checkpoints written here load in real TensorFlow and TF's load here (runs only where
tensorflow is installed; the fixture tests in test_bundle.py/test_checkpoint.py always run)."""
import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")
real_tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import autograph_jit as tf  # noqa: E402


def _weights():
    rng = np.random.default_rng(3)
    return (rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float64))


def test_tf_restores_our_checkpoint_bit_for_bit(tmp_path):
    w, b = _weights()
    ours = tf.Module()
    ours.w, ours.b = tf.Variable(w), tf.Variable(b)
    ours.items = [tf.Variable(np.int64(7)), {"k": tf.Variable(np.float16(1.5))}]
    path = tf.train.Checkpoint(model=ours).save(str(tmp_path / "ckpt"))
    theirs = real_tf.Module()
    theirs.w = real_tf.Variable(np.zeros((3, 4), np.float32))
    theirs.b = real_tf.Variable(np.zeros(4, np.float64))
    theirs.items = [real_tf.Variable(np.int64(0)), {"k": real_tf.Variable(np.float16(0))}]
    real_tf.train.Checkpoint(model=theirs).restore(path).assert_consumed()
    assert theirs.w.numpy().tobytes() == w.tobytes() and theirs.b.numpy().tobytes() == b.tobytes()
    assert int(theirs.items[0].numpy()) == 7 and float(theirs.items[1]["k"].numpy()) == 1.5
    assert real_tf.train.latest_checkpoint(str(tmp_path)) == path


def test_we_restore_tf_module_and_keras_adam_checkpoint(tmp_path):
    w, b = _weights()
    theirs = real_tf.Module()
    theirs.w, theirs.b = real_tf.Variable(w), real_tf.Variable(b.astype(np.float32))
    opt = keras.optimizers.Adam(0.01)
    opt.apply_gradients([(real_tf.ones_like(theirs.w), theirs.w), (real_tf.ones_like(theirs.b), theirs.b)])
    manager = real_tf.train.CheckpointManager(real_tf.train.Checkpoint(model=theirs, optimizer=opt),
                                              str(tmp_path), max_to_keep=2)
    manager.save()
    ours = tf.Module()
    ours.w, ours.b = tf.Variable(np.zeros((3, 4), np.float32)), tf.Variable(np.zeros(4, np.float32))
    our_opt = tf.keras.optimizers.Adam(0.01)
    status = tf.train.Checkpoint(model=ours, optimizer=our_opt).restore(
        tf.train.latest_checkpoint(str(tmp_path)))
    our_opt.build([ours.w, ours.b])
    status.assert_consumed()
    assert ours.w.numpy().tobytes() == theirs.w.numpy().tobytes()
    for a, b_ in zip(our_opt._momentums + our_opt._velocities, opt._momentums + opt._velocities):
        assert a.numpy().tobytes() == b_.numpy().tobytes()
