"""tf.summary: event files read back with TensorBoard's own reader, eagerly and from tf.function
(compiled and interpreted), record_if, steps, writers, and trace_export."""
import io
import os
import zlib

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import autograph_jit as tf
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def _read(logdir):
    acc = event_accumulator.EventAccumulator(
        str(logdir), size_guidance={event_accumulator.TENSORS: 0, event_accumulator.GRAPH: 1})
    acc.Reload()
    return acc


def _values(acc, tag):
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def test_eager_scalar_histogram_image_text_are_read_by_tensorboard(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    data = np.random.default_rng(0).standard_normal(1000)
    images = np.random.default_rng(1).random((4, 5, 6, 3)).astype(np.float32)
    with writer.as_default(step=7):
        assert bool(tf.summary.scalar("loss", 0.25))
        tf.summary.histogram("weights", data, buckets=10)
        tf.summary.image("pics", images, max_outputs=2)
        tf.summary.text("note", "hello **world**")
    acc = _read(tmp_path)
    assert sorted(acc.Tags()["tensors"]) == ["loss", "note", "pics", "weights"]
    (step, value), = _values(acc, "loss")
    assert step == 7 and value == np.float32(0.25)
    assert acc.SummaryMetadata("loss").plugin_data.plugin_name == "scalars"
    (_, hist), = _values(acc, "weights")
    assert hist.shape == (10, 3) and hist[:, 2].sum() == 1000
    assert hist[0, 0] == data.min() and hist[-1, 1] == data.max()
    (_, pics), = _values(acc, "pics")
    assert pics[0] == b"6" and pics[1] == b"5" and len(pics) == 4   # width, height, 2 PNGs
    assert pics[2].startswith(b"\x89PNG") and acc.SummaryMetadata("pics").plugin_data.plugin_name == "images"
    assert _png_pixels(pics[2], 5, 6, 3).tolist() == (
        np.clip(images[0].astype(np.float64) * 255.5, 0, 255).astype(np.uint8).tolist())
    (_, note), = _values(acc, "note")
    assert note == b"hello **world**"
    assert [f for f in os.listdir(tmp_path) if f.startswith("events.out.tfevents.")][0].endswith(".v2")


def _png_pixels(png, h, w, c):
    pos, idat = 8, b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, c)


@pytest.mark.parametrize("backend", ["cpu", "eager"])
def test_scalar_inside_tf_function_writes_every_call_in_order(tmp_path, backend, capsys):
    writer = tf.summary.create_file_writer(str(tmp_path))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function(backend=backend)
    def train(x):
        step.assign_add(1)
        tf.summary.scalar("x2", x * 2.0, step=step)
        tf.print("after", step)
        return x

    with writer.as_default():
        for i in range(4):
            train(tf.constant(float(i)))
    assert train.experimental_get_tracing_count() == 1
    acc = _read(tmp_path)
    assert [(s, float(v)) for s, v in _values(acc, "x2")] == [(1, 0.0), (2, 2.0), (3, 4.0), (4, 6.0)]
    cf = train.get_concrete_function(tf.constant(1.0))
    assert "write_summary" in str(cf.graph)
    if backend == "cpu":
        assert "host callback" in cf.explain()


