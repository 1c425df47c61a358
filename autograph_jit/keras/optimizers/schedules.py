"""Learning-rate schedules (`tf.keras.optimizers.schedules`): callables of the optimizer's step
Variable, written with ops so a traced training step recomputes the rate on every call."""
import math

from ...ops.math_ops import cast, cos, floor, minimum, pow, where  # noqa: A004
from ...tensor import convert_to_tensor

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay",
           "PiecewiseConstantDecay", "CosineDecay", "serialize", "deserialize"]


def _progress(step, decay_steps, staircase, dtype):
    """step / decay_steps as a tensor of `dtype` (floored when `staircase`)."""
    p = cast(step, dtype) / cast(decay_steps, dtype)
    return floor(p) if staircase else p


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the learning rate as a scalar tensor.

    >>> class Halve(tf.keras.optimizers.schedules.LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 / (1.0 + tf.cast(step, tf.float32))
    >>> opt = tf.keras.optimizers.SGD(learning_rate=Halve())
    >>> round(float(Halve()(1)), 4)
    0.05
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored if staircase).

    >>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> [round(float(s(step)), 4) for step in (0, 10, 20)]
    [0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError("Argument `decay_steps` must be > 0. "
                             f"Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        initial = convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        p = _progress(step, self.decay_steps, self.staircase, dtype)
        return initial * pow(cast(self.decay_rate, dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    >>> s = tf.keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
    >>> [round(float(s(step)), 4) for step in (0, 10, 30)]
    [0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        initial = convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        p = _progress(step, self.decay_steps, self.staircase, dtype)
        return initial / (1 + cast(self.decay_rate, dtype) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[i]` while `boundaries[i-1] < step <= boundaries[i]`.

    >>> s = tf.keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    >>> [round(float(s(step)), 4) for step in (5, 15, 25)]
    [0.1, 0.01, 0.001]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        values = [convert_to_tensor(v) for v in self.values]
        step = convert_to_tensor(step)
        x = cast(step, "float64")
        # Walk from the last interval down so the first matching boundary wins.
        result = values[-1]
        for b, v in zip(reversed(self.boundaries), reversed(values[:-1])):
            result = where(x <= cast(b, "float64"), v, result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from `initial_learning_rate` to `alpha * initial_learning_rate`.

    >>> s = tf.keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
    >>> [round(float(s(step)), 4) for step in (0, 50, 100)]
    [0.1, 0.05, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if warmup_target is not None or warmup_steps:
            raise NotImplementedError("CosineDecay warmup is not supported yet; leave "
                                      "warmup_target/warmup_steps unset.")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        initial = convert_to_tensor(self.initial_learning_rate)
        dtype = initial.dtype
        decay_steps = cast(self.decay_steps, dtype)
        fraction = minimum(cast(step, dtype), decay_steps) / decay_steps
        cosine = 0.5 * (1.0 + cos(cast(math.pi, dtype) * fraction))
        return initial * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


_ALL = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                CosineDecay)}


def serialize(learning_rate_schedule):
    """Serializes a `LearningRateSchedule` into a JSON-compatible dict.

    Args:
      learning_rate_schedule: a schedule (ExponentialDecay, InverseTimeDecay,
        PiecewiseConstantDecay, CosineDecay, ...).

    Returns:
      A dict with `module`, `class_name`, `config` and `registered_name`, as Keras 3.

    >>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> tf.keras.optimizers.schedules.serialize(s)["class_name"]
    'ExponentialDecay'
    """
    return {"module": "keras.optimizers.schedules",
            "class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Instantiates a `LearningRateSchedule` object from a serialized form.

    Args:
      config: a dict written by `serialize`.
      custom_objects: a dict of name to schedule class for schedules of your own.

    Returns:
      The schedule.

    Raises:
      ValueError: an unknown class name.

    >>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> config = tf.keras.optimizers.schedules.serialize(s)
    >>> round(float(tf.keras.optimizers.schedules.deserialize(config)(10)), 6)
    0.05
    """
    classes = dict(_ALL, **(custom_objects or {}))
    name = config["class_name"]
    if name not in classes:
        raise ValueError(f"Unknown learning rate schedule: '{name}'.")
    return classes[name].from_config(config["config"])
