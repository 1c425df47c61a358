"""tf.train.Checkpoint: save/write/restore/read, the object graph, status assertions, deferred
restoration, shape mismatches, and TF-written checkpoints."""
import os
import warnings

import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

import autograph_jit as tf
from autograph_jit.errors import NotFoundError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


class Net(tf.Module):
    def __init__(self, w_shape=(2, 3), fill=0.0):
        super().__init__()
        self.w1 = tf.Variable(np.full(w_shape, fill, np.float32), name="w1")
        self.b1 = tf.Variable(np.full(w_shape[-1], fill, np.float32), name="b1")
        self.layers = [tf.Variable(fill, name="l0"), {"x": tf.Variable(int(fill), name="dx")}]


def test_save_numbers_files_and_writes_the_state_file(tmp_path):
    ckpt = tf.train.Checkpoint(model=Net(fill=1.0))
    p1 = ckpt.save(str(tmp_path / "ckpt"))
    p2 = ckpt.save(str(tmp_path / "ckpt"))
    assert p1 == str(tmp_path / "ckpt-1") and p2 == str(tmp_path / "ckpt-2")
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint", "ckpt-1.data-00000-of-00001", "ckpt-1.index",
        "ckpt-2.data-00000-of-00001", "ckpt-2.index"]
    assert open(tmp_path / "checkpoint").read() == (
        'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n')
    assert int(ckpt.save_counter.numpy()) == 2
    assert tf.train.latest_checkpoint(str(tmp_path)) == p2