def test_default_step_and_name_scope_prefix(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    tf.summary.experimental.set_step(11)
    try:
        assert tf.summary.experimental.get_step() == 11
        with writer.as_default(), tf.name_scope("train"):
            tf.summary.scalar("acc", 0.9)
    finally:
        tf.summary.experimental.set_step(None)
    acc = _read(tmp_path)
    assert [s for s, _ in _values(acc, "train/acc")] == [11]


def test_missing_step_is_an_error_naming_set_step(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        with pytest.raises(ValueError, match="set_step"):
            tf.summary.scalar("loss", 1.0)


def test_record_if_and_no_writer_write_nothing(tmp_path):
    assert not bool(tf.summary.scalar("loss", 1.0, step=0))           # no default writer
    assert not bool(tf.summary.should_record_summaries())
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        assert bool(tf.summary.should_record_summaries())
        with tf.summary.record_if(False):
            assert not bool(tf.summary.scalar("off", 1.0, step=0))
            assert not bool(tf.summary.should_record_summaries())
        for i in range(6):
            with tf.summary.record_if(lambda: i % 3 == 0):
                tf.summary.scalar("every3", float(i), step=i)
    with tf.summary.create_noop_writer().as_default():
        assert not bool(tf.summary.scalar("noop", 1.0, step=0))
    acc = _read(tmp_path)
    assert "off" not in acc.Tags()["tensors"]
    assert [s for s, _ in _values(acc, "every3")] == [0, 3]


def test_record_if_with_a_tensor_condition_inside_tf_function(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def f():
        step.assign_add(1)
        with tf.summary.record_if(step % 2 == 0):
            return tf.summary.scalar("even", tf.cast(step, tf.float32), step=step)

    with writer.as_default():
        written = [bool(f()) for _ in range(5)]
    assert written == [False, True, False, True, False]
    assert [s for s, _ in _values(_read(tmp_path), "even")] == [2, 4]


def test_set_as_default_flush_and_close(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path / "a"), flush_millis=10 ** 7)
    writer.set_as_default(step=1)
    try:
        tf.summary.scalar("v", 3.0)
        tf.summary.flush()
        assert [float(v) for _, v in _values(_read(tmp_path / "a"), "v")] == [3.0]
    finally:
        tf.summary.writer._state.writer = None
        tf.summary.experimental.set_step(None)
    writer.close()
    with writer.as_default():
        with pytest.raises(RuntimeError, match="closed"):
            tf.summary.scalar("late", 1.0, step=2)


def test_bad_inputs_raise_naming_the_summary(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=0):
        with pytest.raises(ValueError, match="scalar 'loss'.*must be a scalar"):
            tf.summary.scalar("loss", [1.0, 2.0])
        with pytest.raises(ValueError, match="image 'im'.*channels"):
            tf.summary.image("im", np.zeros((2, 3, 3, 2)))
        with pytest.raises(ValueError, match="step.*integer"):
            tf.summary.scalar("s", 1.0, step=1.5)


def test_trace_export_writes_the_traced_graph(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))

    @tf.function
    def f(x):
        return tf.nn.relu(x) * 2.0

    tf.summary.trace_on(graph=True)
    f(tf.constant([1.0, -1.0]))
    with writer.as_default():
        tf.summary.trace_export("f_trace", step=0)
    acc = _read(tmp_path)
    assert acc.Tags()["run_metadata"] == ["f_trace"]
    graph = acc.Graph()
    ops = {n.op for n in graph.node}
    assert {"Placeholder", "relu", "multiply"} <= ops
    relu = next(n for n in graph.node if n.op == "relu")
    assert any(i.startswith("f/") for i in relu.input)
    meta = acc.RunMetadata("f_trace")
    assert len(meta.function_graphs) == 1
    with pytest.raises(ValueError, match="profiler"):
        tf.summary.trace_on(profiler=True)


def test_image_summaries_of_uint8_and_grayscale(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=0):
        tf.summary.image("gray", np.arange(12, dtype=np.uint8).reshape(1, 3, 4, 1))
    (_, blobs), = _values(_read(tmp_path), "gray")
    assert _png_pixels(blobs[2], 3, 4, 1).ravel().tolist() == list(range(12))
    assert io.BytesIO(blobs[2]).read(4) == b"\x89PNG"


def test_text_histogram_image_inside_tf_function_write_every_call(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))

    @tf.function
    def f(x):
        tf.summary.text("note", "step text")
        tf.summary.histogram("hx", x, buckets=4)
        tf.summary.image("im", tf.reshape(x, [1, 2, 2, 1]))
        return tf.summary.should_record_summaries()

    x = tf.constant([0.0, 0.25, 0.5, 1.0])
    with writer.as_default(step=5):
        assert bool(f(x)) and bool(f(x))
        tf.summary.text("list", ["a", "b"])
        tf.summary.histogram("empty", [])
    acc = _read(tmp_path)
    assert [s for s, _ in _values(acc, "note")] == [5, 5]
    (_, h), _ = _values(acc, "hx")
    assert h.shape == (4, 3) and h[:, 2].tolist() == [1, 1, 1, 1]
    (_, im), _ = _values(acc, "im")
    assert _png_pixels(im[2], 2, 2, 1).ravel().tolist() == [0, 63, 127, 255]
    (_, texts), = _values(acc, "list")
    assert texts.tolist() == [b"a", b"b"]


def test_summary_graph_writes_a_functions_graph(tmp_path):
    @tf.function
    def g(x):
        return tf.exp(x) + 1.0

    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        with pytest.raises(ValueError, match="not been traced"):
            tf.summary.graph(g)
        g(tf.constant(1.0))
        assert tf.summary.graph(g) is True
    assert {"exp", "add"} <= {n.op for n in _read(tmp_path).Graph().node}
    assert tf.summary.graph(g) is False          # no default writer
