"""Where Keras data sets live: `$KERAS_HOME/datasets` (default `~/.keras/datasets`), as Keras.

This machine has no network, so a missing file is an error saying which file to put where
(Keras would download it from the URL named in the message).
"""
import os

_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def datasets_dir():
    """`$KERAS_HOME/datasets`, else `~/.keras/datasets`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets")


def locate(path, what, url=None):
    """The full path of a data set file (`path` may be absolute); FileNotFoundError naming
    the file, the folder and where to get it when it is absent.

    >>> import os, tempfile
    >>> try:
    ...     tf.keras.datasets.boston_housing.locate(
    ...         os.path.join(tempfile.mkdtemp(), "missing.npz"), "example")
    ... except FileNotFoundError as e:
    ...     print("not found" in str(e))
    True
    """
    full = os.path.join(datasets_dir(), os.fspath(path))
    if not os.path.exists(full):
        source = url or _BASE_URL + os.path.basename(os.fspath(path))
        raise FileNotFoundError(
            f"{what}: {full} not found. This machine cannot download it: fetch {source} "
            f"elsewhere and put it at {full} (or set KERAS_HOME to the folder that holds "
            f"datasets/{os.path.basename(full)}).")
    return full
