"""Learning-rate schedules (`tf.keras.optimizers.schedules`): callables of the optimizer's step
Variable, written with ops so a traced training step recomputes the rate on every call."""
import math

from ...ops.math_ops import cast, ceil, cos, equal, floor, log, minimum, where
from ...ops.math_ops import pow  # noqa: A004
from ...tensor import convert_to_tensor

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
           "PiecewiseConstantDecay", "CosineDecay", "CosineDecayRestarts", "serialize",
           "deserialize"]


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


class _Decay(LearningRateSchedule):
    """A schedule whose constructor arguments are its config: subclasses name them in `ARGS`
    (Keras's order) and compute the rate in `__call__`."""
    ARGS = ()

    def get_config(self):
        return {name: getattr(self, name) for name in self.ARGS}


def _initial(schedule):
    """The initial learning rate as a tensor, and its dtype (the dtype the schedule computes in)."""
    initial = convert_to_tensor(schedule.initial_learning_rate)
    return initial, initial.dtype


class ExponentialDecay(_Decay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored if staircase).

    >>> s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> [round(float(s(step)), 4) for step in (0, 10, 20)]
    [0.1, 0.05, 0.025]
    """
    ARGS = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError("Argument `decay_steps` must be > 0. "
                             f"Received: decay_steps={decay_steps}")
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        initial, dtype = _initial(self)
        p = _progress(step, self.decay_steps, self.staircase, dtype)
        return initial * pow(cast(self.decay_rate, dtype), p)


class InverseTimeDecay(_Decay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    >>> s = tf.keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
    >>> [round(float(s(step)), 4) for step in (0, 10, 30)]
    [0.1, 0.05, 0.025]
    """
    ARGS = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        initial, dtype = _initial(self)
        p = _progress(step, self.decay_steps, self.staircase, dtype)
        return initial / (1 + cast(self.decay_rate, dtype) * p)


class PolynomialDecay(_Decay):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, with `step` held at
    `decay_steps` afterwards, or with `cycle=True` `decay_steps` stretched to the next multiple
    of itself past `step`.

    >>> s = tf.keras.optimizers.schedules.PolynomialDecay(0.1, decay_steps=10,
    ...                                                   end_learning_rate=0.01)
    >>> [round(float(s(step)), 4) for step in (0, 5, 10, 20)]
    [0.1, 0.055, 0.01, 0.01]
    """
    ARGS = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",
            "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power
        self.cycle, self.name = cycle, name

    def __call__(self, step):
        initial, dtype = _initial(self)
        end = cast(self.end_learning_rate, dtype)
        step = cast(step, dtype)
        decay_steps = cast(self.decay_steps, dtype)
        if self.cycle:
            # step 0 keeps the first period (ceil(0) would make decay_steps 0)
            multiplier = where(equal(step, 0.0), cast(1.0, dtype), ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = minimum(step, decay_steps)
        fraction = step / decay_steps
        return (initial - end) * pow(1 - fraction, cast(self.power, dtype)) + end


class PiecewiseConstantDecay(_Decay):
    """`values[i]` while `boundaries[i-1] < step <= boundaries[i]`.

    >>> s = tf.keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    >>> [round(float(s(step)), 4) for step in (5, 15, 25)]
    [0.1, 0.01, 0.001]
    """
    ARGS = ("boundaries", "values", "name")

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


def _cosine(fraction, alpha, dtype, scale=1.0):
    """`(1 - alpha) * scale * 0.5 * (1 + cos(pi * fraction)) + alpha`."""
    cosine = 0.5 * scale * (1.0 + cos(cast(math.pi, dtype) * fraction))
    return (1 - alpha) * cosine + alpha


class CosineDecay(_Decay):
    """Cosine decay from `initial_learning_rate` (or, after a linear warmup of `warmup_steps`
    to `warmup_target`, from `warmup_target`) to `alpha` times that rate over `decay_steps`.

    >>> s = tf.keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
    >>> [round(float(s(step)), 4) for step in (0, 50, 100)]
    [0.1, 0.05, 0.0]
    >>> w = tf.keras.optimizers.schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1,
    ...                                               warmup_steps=10)
    >>> [round(float(w(step)), 4) for step in (0, 5, 10, 15, 20)]
    [0.0, 0.05, 0.1, 0.05, 0.0]
    """
    ARGS = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
            "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.alpha, self.name = alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step):
        initial, dtype = _initial(self)
        decay_steps = cast(self.decay_steps, dtype)
        step = cast(step, dtype)
        if self.warmup_target is None:
            step = minimum(step, decay_steps)
            return initial * _cosine(step / decay_steps, self.alpha, dtype)
        target = cast(self.warmup_target, dtype)
        warmup_steps = cast(self.warmup_steps, dtype)
        step = minimum(step, decay_steps + warmup_steps)
        warming = (target - initial) * (step / warmup_steps) + initial
        decaying = target * _cosine((step - warmup_steps) / decay_steps, self.alpha, dtype)
        return where(step < warmup_steps, warming, decaying)


class CosineDecayRestarts(_Decay):
    """Cosine decay with warm restarts (SGDR): each period decays from the current peak to
    `alpha` times it; the first period lasts `first_decay_steps`, each next one `t_mul` times
    longer with a peak `m_mul` times lower.

    >>> s = tf.keras.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=10,
    ...                                                       t_mul=1.0)
    >>> [round(float(s(step)), 4) for step in (0, 5, 10, 15)]
    [0.1, 0.05, 0.1, 0.05]
    """
    ARGS = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, \
            first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        initial, dtype = _initial(self)
        fraction = cast(step, dtype) / cast(self.first_decay_steps, dtype)
        t_mul = cast(self.t_mul, dtype)
        if self.t_mul == 1.0:
            restart = floor(fraction)
            fraction = fraction - restart
        else:
            # periods grow geometrically: restart i starts at (1 - t_mul**i) / (1 - t_mul)
            restart = floor(log(1.0 - fraction * (1.0 - t_mul)) / log(t_mul))
            started = (1.0 - pow(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - started) / pow(t_mul, restart)
        peak = pow(cast(self.m_mul, dtype), restart)
        return initial * _cosine(fraction, self.alpha, dtype, scale=peak)


_ALL = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PolynomialDecay,
                                PiecewiseConstantDecay, CosineDecay, CosineDecayRestarts)}


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
