"""tf.distribute in one process: strategy contexts, MirroredStrategy (one CPU replica), TF_CONFIG
parsing, dataset sharding by AutoShardPolicy, and the startup timeout naming a missing worker."""
import json

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.distribute.input_lib import distribute_dataset, split_rows


def _values(ds):
    return [np.asarray(e).tolist() for e in ds]


def test_contexts_inside_and_outside_a_scope_follow_tf():
    strategy = tf.distribute.MirroredStrategy()
    assert not tf.distribute.has_strategy()
    assert tf.distribute.get_replica_context() is not None   # the default replica context
    with strategy.scope():
        assert tf.distribute.get_strategy() is strategy and tf.distribute.has_strategy()
        assert tf.distribute.in_cross_replica_context()
        assert tf.distribute.get_replica_context() is None
        ctx = strategy.run(tf.distribute.get_replica_context)
        assert ctx.num_replicas_in_sync == 1
    assert not tf.distribute.has_strategy()


def test_mirrored_strategy_runs_one_cpu_replica_and_reduces_like_tf():
    strategy = tf.distribute.MirroredStrategy()
    assert strategy.num_replicas_in_sync == 1
    v = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(strategy.reduce("SUM", v, axis=0).numpy(), [4.0, 6.0])
    np.testing.assert_allclose(strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=0).numpy(),
                               [2.0, 3.0])
    np.testing.assert_allclose(strategy.reduce("MEAN", v, axis=None).numpy(), v.numpy())
    np.testing.assert_allclose(strategy.gather(v, axis=0).numpy(), v.numpy())
    assert strategy.experimental_local_results(v) == (v,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one replica on the CPU"):
        tf.distribute.MirroredStrategy(["/gpu:0", "/gpu:1"])
    with pytest.raises(ValueError, match="SUM or MEAN"):
        strategy.reduce("MAX", v, axis=None)


def test_keras_fit_under_mirrored_strategy_equals_plain_fit():
    x = np.random.RandomState(0).randn(32, 3).astype("float32")
    y = (x @ np.ones((3, 1), np.float32)).astype("float32")

    def make():
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        model.compile(tf.keras.optimizers.SGD(0.1), "mse")
        return model
    plain = make()
    with tf.distribute.MirroredStrategy().scope() as strategy:
        mirrored = make()
    assert mirrored.distribute_strategy is strategy
    mirrored.set_weights(plain.get_weights())
    plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    mirrored.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), mirrored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_split_rows_splits_a_global_batch_evenly_first_parts_larger():
    assert [split_rows(5, 2, i) for i in range(2)] == [(0, 3), (3, 5)]
    assert [split_rows(8, 2, i) for i in range(2)] == [(0, 4), (4, 8)]
    assert [split_rows(1, 2, i) for i in range(2)] == [(0, 1), (1, 1)]


def test_data_policy_gives_each_worker_its_rows_of_every_global_batch():
    ds = tf.data.Dataset.range(10).batch(4)
    assert _values(distribute_dataset(ds, 0, 2)) == [[0, 1], [4, 5], [8]]
    assert _values(distribute_dataset(ds, 1, 2)) == [[2, 3], [6, 7], [9]]
    unbatched = tf.data.Dataset.range(5)
    assert _values(distribute_dataset(unbatched, 1, 2)) == [1, 3]


def test_off_policy_gives_every_worker_everything():
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    ds = tf.data.Dataset.range(4).batch(2).with_options(options)
    assert _values(distribute_dataset(ds, 1, 2)) == [[0, 1], [2, 3]]


def _text_files(tmp_path, n):
    paths = []
    for i in range(n):
        p = tmp_path / f"part{i}.txt"
        p.write_text("".join(f"{i}-{j}\n" for j in range(2)))
        paths.append(str(p))
    return paths


def _with_policy(ds, policy):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy
    return ds.with_options(options)


def test_file_and_auto_policies_give_each_worker_whole_files(tmp_path):
    policy = tf.data.experimental.AutoShardPolicy
    ds = tf.data.TextLineDataset(_text_files(tmp_path, 4)).batch(3)
    for p in (policy.FILE, policy.AUTO):
        got = [[s.decode() for s in b] for b in distribute_dataset(_with_policy(ds, p), 1, 2)
               .as_numpy_iterator()]
        assert got == [["1-0", "1-1", "3-0"], ["3-1"]]
    # the original pipeline is untouched
    assert sum(len(b) for b in ds.as_numpy_iterator()) == 8


def test_file_policy_without_enough_files_errors_and_auto_falls_back_to_data(tmp_path):
    policy = tf.data.experimental.AutoShardPolicy
    ds = tf.data.TextLineDataset(_text_files(tmp_path, 1)).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one file per worker"):
        distribute_dataset(_with_policy(ds, policy.FILE), 0, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="no file reader"):
        distribute_dataset(_with_policy(tf.data.Dataset.range(4), policy.FILE), 0, 2)
    got = [[s.decode() for s in b] for b in distribute_dataset(ds, 1, 2).as_numpy_iterator()]
    assert got == [["0-1"]]


def test_tf_config_ranks_the_chief_first_and_rejects_bad_configs(monkeypatch):
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver
    monkeypatch.setenv("TF_CONFIG", json.dumps({
        "cluster": {"chief": ["h:1"], "worker": ["h:2", "h:3"]},
        "task": {"type": "worker", "index": 1}}))
    r = resolver()
    assert r.worker_addresses() == ["h:1", "h:2", "h:3"] and r.rank() == 2
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not valid JSON"):
        resolver()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["h:1"]},
                                                "task": {"type": "ps", "index": 0}}))
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not train"):
        resolver().rank()
    monkeypatch.delenv("TF_CONFIG")
    assert tf.distribute.MultiWorkerMirroredStrategy().num_replicas_in_sync == 1


def test_a_worker_that_never_starts_times_out_at_startup_naming_it(monkeypatch):
    import socket
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    addresses = [f"127.0.0.1:{s.getsockname()[1]}" for s in socks]
    for s in socks:
        s.close()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": addresses},
                                                "task": {"type": "worker", "index": 0}}))
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=0.5)
    with pytest.raises(tf.errors.DeadlineExceededError, match=f"worker 1 \\({addresses[1]}\\)"):
        tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
