"""The `tf.summary` namespace: TensorBoard summaries (needs the `tensorboard` extra).

    writer = tf.summary.create_file_writer("/tmp/logs")
    with writer.as_default(step=0):
        tf.summary.scalar("loss", loss)            # eagerly, or inside a tf.function

For Keras's TensorBoard callback: `create_file_writer`, `SummaryWriter.as_default/set_as_default/
flush/close`, `scalar`, `histogram`, `image`, `text`, `record_if`, `should_record_summaries`,
`experimental.set_step/get_step`, `trace_on/trace_export/trace_off`, `graph`, all as in TF.
"""
from types import SimpleNamespace as _NS

from .summary_fns import histogram, image, scalar, text  # noqa: F401
from .trace import graph, trace_export, trace_off, trace_on  # noqa: F401
from .writer import (  # noqa: F401
    SummaryWriter, create_file_writer, create_noop_writer, flush, get_step, record_if, set_step,
    should_record_summaries)

experimental = _NS(set_step=set_step, get_step=get_step)
