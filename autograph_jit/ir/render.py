"""Pictures of DOT text: `render_dot(source, format="svg"|"png"|...)` runs Graphviz's `dot` program
(through the `graphviz` Python package) and returns the image's bytes.

One renderer for every picture the package draws: `cf.render_graph()` (a traced or optimized
graph, also what a ConcreteFunction shows in Jupyter) and `tf.keras.utils.plot_model`. Graphviz is
an optional dependency: `pip install 'autograph_jit[plot]'` brings the Python package, and the
`dot` program comes from the system (`apt-get install graphviz`, `brew install graphviz`,
`conda install graphviz`); `make test` and `make docs` install it where apt-get can. Without
it, rendering raises `tf.errors.GraphvizUnavailableError` naming what to install: there is no
pure-Python layout engine of the same quality to fall back to, and a silently different picture
would be worse.
`cf.to_dot()` needs nothing.
"""
import os
import shutil
import subprocess

from ..errors import GraphvizUnavailableError

__all__ = ["FORMATS", "render_dot"]

# The output formats offered (Graphviz has more; these are the ones a reader opens directly).
FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps")

_INSTALL = ("install Graphviz: the `dot` program (`apt-get install graphviz`, `brew install "
            "graphviz` or `conda install graphviz`) and the Python package "
            "(`pip install 'autograph_jit[plot]'` or `pip install graphviz`)")


def _check_format(format):  # noqa: A002 (the name TF and Graphviz use)
    fmt = str(format).lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}; got {format!r}")
    return fmt


def render_dot(source, format="svg", path=None, what="this graph"):  # noqa: A002
    """Draw DOT text as an image with Graphviz's `dot`.

    Args:
      source: the DOT text (`cf.to_dot()`, `tf.keras.utils.model_to_dot(model)`).
      format: "svg" (default), "png", "pdf", "jpg", "gif", "ps" or "eps".
      path: when given, the image is also written to this file.
      what: names the picture in the error raised when Graphviz is missing.

    Returns:
      The image as bytes.

    Raises:
      GraphvizUnavailableError: Graphviz's `dot` program or Python package is not installed.
      ValueError: an unknown format.

    >>> from autograph_jit.ir.render import render_dot
    >>> render_dot('digraph { a -> b }', format="svg")[:5]
    b'<?xml'
    """
    fmt = _check_format(format)
    try:
        import graphviz
    except ImportError as e:
        raise GraphvizUnavailableError(
            f"Drawing {what} as {fmt} needs Graphviz's Python package: {_INSTALL}; or save the "
            "DOT text (`to_dot()`) instead.") from e
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizUnavailableError(
            f"Drawing {what} as {fmt} needs Graphviz's `dot` program, which is not on PATH: "
            f"{_INSTALL}; or save the DOT text (`to_dot()`) instead.")
    try:
        data = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise GraphvizUnavailableError(f"Graphviz's `dot` could not be run ({e}): {_INSTALL}.") \
            from e
    except (graphviz.CalledProcessError, subprocess.CalledProcessError) as e:
        detail = (e.stderr or b"").decode(errors="replace").strip()
        raise ValueError(f"Graphviz could not draw {what}: {detail or e}") from e
    if path is not None:
        path = os.fspath(path)
        with open(path, "wb") as f:
            f.write(data)
    return data
