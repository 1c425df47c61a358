"""tf.train.CheckpointManager, latest_checkpoint and the `checkpoint` state file."""
import os

import numpy as np
import pytest

pytest.importorskip("google.protobuf")
pytest.importorskip("google_crc32c")

import autograph_jit as tf
from autograph_jit.train import checkpoint_management as mgmt


def _files(d):
    return sorted(f for f in os.listdir(d) if f != "checkpoint")


def test_latest_checkpoint_of_a_missing_directory_is_none(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path / "nope")) is None
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_manager_keeps_max_to_keep_newest_and_records_them(tmp_path):
    v = tf.Variable([1.0])
    ckpt = tf.train.Checkpoint(v=v)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    paths = [manager.save() for _ in range(3)]
    assert paths == [str(tmp_path / f"ckpt-{i}") for i in (1, 2, 3)]
    assert manager.checkpoints == paths[1:]
    assert manager.latest_checkpoint == paths[2] == tf.train.latest_checkpoint(str(tmp_path))
    assert _files(tmp_path) == ["ckpt-2.data-00000-of-00001", "ckpt-2.index",
                                "ckpt-3.data-00000-of-00001", "ckpt-3.index"]
    text = open(tmp_path / "checkpoint").read()
    assert text.startswith('model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-2"\n'
                           'all_model_checkpoint_paths: "ckpt-3"\nall_model_checkpoint_timestamps: ')
    assert "last_preserved_timestamp: " in text


def test_checkpoint_name_and_explicit_number(tmp_path):
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), str(tmp_path),
                                         max_to_keep=None, checkpoint_name="model")
    assert manager.save(checkpoint_number=100) == str(tmp_path / "model-100")
    assert manager.save(checkpoint_number=tf.Variable(7, dtype=tf.int64)) == str(tmp_path / "model-7")
    assert manager.checkpoints == [str(tmp_path / "model-100"), str(tmp_path / "model-7")]


def test_a_new_manager_recovers_the_kept_list_and_keeps_deleting(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    first = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for _ in range(2):
        first.save()
    second = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert second.checkpoints == first.checkpoints
    second.save()
    assert _files(tmp_path) == ["ckpt-2.data-00000-of-00001", "ckpt-2.index",
                                "ckpt-3.data-00000-of-00001", "ckpt-3.index"]


def test_keep_checkpoint_every_n_hours_preserves_old_ones(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(mgmt.time, "time", lambda: clock[0])
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), str(tmp_path),
                                         max_to_keep=1, keep_checkpoint_every_n_hours=1)
    for _ in range(4):
        clock[0] += 1800.0   # half an hour between saves
        manager.save()
    # ckpt-2 (t=4600) is the first one an hour past the last preserved time (t=1000); ckpt-1
    # (t=2800) and ckpt-3 (t=6400, under an hour after ckpt-2) are deleted
    assert _files(tmp_path) == ["ckpt-2.data-00000-of-00001", "ckpt-2.index",
                                "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
    assert manager.checkpoints == [str(tmp_path / "ckpt-4")]


def test_checkpoint_interval_skips_saves_until_the_step_advances(tmp_path):
    step = tf.Variable(0, dtype=tf.int64)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), str(tmp_path),
                                         max_to_keep=None, step_counter=step,
                                         checkpoint_interval=10)
    saved = []
    for i in range(25):
        step.assign(i)
        saved.append(manager.save() is not None)
    assert [i for i, s in enumerate(saved) if s] == [0, 10, 20]
    with pytest.raises(ValueError, match="`step_counter` should be passed"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), str(tmp_path), 1, checkpoint_interval=3)


def test_restore_or_initialize_restores_latest_or_calls_init_fn(tmp_path):
    called = []
    v = tf.Variable([0.0, 0.0])
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path), max_to_keep=3,
                                         init_fn=lambda: called.append(True))
    assert manager.restore_or_initialize() is None and called == [True]
    v.assign([3.0, 4.0])
    path = manager.save()
    w = tf.Variable([0.0, 0.0])
    other = tf.train.CheckpointManager(tf.train.Checkpoint(v=w), str(tmp_path), max_to_keep=3)
    assert other.restore_or_initialize() == path
    assert w.numpy().tolist() == [3.0, 4.0]


def test_max_to_keep_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="positive integer or `None`"):
        tf.train.CheckpointManager(tf.train.Checkpoint(), str(tmp_path), max_to_keep=0)


def test_list_variables_and_load_checkpoint_accept_a_directory(tmp_path):
    v = tf.Variable(np.arange(4, dtype=np.float32))
    tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path), 1).save()
    assert ("v/.ATTRIBUTES/VARIABLE_VALUE", [4]) in tf.train.list_variables(str(tmp_path))
    reader = tf.train.load_checkpoint(str(tmp_path))
    assert reader.get_tensor("v/.ATTRIBUTES/VARIABLE_VALUE").tolist() == [0, 1, 2, 3]
    assert tf.train.load_variable(str(tmp_path), "v/.ATTRIBUTES/VARIABLE_VALUE").shape == (4,)
    os.mkdir(tmp_path / "empty")
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
        tf.train.load_checkpoint(str(tmp_path / "empty"))


def test_latest_checkpoint_skips_a_state_file_naming_deleted_files(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    path = ckpt.save(str(tmp_path / "c"))
    os.remove(path + ".index")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_checkpoint_options_skip_fsync_run_callbacks_and_refuse_async(tmp_path, monkeypatch):
    from autograph_jit.train import bundle
    synced = []
    monkeypatch.setattr(bundle.os, "fsync", lambda fd: synced.append(fd))
    seen = []
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=1)
    path = manager.save(options=tf.train.CheckpointOptions(
        experimental_fsync=False, experimental_write_callbacks=[seen.append, lambda: seen.append(0)]))
    assert synced == [] and seen == [path, 0]
    manager.save()
    assert len(synced) >= 3          # data, index and state files (and the directory)
    with pytest.raises(ValueError, match="Asynchronous checkpointing is not supported"):
        tf.train.CheckpointOptions(enable_async=True)


def test_checkpoints_iterator_yields_new_checkpoints_then_times_out(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    first = ckpt.save(str(tmp_path / "c"))
    it = tf.train.checkpoints_iterator(str(tmp_path), timeout=0)
    assert next(it) == first
    assert list(it) == []


def test_unreadable_state_file_is_ignored_with_a_warning(tmp_path):
    (tmp_path / "checkpoint").write_text("model_checkpoint_path: ckpt-1 {{{ garbage")
    with pytest.warns(UserWarning, match="checkpoint state file ignored"):
        assert tf.train.latest_checkpoint(str(tmp_path)) is None
