"""`keras.utils.get_source_inputs`: the Input tensors a symbolic tensor is computed from."""
from ..layers.keras_tensor import KerasTensor

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor):
    """The list of input tensors (`tf.keras.Input`s) that `tensor` depends on.

    >>> a, b = tf.keras.Input((2,)), tf.keras.Input((3,))
    >>> out = tf.keras.layers.Concatenate()([tf.keras.layers.Dense(1)(a), b])
    >>> [t is a for t in tf.keras.utils.get_source_inputs(out)]
    [True, False]
    """
    if not isinstance(tensor, KerasTensor) or tensor._keras_history is None:
        return [tensor]
    layer, node_index, _ = tensor._keras_history
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.output_tensors)
    sources = []
    for x in node.input_tensors:
        for source in get_source_inputs(x):
            if not any(source is s for s in sources):
                sources.append(source)
    return sources
