"""The Spark adapters on `local[2]` (SPARK_LOCAL_IP=127.0.0.1): a Keras model saved as a
SavedModel scores a parquet data set through `mapInPandas` and `predict_batch_udf`, equal to
the model in process. One Spark session for the module (its start-up is most of the time)."""
import os
import shutil
import sys

import numpy as np
import pytest

import autograph_jit as tf

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java (none on PATH, no JAVA_HOME)", allow_module_level=True)

from autograph_jit.batch.spark import predict_batch_udf, predict_map_in_pandas  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession
    saved = {k: os.environ.get(k) for k in ("SPARK_LOCAL_IP", "PYSPARK_PYTHON", "PYTHONPATH",
                                            "OMP_NUM_THREADS")}
    os.environ.update(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
                      OMP_NUM_THREADS="1",
                      PYTHONPATH=ROOT + os.pathsep + (saved["PYTHONPATH"] or ""))
    local = str(tmp_path_factory.mktemp("spark"))
    session = (SparkSession.builder.master("local[2]").appName("autograph_jit-test")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.local.dir", local)
               .config("spark.sql.warehouse.dir", os.path.join(local, "warehouse"))
               .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={local}")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def keras_model_dir(tmp_path_factory):
    tf.random.set_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(8, "relu"),
                                 tf.keras.layers.Dense(2)])
    model.compile("adam", "mse")
    x = np.random.RandomState(1).randn(64, 3).astype("float32")
    model.fit(x, x[:, :2] * 2, epochs=2, verbose=0)
    path = str(tmp_path_factory.mktemp("keras_saved"))
    tf.saved_model.save(model, path)
    return model, path


def test_spark_scores_a_parquet_data_set_like_the_model_in_process(spark, keras_model_dir,
                                                                   tmp_path):
    from pyspark.sql import functions as F
    model, path = keras_model_dir
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)).astype(np.float32), columns=["a", "b", "c"])
    frame.insert(0, "id", np.arange(300, dtype=np.int64))
    parquet = tmp_path / "rows"   # a data set of two parquet files: two partitions
    parquet.mkdir()
    frame[:150].to_parquet(parquet / "part-0.parquet", index=False)
    frame[150:].to_parquet(parquet / "part-1.parquet", index=False)
    expected = model.predict(frame[["a", "b", "c"]].to_numpy(), verbose=0)

    df = spark.read.parquet(str(parquet))
    scored = predict_map_in_pandas(df, path, keep=["id"], batch_size=64).toPandas()
    scored = scored.sort_values("id").reset_index(drop=True)
    assert list(scored.columns[:1]) == ["id"] and len(scored) == 300
    out_cols = [c for c in scored.columns if c != "id"]
    np.testing.assert_allclose(scored[out_cols].to_numpy(), expected, rtol=1e-5, atol=1e-6)

    udf = predict_batch_udf(path, batch_size=64)
    rows = (df.withColumn("score", udf(F.struct("a", "b", "c"))).select("id", "score")
            .toPandas().sort_values("id"))
    got = np.stack(rows["score"].to_numpy())
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
