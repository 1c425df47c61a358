"""`tf.nn`: the TF2 neural-network namespace. Re-exports only; the ops live in ops/nn_ops.py and
ops/conv_ops.py."""
from .ops.conv_ops import (  # noqa: F401
    avg_pool, avg_pool2d, conv2d, conv2d_transpose, max_pool, max_pool2d)
from .ops.nn_ops import (  # noqa: F401
    bias_add, dropout, elu, gelu, l2_loss, leaky_relu, log_softmax, moments, relu, relu6, selu,
    sigmoid, sigmoid_cross_entropy_with_logits, silu, softmax, softmax_cross_entropy_with_logits,
    softplus, softsign, sparse_softmax_cross_entropy_with_logits, swish, tanh)
