"""`tf.keras.datasets.cifar10`: 32x32x3 uint8 images, from the pickled batches in
`cifar-10-batches-py/` (the extracted cifar-10-python.tar.gz) of the Keras datasets folder."""
import os
import pickle

import numpy as np

from ._files import locate

_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def _load_batch(path):
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="bytes")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return data, np.asarray(d["labels"])


def load_data():
    """((x_train, y_train), (x_test, y_test)): uint8 (50000, 32, 32, 3), (50000, 1), (10000,
    32, 32, 3), (10000, 1) — channels last, as Keras' default image_data_format.

    The files are never downloaded here; without them the error says where to put them:

    >>> import os, tempfile
    >>> os.environ["KERAS_HOME"] = tempfile.mkdtemp()
    >>> try:
    ...     tf.keras.datasets.cifar10.load_data()
    ... except FileNotFoundError as e:
    ...     print("cifar-10-batches-py" in str(e))
    True
    >>> del os.environ["KERAS_HOME"]
    """
    where = "cifar-10-batches-py"
    xs, ys = [], []
    for i in range(1, 6):
        x, y = _load_batch(locate(os.path.join(where, f"data_batch_{i}"),
                                  "cifar10.load_data", _URL))
        xs.append(x)
        ys.append(y)
    x_test, y_test = _load_batch(locate(os.path.join(where, "test_batch"),
                                        "cifar10.load_data", _URL))
    x_train = np.concatenate(xs).transpose(0, 2, 3, 1)
    y_train = np.concatenate(ys).astype(np.uint8).reshape(-1, 1)
    x_test = x_test.transpose(0, 2, 3, 1)
    y_test = y_test.astype(np.uint8).reshape(-1, 1)
    return (x_train, y_train), (x_test, y_test)
