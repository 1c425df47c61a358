"""`tf.keras.initializers` (Keras 3) and TF's `tf.zeros_initializer()`-style classes.

An initializer is called as `init(shape, dtype=None)` and returns a concrete tensor (a layer calls
it once, when it builds its weights, so values are computed eagerly even while a `tf.function` is
being traced). Random initializers draw from the project's Philox generator (runtime/rng.py):
with `seed=` every call returns the same values (Keras 3's contract for a seeded initializer);
without, each call takes a fresh op seed from `tf.random.set_seed`'s sequence, so a program that
sets the global seed builds the same weights every run.

    >>> init = tf.keras.initializers.GlorotUniform(seed=1)
    >>> init((2, 3)).shape
    TensorShape([2, 3])
"""
import math

import numpy as np

from .. import dtypes as _dtypes
from ..ops import random_ops as _random_ops
from ..ops.array_ops import constant as _constant
from ..runtime import rng as _rng
from . import identifiers

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "Identity", "get",
           "serialize", "deserialize", "zeros_initializer", "ones_initializer",
           "constant_initializer", "random_normal_initializer", "random_uniform_initializer"]


class _Stream:
    """Philox draws from counter 0 of key (global seed, op seed): a pure function of the seeds."""

    def __init__(self, seed):
        g, o = _random_ops.get_seed(seed)
        self.key = (g & 0xFFFFFFFF, o & 0xFFFFFFFF)
        self.counter = 0

    def bits(self, n):
        blocks = (n + 3) // 4
        counters = np.arange(self.counter, self.counter + blocks, dtype=np.uint64)
        self.counter += blocks
        return _rng.philox4x32(counters, 0, self.key[0], self.key[1]).reshape(-1)[:n]

    def uniform(self, n):
        """Float64 uniforms in [0, 1) from 52 random bits each."""
        b = self.bits(2 * n).astype(np.uint64).reshape(n, 2)
        mant = ((b[:, 0] << np.uint64(32)) | b[:, 1]) >> np.uint64(12)
        return mant.astype(np.float64) * (1.0 / (1 << 52))

    def normal(self, n):
        m = (n + 1) // 2
        u = self.uniform(2 * m).reshape(m, 2)
        r = np.sqrt(-2.0 * np.log(np.maximum(u[:, 0], np.finfo(np.float64).tiny)))
        theta = 2.0 * np.pi * u[:, 1]
        return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1).reshape(-1)[:n]

    def truncated_normal(self, n):
        out = self.normal(n)
        bad = np.abs(out) > 2.0
        while bad.any():
            out[bad] = self.normal(int(bad.sum()))
            bad = np.abs(out) > 2.0
        return out


def _shape(shape):
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"initializer: shape must be non-negative, got {shape}")
    return shape


def _float_dtype(dtype, who):
    dtype = _dtypes.as_dtype(dtype or "float32")
    if not dtype.is_floating:
        raise ValueError(f"{who}: expected a float dtype, got {dtype.name}")
    return dtype


def _tensor(value, dtype):
    return _constant(np.asarray(value).astype(dtype.np_dtype), dtype=dtype)


def compute_fans(shape, input_axes=None, output_axes=None):
    """Keras's (fan_in, fan_out): kernels of rank > 2 multiply by the receptive field.

    With both `input_axes` and `output_axes` given (Keras 3), fan_in is the product of the
    sizes along `input_axes` and fan_out along `output_axes` (EinsumDense-style kernels);
    with either missing, the rule above applies.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(np.prod([shape[a] for a in input_axes])),
                int(np.prod([shape[a] for a in output_axes])))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `__call__(shape, dtype=None)` returns a tensor; `get_config`/`from_config`.

    >>> class Twos(tf.keras.initializers.Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return tf.fill(shape, 2.0)
    >>> tf.keras.layers.Dense(2, kernel_initializer=Twos())(tf.ones([1, 1])).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        raise TypeError(f"{type(self).__name__} must define __call__(shape, dtype=None)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros. Example: `Zeros()((2,))` is `[0., 0.]`.

    >>> init = tf.keras.initializers.Zeros()
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    >>> w.numpy()
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        dtype = _dtypes.as_dtype(dtype or "float32")
        return _tensor(np.zeros(_shape(shape)), dtype)


class Ones(Initializer):
    """All ones.

    >>> init = tf.keras.initializers.Ones()
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    >>> w.numpy()
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        dtype = _dtypes.as_dtype(dtype or "float32")
        return _tensor(np.ones(_shape(shape)), dtype)


