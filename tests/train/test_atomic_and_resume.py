"""Crash safety of saves, and a mid-training round trip that continues bit-identically."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

import autograph_jit as tf
from autograph_jit.train import bundle

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_failure_between_data_and_index_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(v=v)
    first = ckpt.save(str(tmp_path / "c"))
    v.assign([5.0, 6.0])
    real_replace = os.replace

    def failing_replace(src, dst):
        if dst.endswith(".index"):
            raise OSError("disk full (simulated)")
        return real_replace(src, dst)

    monkeypatch.setattr(bundle.os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        ckpt.save(str(tmp_path / "c"))
    monkeypatch.undo()
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    assert not [f for f in os.listdir(tmp_path) if "tempstate" in f]
    w = tf.Variable([0.0, 0.0])
    tf.train.Checkpoint(v=w).restore(tf.train.latest_checkpoint(str(tmp_path))).assert_consumed()
    assert w.numpy().tolist() == [1.0, 2.0]


def test_process_killed_mid_save_leaves_a_restorable_latest_checkpoint(tmp_path):
    script = textwrap.dedent(f"""
        import os, numpy as np
        import autograph_jit as tf
        from autograph_jit.train import bundle
        v = tf.Variable(np.arange(1000, dtype=np.float32))
        manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), {str(tmp_path)!r}, 3)
        manager.save()
        v.assign(v + 1)
        calls = []
        def dying_fsync(fd):
            calls.append(fd)
            if len(calls) == 2:      # while the new index file is half-way to disk
                os._exit(3)
        bundle.os.fsync = dying_fsync
        manager.save()
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "ckpt-1")
    w = tf.Variable(np.zeros(1000, np.float32))
    tf.train.Checkpoint(v=w).restore(latest).assert_consumed()
    assert w.numpy()[:3].tolist() == [0.0, 1.0, 2.0]


class MLP(tf.Module):
    def __init__(self, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w1 = tf.Variable(rng.standard_normal((8, 16)).astype(np.float32) * 0.3)
        self.b1 = tf.Variable(np.zeros(16, np.float32))
        self.w2 = tf.Variable(rng.standard_normal((16, 1)).astype(np.float32) * 0.3)
        self.b2 = tf.Variable(np.zeros(1, np.float32))

    def __call__(self, x):
        return tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2


def _data():
    rng = np.random.default_rng(42)
    x = rng.standard_normal((32, 8)).astype(np.float32)
    return tf.constant(x), tf.constant((x.sum(1, keepdims=True) > 0).astype(np.float32))


def _train_step_fn(model, opt, compiled):
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return tf.function(step) if compiled else step


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf_function"])
def test_resume_mid_training_restores_weights_and_adam_slots_and_continues_identically(
        tmp_path, compiled):
    x, y = _data()
    model, opt = MLP(0), tf.keras.optimizers.Adam(0.01)
    step = _train_step_fn(model, opt, compiled)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model, optimizer=opt),
                                         str(tmp_path), max_to_keep=2)
    for _ in range(5):
        step(x, y)
    manager.save()
    losses = [float(step(x, y)) for _ in range(5)]
    final = [v.numpy().copy() for v in model.variables + tuple(opt.variables)]

    model2, opt2 = MLP(1), tf.keras.optimizers.Adam(0.01)   # different initial weights
    status = tf.train.Checkpoint(model=model2, optimizer=opt2).restore(manager.latest_checkpoint)
    step2 = _train_step_fn(model2, opt2, compiled)
    losses2 = [float(step2(x, y)) for _ in range(5)]        # slots restored as they are built
    status.assert_consumed()
    assert losses2 == losses
    final2 = [v.numpy() for v in model2.variables + tuple(opt2.variables)]
    assert len(final) == len(final2)
    for a, b in zip(final, final2):
        assert a.tobytes() == b.tobytes()
