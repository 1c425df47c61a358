"""The Embedding layer (Keras 3): integer indices -> rows of the `embeddings` weight, with an
optional padding mask (`mask_zero=True`)."""
from ... import dtypes as _dtypes
from ...ops import gather_ops as G
from ...ops import math_ops as M
from ._args import add_optioned_weight, set_weight_options, weight_options_config
from .layer import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """`Embedding(input_dim, output_dim, embeddings_initializer='uniform',
    embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False)`.

    Maps each integer in [0, input_dim) to a trainable vector of size `output_dim`; with
    `mask_zero=True` index 0 is padding and the output carries a mask for later layers (RNNs).

    Example: `Embedding(1000, 8)(tf.constant([[4, 20]])).shape` is (1, 2, 8).

    >>> layer = tf.keras.layers.Embedding(input_dim=10, output_dim=4)
    >>> layer(tf.constant([[1, 2, 3]])).shape
    TensorShape([1, 3, 4])
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        kwargs.pop("input_length", None)  # Keras 2 argument, ignored by Keras 3 with a warning
        super().__init__(**kwargs)
        if not isinstance(input_dim, int) or input_dim <= 0:
            raise ValueError(f"Embedding: input_dim must be a positive integer, got {input_dim}")
        if not isinstance(output_dim, int) or output_dim <= 0:
            raise ValueError(f"Embedding: output_dim must be a positive integer, got "
                             f"{output_dim}")
        if quantization_config is not None:
            raise ValueError("Embedding(quantization_config=...) is not supported; leave it None")
        if lora_rank is not None:
            raise ValueError("Embedding(lora_rank=...) is not supported; leave lora_rank=None")
        self.input_dim, self.output_dim = input_dim, output_dim
        set_weight_options(
            self, embeddings=(embeddings_initializer, embeddings_regularizer, embeddings_constraint))
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self._initial_embeddings = weights

    def build(self, input_shape=None):
        self.embeddings = add_optioned_weight(self, "embeddings", (self.input_dim, self.output_dim))
        if self._initial_embeddings is not None:
            self.set_weights(self._initial_embeddings)
            self._initial_embeddings = None

    def call(self, inputs):
        if not inputs.dtype.is_integer:
            inputs = M.cast(inputs, _dtypes.int32)
        return G.gather(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return M.not_equal(inputs, M.cast(0, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # Keras 3 lists it with the weights' options
        config.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            **weight_options_config(self, "embeddings", activity=True),
            "mask_zero": self.mask_zero})
        return config