class Constant(Initializer):
    """Every element equal to `value` (a scalar, or an array of exactly the requested shape).

    >>> init = tf.keras.initializers.Constant(value=2.0)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    >>> w.numpy()
    array([[2., 2., 2.],
           [2., 2., 2.]], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _dtypes.as_dtype(dtype or "float32")
        shape = _shape(shape)
        value = np.asarray(self.value.numpy() if hasattr(self.value, "numpy") else self.value)
        if value.ndim and value.size != int(np.prod(shape)):
            raise ValueError(f"Constant initializer: value of shape {value.shape} does not fit "
                             f"the requested shape {shape}")
        value = value.reshape(shape) if value.ndim else np.broadcast_to(value, shape)
        return _tensor(value, dtype)

    def get_config(self):
        v = self.value
        if isinstance(v, np.ndarray):
            v = v.tolist()
        return {"value": v}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}")
        self.seed = seed

    def _stream(self):
        return _Stream(self.seed)


class RandomNormal(_Seeded):
    """Normal draws with `mean` (0.0) and `stddev` (0.05).

    >>> init = tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.05, seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        z = self._stream().normal(int(np.prod(shape))).reshape(shape)
        return _tensor(self.mean + self.stddev * z, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal draws with `mean` and `stddev`, redrawn beyond two standard deviations.

    >>> init = tf.keras.initializers.TruncatedNormal(stddev=0.05, seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        z = self._stream().truncated_normal(int(np.prod(shape))).reshape(shape)
        return _tensor(self.mean + self.stddev * z, dtype)


class RandomUniform(_Seeded):
    """Uniform draws in [`minval`, `maxval`) (defaults -0.05, 0.05).

    >>> init = tf.keras.initializers.RandomUniform(minval=-0.05, maxval=0.05, seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dtype = _dtypes.as_dtype(dtype or "float32")
        shape = _shape(shape)
        u = self._stream().uniform(int(np.prod(shape))).reshape(shape)
        if dtype.is_integer:
            return _tensor(np.floor(self.minval + (self.maxval - self.minval) * u), dtype)
        return _tensor(self.minval + (self.maxval - self.minval) * u, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(_Seeded):
    """Draws with variance `scale / n`, n the fan_in, fan_out or their mean (`mode`).

    `distribution` is 'truncated_normal' (stddev corrected for the truncation), 'untruncated_normal'
    or 'uniform' (limit sqrt(3 * scale / n)). `input_axes` and `output_axes` (Keras 3; both or
    neither) name the axes whose sizes multiply into fan_in and fan_out, for kernels that are
    not (..., in, out) shaped; the Glorot/He/Lecun presets take them too.

    >>> init = tf.keras.initializers.GlorotUniform(input_axes=[0, 1], output_axes=[2])
    >>> limit = np.sqrt(6 / (3 * 4 + 5))  # fan_in = 3 * 4, fan_out = 5
    >>> bool(np.abs(init((3, 4, 5)).numpy()).max() <= limit)
    True

    >>> init = tf.keras.initializers.VarianceScaling(scale=2.0, mode='fan_in', distribution='truncated_normal', seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """

    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, got scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}; use 'fan_in', "
                             f"'fan_out' or 'fan_avg'")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}; use one "
                             f"of {list(self._DISTRIBUTIONS)}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        count = int(np.prod(shape))
        stream = self._stream()
        if self.distribution == "truncated_normal":
            value = stream.truncated_normal(count) * (math.sqrt(scale) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            value = stream.normal(count) * math.sqrt(scale)
        else:
            limit = math.sqrt(3.0 * scale)
            value = stream.uniform(count) * (2 * limit) - limit
        return _tensor(value.reshape(shape), dtype)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _Preset(VarianceScaling):
    _PRESET = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, dist = self._PRESET
        super().__init__(scale=scale, mode=mode, distribution=dist, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_Preset):
    """Uniform in ±sqrt(6 / (fan_in + fan_out)); Keras's default kernel initializer.

    >>> init = tf.keras.initializers.GlorotUniform(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).

    >>> init = tf.keras.initializers.GlorotNormal(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal with stddev sqrt(2 / fan_in).

    >>> init = tf.keras.initializers.HeNormal(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """Uniform in ±sqrt(6 / fan_in).

    >>> init = tf.keras.initializers.HeUniform(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal with stddev sqrt(1 / fan_in).

    >>> init = tf.keras.initializers.LecunNormal(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """Uniform in ±sqrt(3 / fan_in).

    >>> init = tf.keras.initializers.LecunUniform(seed=1)
    >>> w = init(shape=(2, 3))
    >>> w.shape, w.dtype
    (TensorShape([2, 3]), tf.float32)
    """
    _PRESET = (1.0, "fan_in", "uniform")


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a normal draw; shapes
    of rank > 2 are flattened to (prod(shape[:-1]), shape[-1]).

    >>> w = tf.keras.initializers.Orthogonal(seed=1)(shape=(3, 3))
    >>> np.allclose(w.numpy() @ w.numpy().T, np.eye(3), atol=1e-5)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "Orthogonal")
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer: the shape must have rank >= 2, got "
                             f"shape={shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = self._stream().normal(flat[0] * flat[1]).reshape(flat)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _tensor(self.gain * q.reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; a rectangular eye when not square).

    >>> tf.keras.initializers.Identity()(shape=(2, 2)).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "Identity")
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer: only 2-D shapes are supported, got "
                             f"shape={shape}")
        return _tensor(self.gain * np.eye(*shape), dtype)

    def get_config(self):
        return {"gain": self.gain}


# --- TF's tf.*_initializer classes (TF2 defaults) ------------------------------------------------


class zeros_initializer(Zeros):  # noqa: N801
    """`tf.zeros_initializer()`: called as `init(shape, dtype=tf.float32)`.

    >>> tf.zeros_initializer()(shape=[3]).numpy()
    array([0., 0., 0.], dtype=float32)
    """


class ones_initializer(Ones):  # noqa: N801
    """`tf.ones_initializer()`.

    >>> tf.ones_initializer()(shape=[2, 2]).numpy()
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """


class constant_initializer(Constant):  # noqa: N801
    """`tf.constant_initializer(value=0)`.

    >>> init = tf.constant_initializer(3.0)
    >>> init(shape=[2], dtype=tf.float32).numpy()
    array([3., 3.], dtype=float32)
    """

    def __init__(self, value=0):
        super().__init__(value)


class random_normal_initializer(RandomNormal):  # noqa: N801
    """`tf.random_normal_initializer(mean=0.0, stddev=0.05, seed=None)`.

    >>> init = tf.random_normal_initializer(mean=0.0, stddev=0.1, seed=1)
    >>> x = init(shape=[2, 3])
    >>> x.shape, x.dtype
    (TensorShape([2, 3]), tf.float32)
    """


class random_uniform_initializer(RandomUniform):  # noqa: N801
    """`tf.random_uniform_initializer(minval=-0.05, maxval=0.05, seed=None)`.

    >>> init = tf.random_uniform_initializer(minval=-1.0, maxval=1.0, seed=1)
    >>> x = init(shape=[1000])
    >>> bool(tf.reduce_min(x) >= -1.0), bool(tf.reduce_max(x) < 1.0)
    (True, True)
    """


_CLASSES = {c.__name__: c for c in (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal,
    Identity)}
_ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
            "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
            "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
            "glorot_normal": GlorotNormal, "he_normal": HeNormal, "he_uniform": HeUniform,
            "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
            "orthogonal": Orthogonal, "identity": Identity, "uniform": RandomUniform,
            "normal": RandomNormal, "zero": Zeros, "one": Ones}


def serialize(initializer):
    """Keras 3's dict for an initializer object (`module`, `class_name`, `config`).

    >>> tf.keras.initializers.serialize(tf.keras.initializers.Constant(3.0))['config']
    {'value': 3.0}
    """
    if initializer is None:
        return None
    cls = type(initializer)
    name = cls.__name__
    for base in cls.__mro__:  # tf.zeros_initializer & co. save as their Keras class
        if base.__name__ in _CLASSES and _CLASSES[base.__name__] is base:
            name = base.__name__
            break
    return {"module": "keras.initializers", "class_name": name,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The initializer a name or a serialized dict stands for.

    >>> config = tf.keras.initializers.serialize(tf.keras.initializers.Constant(3.0))
    >>> tf.keras.initializers.deserialize(config)(shape=(2,)).numpy()
    array([3., 3.], dtype=float32)
    """
    if isinstance(config, dict):
        inner = config.get("config")
        name, kwargs = config["class_name"], dict(inner) if isinstance(inner, dict) else {}
    else:
        name, kwargs = config, {}
    if custom_objects and name in custom_objects:
        cls = custom_objects[name]
    elif name in _CLASSES:
        cls = _CLASSES[name]
    elif name in _ALIASES:
        cls = _ALIASES[name]
    else:
        found = identifiers.user_object(config, custom_objects)
        if found is None:
            raise ValueError(f"Unknown initializer: {name!r}. Valid names are "
                             f"{sorted(_ALIASES)} (or a class name such as 'GlorotUniform', a "
                             f"callable(shape, dtype), or one of your own in custom_objects).")
        return found
    if not isinstance(cls, type):  # (a function in custom_objects)
        return cls
    return cls.from_config(kwargs) if hasattr(cls, "from_config") else cls(**kwargs)


def get(identifier):
    """Resolve `kernel_initializer=`-style arguments: None, a name, a dict, or a callable.

    Example: `get("he_normal")` is a `HeNormal()` instance.

    >>> type(tf.keras.initializers.get('glorot_uniform')).__name__
    'GlorotUniform'
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r} (use a name "
                     f"such as 'glorot_uniform', an Initializer, or a callable(shape, dtype))")


# Keras 3's function-style aliases.
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