def test_keys_follow_tf_attribute_paths(tmp_path):
    opt = tf.keras.optimizers.Adam(0.1)
    net = Net()
    opt.build([net.w1, net.b1])
    path = tf.train.Checkpoint(model=net, optimizer=opt).save(str(tmp_path / "ckpt"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert keys == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "model/b1/.ATTRIBUTES/VARIABLE_VALUE",
        "model/layers/0/.ATTRIBUTES/VARIABLE_VALUE",
        "model/layers/1/x/.ATTRIBUTES/VARIABLE_VALUE",
        "model/w1/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_momentums/0/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_momentums/1/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_velocities/0/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/_velocities/1/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE"]


def test_names_are_escaped_and_shared_variables_saved_once(tmp_path):
    v = tf.Variable(3.0)
    mod = tf.Module()
    mod.a = v
    mod.b = (v, tf.Variable(1.0))
    path = tf.train.Checkpoint(**{"odd": {"x/y.z": tf.Variable(2.0)}, "m": mod}).write(
        str(tmp_path / "w"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "odd/x.Sy..z/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "m/a/.ATTRIBUTES/VARIABLE_VALUE" in keys and "m/b/0/.ATTRIBUTES/VARIABLE_VALUE" not in keys
    assert "m/b/1/.ATTRIBUTES/VARIABLE_VALUE" in keys


def test_write_has_no_counter_and_no_state_file(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0]))
    assert ckpt.write(str(tmp_path / "x")) == str(tmp_path / "x")
    assert sorted(os.listdir(tmp_path)) == ["x.data-00000-of-00001", "x.index"]
    other = tf.Variable([0.0, 0.0])
    tf.train.Checkpoint(v=other).read(str(tmp_path / "x")).assert_consumed()
    assert other.numpy().tolist() == [1.0, 2.0]


def test_restore_is_bit_identical_and_status_assertions_pass(tmp_path):
    rng = np.random.default_rng(1)
    src = Net()
    for var in src.variables:
        var.assign(rng.standard_normal(var.shape.as_list()).astype(var.dtype.np_dtype))
    path = tf.train.Checkpoint(model=src).save(str(tmp_path / "c"))
    dst = Net()
    status = tf.train.Checkpoint(model=dst).restore(path)
    status.assert_consumed().assert_existing_objects_matched().assert_nontrivial_match()
    for a, b in zip(src.variables, dst.variables):
        assert a.numpy().tobytes() == b.numpy().tobytes()
    assert status.run_restore_ops() is None


def test_assert_consumed_reports_python_objects_missing_from_the_checkpoint(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(str(tmp_path / "c"))
    status = tf.train.Checkpoint(v=tf.Variable([0.0, 0.0]), w=tf.Variable(1.0)).restore(path)
    with pytest.raises(AssertionError, match="not bound to checkpointed values.*'w'"):
        status.assert_consumed()
    with pytest.raises(AssertionError, match="not bound"):
        status.assert_existing_objects_matched()
    status.assert_nontrivial_match()


def test_assert_consumed_reports_unused_checkpoint_values(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(str(tmp_path / "c"))
    status = tf.train.Checkpoint().restore(path)
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint .*\['v'\]"):
        status.assert_consumed()
    with pytest.raises(AssertionError, match="Nothing except the root object matched"):
        status.assert_nontrivial_match()
    status.assert_existing_objects_matched()


def test_unrestored_values_warn_unless_expect_partial(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable(1.0), w=tf.Variable(2.0)).save(str(tmp_path / "c"))
    with pytest.warns(UserWarning, match="w/.ATTRIBUTES/VARIABLE_VALUE"):
        status = tf.train.Checkpoint(v=tf.Variable(0.0)).restore(path)
        del status
        import gc
        gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.train.Checkpoint(v=tf.Variable(0.0)).restore(path).expect_partial()
        import gc
        gc.collect()


def test_restore_none_restores_nothing_and_its_assertions_fail():
    status = tf.train.Checkpoint(v=tf.Variable(1.0)).restore(None)
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()


def test_deferred_restoration_lands_when_module_attributes_are_created(tmp_path):
    src = Net(fill=7.0)
    path = tf.train.Checkpoint(model=src).save(str(tmp_path / "c"))

    class Lazy(tf.Module):
        def build(self):
            self.w1 = tf.Variable(np.zeros((2, 3), np.float32))
            self.b1 = tf.Variable(np.zeros(3, np.float32))
            self.layers = [tf.Variable(0.0), {"x": tf.Variable(0)}]

    lazy = Lazy()
    status = tf.train.Checkpoint(model=lazy).restore(path)
    with pytest.raises(AssertionError, match="Unresolved"):
        status.assert_consumed()
    status.assert_existing_objects_matched()
    lazy.build()
    assert lazy.w1.numpy().tolist() == [[7.0] * 3] * 2
    assert int(lazy.layers[1]["x"].numpy()) == 7
    status.assert_consumed()


def test_deferred_optimizer_slots_land_when_the_optimizer_builds(tmp_path):
    net = Net(fill=1.0)
    opt = tf.keras.optimizers.Adam(0.1)
    opt.apply_gradients([(tf.ones((2, 3)), net.w1), (tf.ones(3), net.b1)])
    path = tf.train.Checkpoint(model=net, optimizer=opt).save(str(tmp_path / "c"))
    net2, opt2 = Net(), tf.keras.optimizers.Adam(0.1)
    status = tf.train.Checkpoint(model=net2, optimizer=opt2).restore(path)
    assert int(opt2.iterations.numpy()) == 1
    opt2.build([net2.w1, net2.b1])
    for a, b in zip(opt._momentums + opt._velocities, opt2._momentums + opt2._velocities):
        assert a.numpy().tobytes() == b.numpy().tobytes()
    status.assert_consumed()


def test_shape_mismatch_names_the_path_and_both_shapes_and_changes_nothing(tmp_path):
    path = tf.train.Checkpoint(model=Net(w_shape=(2, 3), fill=5.0)).save(str(tmp_path / "c"))
    dst = Net(w_shape=(4, 3), fill=0.5)
    before = [v.numpy().copy() for v in dst.variables]
    with pytest.raises(ValueError, match=r"model/w1 .*shape \[2, 3\], the variable has shape "
                                         r"\[4, 3\].*Nothing was restored"):
        tf.train.Checkpoint(model=dst).restore(path)
    for b, v in zip(before, dst.variables):
        assert b.tobytes() == v.numpy().tobytes()


def test_dtype_mismatch_is_an_error_naming_both_dtypes(tmp_path):
    path = tf.train.Checkpoint(v=tf.Variable(np.zeros(2, np.float64))).save(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="dtype float64, the variable has dtype float32"):
        tf.train.Checkpoint(v=tf.Variable(np.zeros(2, np.float32))).restore(path)


def test_non_trackable_objects_are_refused():
    with pytest.raises(ValueError, match="expecting v to be a trackable object.*got 3"):
        tf.train.Checkpoint(v=3)


def test_missing_checkpoint_is_not_found_with_a_hint(tmp_path):
    with pytest.raises(NotFoundError, match="missing the checkpoint suffix"):
        tf.train.Checkpoint(v=tf.Variable(1.0)).restore(str(tmp_path / "nothere"))


def test_restores_a_checkpoint_written_by_tf_into_module_and_adam():
    """ckpt-1 was written by TF 2.21 + Keras 3.15: tf.train.Checkpoint(model=MLP(),
    optimizer=keras.optimizers.Adam(0.1)).save(...) after one step; see fixtures/README.md."""
    net = Net()
    opt = tf.keras.optimizers.Adam(0.1)
    status = tf.train.Checkpoint(model=net, optimizer=opt).restore(
        os.path.join(FIXTURES, "tf_module_adam", "ckpt-1"))
    opt.build([net.w1, net.b1])
    status.assert_consumed()
    np.testing.assert_allclose(net.w1.numpy(), np.arange(6).reshape(2, 3) - 0.1, atol=1e-5)
    assert int(opt.iterations.numpy()) == 1
    np.testing.assert_allclose(opt._momentums[0].numpy(), np.full((2, 3), 0.2), rtol=1e-6)
    np.testing.assert_allclose(opt._momentums[1].numpy(), np.full(3, 0.1), rtol=1e-6)
    np.testing.assert_allclose(opt._velocities[0].numpy(), np.full((2, 3), 0.004), rtol=1e-5)
    assert int(net.layers[1]["x"].numpy()) == 2


def test_root_argument_puts_its_dependencies_at_the_top_level(tmp_path):
    net = Net(fill=2.0)
    path = tf.train.Checkpoint(root=net).write(str(tmp_path / "r"))
    keys = [k for k, _ in tf.train.list_variables(path)]
    assert "w1/.ATTRIBUTES/VARIABLE_VALUE" in keys
    other = Net()
    tf.train.Checkpoint(root=other).read(path).assert_consumed()
    assert other.w1.numpy()[0, 0] == 2.0


def test_save_counter_is_restored_and_numbering_continues(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    for _ in range(3):
        last = ckpt.save(str(tmp_path / "c"))
    fresh = tf.train.Checkpoint(v=tf.Variable(0.0))
    fresh.restore(last).assert_consumed()
    assert int(fresh.save_counter.numpy()) == 3
    assert fresh.save(str(tmp_path / "c")) == str(tmp_path / "c-4")


def test_checkpoint_attributes_are_readable_and_settable(tmp_path):
    v = tf.Variable(2.0)
    ckpt = tf.train.Checkpoint(v=v)
    assert ckpt.v is v
    ckpt.extra = tf.Variable(5.0)
    path = ckpt.write(str(tmp_path / "x"))
    assert "extra/.ATTRIBUTES/VARIABLE_VALUE" in dict(tf.train.list_variables(path))
    restored = tf.train.Checkpoint(v=tf.Variable(0.0))
    status = restored.restore(path)
    restored.extra = tf.Variable(0.0)       # created after restore: deferred value lands
    assert float(restored.extra.numpy()) == 5.0
    status.assert_consumed()


def test_dropping_the_status_before_deferred_values_land_does_not_warn(tmp_path):
    import gc
    path = tf.train.Checkpoint(model=Net(fill=3.0)).save(str(tmp_path / "c"))

    class Lazy(tf.Module):
        pass

    lazy = Lazy()
    ckpt = tf.train.Checkpoint(model=lazy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ckpt.restore(path)           # status dropped at once
        gc.collect()
        lazy.w1 = tf.Variable(np.zeros((2, 3), np.float32))
        lazy.b1 = tf.Variable(np.zeros(3, np.float32))
        lazy.layers = [tf.Variable(0.0), {"x": tf.Variable(0)}]
        gc.collect()
    assert lazy.w1.numpy()[0, 0] == 3.0 and int(lazy.layers[1]["x"].numpy()) == 3
