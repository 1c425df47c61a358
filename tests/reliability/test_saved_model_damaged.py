"""Damaged SavedModel folders give one clear TF error naming the file and what is wrong in it
(issue 11, defect 11): never KeyError, IndexError, BadZipFile, or a VerificationError that calls
itself a bug in the optimizer."""
import json
import os
import zipfile

import numpy as np
import pytest

import autograph_jit as tf


class _Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.ones((3, 2), np.float32), name="w")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w))


@pytest.fixture
def saved(tmp_path):
    path = str(tmp_path / "model")
    tf.saved_model.save(_Model(), path)
    return path


def _json(path):
    return os.path.join(path, "saved_model.json")


def _npz(path):
    return os.path.join(path, "variables.npz")


def _edit(path, fn):
    with open(_json(path)) as fh:
        meta = json.load(fh)
    fn(meta)
    with open(_json(path), "w") as fh:
        json.dump(meta, fh)


def _truncate(file):
    data = open(file, "rb").read()
    with open(file, "wb") as fh:
        fh.write(data[:len(data) // 2])


def _first_graph(meta):
    return next(iter(meta["functions"].values()))[0]["graph"]


def _swap_matmul_inputs(meta):
    graph = _first_graph(meta)
    for node in graph["nodes"]:
        if node["op"] == "matmul":
            node["inputs"] = [node["inputs"][1], node["inputs"][0]]


def _dangling_input(meta):
    _first_graph(meta)["nodes"][-1]["inputs"] = [999]


def _wrong_shape_npz(path):
    with np.load(_npz(path)) as z:
        arrays = {k: np.ones((5, 5), z[k].dtype) for k in z.files}
    np.savez(_npz(path), **arrays)


def _foreign_zip(path):
    with zipfile.ZipFile(_npz(path), "w") as z:
        z.writestr("hello.txt", "not an array")


def _rename_op(meta):
    text = json.dumps(meta["functions"]).replace('"matmul"', '"no_such_op"')
    meta["functions"] = json.loads(text)


CASES = [
    ("json missing", lambda p: os.remove(_json(p)), OSError, "saved_model.json",
     "does not exist"),
    ("json garbled", lambda p: open(_json(p), "w").write("{not json"),
     tf.errors.DataLossError, "saved_model.json", "not JSON"),
    ("json truncated", lambda p: _truncate(_json(p)), tf.errors.DataLossError,
     "saved_model.json", "not JSON"),
    ("json without variables", lambda p: _edit(p, lambda m: m.pop("variables")),
     tf.errors.DataLossError, "saved_model.json", "'variables' is missing"),
    ("json node without inputs",
     lambda p: _edit(p, lambda m: _first_graph(m)["nodes"][0].pop("inputs")),
     tf.errors.DataLossError, "saved_model.json", "missing key 'inputs'"),
    ("json dangling value index", lambda p: _edit(p, _dangling_input),
     tf.errors.DataLossError, "saved_model.json", "index out of range"),
    ("json dangling root reference",
     lambda p: _edit(p, lambda m: m["root"]["object"]["attributes"].update(
         w={"variable": "nope"})),
     tf.errors.DataLossError, "saved_model.json", "'nope'"),
    ("json unknown op", lambda p: _edit(p, _rename_op), tf.errors.NotFoundError,
     "saved_model.json", "no_such_op"),
    ("graph fails verification", lambda p: _edit(p, _swap_matmul_inputs),
     tf.errors.DataLossError, "saved_model.json", "saved graph is invalid"),
    ("npz missing", lambda p: os.remove(_npz(p)), tf.errors.NotFoundError, "variables.npz",
     "is missing"),
    ("npz truncated", lambda p: _truncate(_npz(p)), tf.errors.DataLossError, "variables.npz",
     "damaged or truncated"),
    ("npz a foreign zip", _foreign_zip, tf.errors.DataLossError, "variables.npz",
     "no array"),
    ("npz wrong shapes", _wrong_shape_npz, tf.errors.DataLossError, "variables.npz",
     "has shape [5, 5] but saved_model.json records [3, 2]"),
]


@pytest.mark.parametrize("damage,error,file,what", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_damaged_folder_raises_a_tf_error_naming_the_file_and_the_defect(saved, damage,
                                                                          error, file, what):
    damage(saved)
    with pytest.raises(error) as info:
        m = tf.saved_model.load(saved)
        m(tf.ones([2, 3]))
    message = str(info.value)
    assert file in message and what in message, message
    assert "bug in the optimizer" not in message
    assert type(info.value) not in (KeyError, IndexError, zipfile.BadZipFile)


def test_an_intact_folder_still_loads_and_runs(saved):
    m = tf.saved_model.load(saved)
    np.testing.assert_allclose(m(tf.ones([2, 3])).numpy(), np.full((2, 2), 3.0))
