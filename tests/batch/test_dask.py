"""The Dask adapter on a LocalCluster (2 worker processes on 127.0.0.1): scores equal the
in-process model on every row, partition by partition."""
import os

import numpy as np
import pytest

import autograph_jit as tf

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from autograph_jit.batch.dask import output_columns, predict_partitions  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Scorer(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.array([[1, -1], [2, 0], [0, 3]], np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        y = tf.matmul(x, self.w)
        return {"logits": y, "best": tf.reduce_max(y, axis=1)}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("scorer"))
    tf.saved_model.save(Scorer(), path)
    return path


def _frame(n=257):
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(n, 3)).astype(np.float32), columns=["a", "b", "c"])


def test_output_columns_split_batched_outputs(model_dir):
    cols = [c for c, _, _, _ in output_columns(model_dir)]
    assert sorted(cols) == ["best", "logits_0", "logits_1"]


def test_predict_partitions_equals_the_model_in_process(model_dir):
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=4)
    got = predict_partitions(ddf, model_dir, columns=["a", "b", "c"]).compute(
        scheduler="synchronous")
    expected = df.to_numpy() @ np.array([[1, -1], [2, 0], [0, 3]], np.float32)
    np.testing.assert_allclose(got[["logits_0", "logits_1"]].to_numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(got["best"].to_numpy(), expected.max(axis=1), rtol=1e-5)
    assert list(got.index) == list(df.index)


def test_predict_partitions_on_a_local_cluster_of_two_processes(model_dir, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    df = _frame(1000)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        ddf = dd.from_pandas(df, npartitions=6)
        got = predict_partitions(ddf, model_dir, columns=["a", "b", "c"]).compute()
        pids = client.run(os.getpid)
    expected = df.to_numpy() @ np.array([[1, -1], [2, 0], [0, 3]], np.float32)
    np.testing.assert_allclose(got[["logits_0", "logits_1"]].to_numpy(), expected, rtol=1e-5)
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
