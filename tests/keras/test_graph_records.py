"""The graph cache's record form (keras/models/graph_records.py): graphs come back as they were
written, smaller than graph_json's form, and a damaged record raises instead of decoding."""
import json

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.ir.graph import TOKEN
from autograph_jit.ir.verifier import verify
from autograph_jit.keras.models import graph_records
from autograph_jit.runtime.interpreter import run_graph
from autograph_jit.tracing import graph_json


def _concrete():
    v = tf.Variable(np.ones(3, np.float32), name="w")

    @tf.function
    def f(x, n):
        def body(i, x):
            x = tf.cond(tf.reduce_sum(x) > 10.0, lambda: x * 0.5, lambda: x + v)
            return i + 1, x
        _, x = tf.while_loop(lambda i, x: i < n, body, (tf.constant(0), x))
        v.assign_add(x)
        return tf.nn.relu(x * np.array([1.0, -2.0, 3.0], np.float32))
    cf = f.get_concrete_function(tf.TensorSpec([3], tf.float32), tf.TensorSpec([], tf.int32))
    return cf, v


def _round_trip(graph, variables):
    tables = graph_records.Tables()
    record = graph_records.encode(graph, tables, lambda var: variables.index(var))
    text = json.dumps({"tables": tables.as_json(), "graph": record})
    data = json.loads(text)
    return graph_records.decode(data["graph"], graph_records.decode_tables(data["tables"]),
                                variables), text


@pytest.mark.parametrize("stage", ["traced", "optimized"])
def test_a_graph_with_regions_variables_and_constants_comes_back_as_written(stage):
    cf, v = _concrete()
    graph = cf.graph if stage == "traced" else cf.optimized_graph
    back, _ = _round_trip(graph, [v])
    verify(back)
    assert str(back) == str(graph)   # (the printer numbers values itself: ops, attrs, types)
    x = np.array([1.0, 2.0, 3.0], np.float32)
    v.assign(np.ones(3, np.float32))
    want = run_graph(graph, [x, np.int32(4), None])[0]
    v.assign(np.ones(3, np.float32))
    got = run_graph(back, [x, np.int32(4), None])[0]
    np.testing.assert_array_equal(got, want)


def test_values_of_one_type_share_one_type_object_and_the_record_is_smaller():
    cf, v = _concrete()
    back, text = _round_trip(cf.graph, [v])
    types = [o.type for n in back.walk() for o in n.outputs if o.type is not TOKEN]
    assert len({id(t) for t in types}) == len({(t.dtype, t.shape) for t in types})
    assert len(text) < 0.7 * len(json.dumps(graph_json.encode_graph(cf.graph, lambda var: 0)))


@pytest.mark.parametrize("damage, error", [
    (lambda r: r[3][-1].__setitem__(0, "no_such_op"), ValueError),
    (lambda r: r[3][-1].__setitem__(2, [10 ** 6]), IndexError),
    (lambda r: r[3][-1].__setitem__(2, [-1]), IndexError),
    (lambda r: r[3][-1].__setitem__(3, [-1]), IndexError),
    (lambda r: r[3][-1].__setitem__(5, -2), IndexError),
    (lambda r: r.__setitem__(4, [-1]), IndexError),
    (lambda r: r[3][-1].pop(), ValueError),
    (lambda r: r.__setitem__(2, ["only one name"]), ValueError),
])
def test_a_damaged_record_raises_instead_of_decoding(damage, error):
    cf, v = _concrete()
    tables = graph_records.Tables()
    record = json.loads(json.dumps(graph_records.encode(cf.graph, tables, lambda var: 0)))
    decoded_tables = graph_records.decode_tables(json.loads(json.dumps(tables.as_json())))
    damage(record)
    with pytest.raises(error):
        graph_records.decode(record, decoded_tables, [v])
