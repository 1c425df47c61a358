"""The Keras 3 optimizer base class: step counter, learning rate, slot variables, gradient
filtering/clipping/weight decay, and `apply_gradients`/`apply`/`minimize`.

Every update is written with public ops on tensors and Variables (`assign_sub`, `tf.sqrt`, ...),
and the learning rate and step count live in Variables read at run time, so the same Python code
runs eagerly and traces into one graph whose later calls stay correct.
"""
import warnings

import numpy as np

from ...module import AutoTrackable, name_scope
from ...ops.array_ops import ones_like, zeros_like
from ...ops.control_ops import cond
from ...ops.math_ops import (
    cast, clip_by_value, equal, maximum, minimum, not_equal, reduce_sum, sqrt, square, where)
from ...tensor import convert_to_tensor
from ...tracing.context import current_builder
from ...variables import Variable
from . import schedules as _schedules
from ...autodiff.tape import GradientTape

__all__ = ["Optimizer"]


def _branch(pred, true_fn, false_fn=lambda: None):
    """Run `true_fn` or `false_fn` for its effects: a Python branch eagerly, a tf.cond traced."""
    if current_builder() is None:
        (true_fn if bool(pred) else false_fn)()
    else:
        cond(pred, true_fn, false_fn)

_CONFIG_KEYS = ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
                "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                "gradient_accumulation_steps")


class Optimizer(AutoTrackable):
    """Keras 3's `keras.optimizers.Optimizer` (the base every optimizer subclasses).

    Subclasses implement `build(var_list)` (call `super().build(var_list)`, then create slots with
    `add_variable_from_reference`) and `update_step(gradient, variable, learning_rate)`.

    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    >>> isinstance(opt, tf.keras.optimizers.Optimizer)
    True
    >>> v = tf.Variable(1.0)
    >>> _ = opt.minimize(lambda: v * v, [v])
    >>> round(float(v.numpy()), 4), int(opt.iterations)
    (0.8, 1)
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if "lr" in kwargs:
            raise ValueError("`lr` is deprecated in Keras optimizer, please use `learning_rate` "
                             "or use the legacy optimizer, e.g.,tf.keras.optimizers.legacy.SGD.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps is not None and (
                not isinstance(gradient_accumulation_steps, int) or
                gradient_accumulation_steps < 2):
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError("`ema_momentum` must be in the range [0, 1]. Received: "
                             f"ema_momentum={ema_momentum}")
        if use_ema and ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
            raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                             f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = name if name is not None else type(self).__name__.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._var_index = {}          # id(model variable) -> position in _trainable_variables
        self._exclude_ids = set()
        self._exclude_names = None
        with name_scope(self.name):
            self._iterations = Variable(np.int64(0), trainable=False, name="iteration",
                                        dtype="int64")
            self._variables.append(self._iterations)
            self._learning_rate = self._build_learning_rate(learning_rate)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        """The optimizer's checkpoint dependencies, as TF 2.21 with Keras 3 writes them
        (`tf.train.Checkpoint(optimizer=keras.optimizers.Adam())`): `_iterations`,
        `_learning_rate` and one list per slot kind, named by the optimizer's attribute
        (`_momentums`, `_velocities`, ...), so an Adam slot's key is
        `optimizer/_momentums/0/.ATTRIBUTES/VARIABLE_VALUE`. The aliasing lists `_variables` and
        `_trainable_variables` are left out (TF also writes them; restoring a TF checkpoint
        matches slots through the per-kind lists, which do not depend on the order slots were
        created in). Keras 2's `.OPTIMIZER_SLOT` slot variables are not used.

        Returns:
          {name: Variable or list of Variables}, in attribute order.
        """
        out = {}
        attrs = vars(self)
        for name in ("_iterations", "_learning_rate"):
            value = attrs.get(name)
            if isinstance(value, Variable):
                out[name] = value
        for name, value in attrs.items():
            if name in out or name in ("_variables", "_trainable_variables") or \
                    not isinstance(value, list):
                continue
            if value and all(isinstance(v, Variable) for v in value):
                out[name] = value
        return out

    def _build_learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        var = Variable(learning_rate, trainable=False, name="learning_rate", dtype="float32")
        self._variables.append(var)
        return var

    # -- state ----------------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of updates applied: with `gradient_accumulation_steps`, the number of
        accumulated-gradient updates (calls // steps), as Keras 3."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @property
    def variables(self):
        return self._variables[:]

    @property
    def learning_rate(self):
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, _schedules.LearningRateSchedule):
            self._learning_rate = learning_rate
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        self._learning_rate.assign(cast(learning_rate, "float32"))

    def _get_current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        if callable(lr):
            return lr()
        return lr

    def build(self, var_list):
        """Remember the model variables (and create the moving averages of `use_ema` and the
        accumulators of `gradient_accumulation_steps`); subclasses then create one slot per
        variable."""
        self._trainable_variables = list(var_list)
        self._var_index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                var_list, "gradient_accumulator")
        self.built = True

    def _get_variable_index(self, variable):
        return self._var_index[id(variable)]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none",
                     name=None):
        dtype = dtype or "float32"
        np_dtype = np.dtype(getattr(dtype, "np_dtype", dtype))
        value = _initial_value(initializer, tuple(shape), np_dtype)
        with name_scope(self.name):
            var = Variable(value, trainable=False, name=name, dtype=dtype)
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like `reference_variable`, named `<ref>_<name>` in the optimizer scope."""
        base = reference_variable.name.rsplit(":", 1)[0].replace("/", "_")
        return self.add_variable(reference_variable.shape.as_list(), initializer=initializer,
                                 dtype=reference_variable.dtype, name=f"{base}_{name}")

    def add_optimizer_variables(self, var_list, name, initializer="zeros"):
        """Slots for every variable of `var_list`, as Keras 3 creates them: with one `name`, a
        list of slots; with a list of names, one list per name, created variable by variable
        (`[m0, v0, m1, v1, ...]` in `variables`, the order Keras 3 saves them in).
        `initializer` may be a list too, one per name.

        >>> opt = tf.keras.optimizers.SGD()
        >>> a, b = tf.Variable([1.0]), tf.Variable([2.0])
        >>> ms, vs = opt.add_optimizer_variables([a, b], ["m", "v"])
        >>> [v.name.split("/")[-1] for v in opt.variables[2:]]
        ['Variable_m:0', 'Variable_v:0', 'Variable_m:0', 'Variable_v:0']
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = list(initializer) if isinstance(initializer, (list, tuple)) else \
            [initializer] * len(names)
        slots = [[] for _ in names]
        for variable in var_list:
            for kind, slot_name, init in zip(slots, names, inits):
                kind.append(self.add_variable_from_reference(variable, slot_name,
                                                             initializer=init))
        return slots[0] if isinstance(name, str) else tuple(slots)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in (var_list or ())}
        self._exclude_names = list(var_names) if var_names else None

    # -- applying gradients ---------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars, name=None, **kwargs):
        """Apply `(gradient, variable)` pairs (any iterable) and return `iterations`."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, trainable_variables = zip(*pairs)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        grads = [convert_to_tensor(g) for g in grads]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, trainable_variables)
        else:
            self._clip_decay_and_update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                _branch(equal((self.iterations + 1) % self.ema_overwrite_frequency, 0),
                        lambda: self._overwrite_model_variables_with_average_value(
                            self._trainable_variables))
        for var in trainable_variables:
            if getattr(var, "constraint", None) is not None:
                var.assign(var.constraint(var))
        self._iterations.assign_add(1)

    def _clip_decay_and_update(self, grads, trainable_variables):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(trainable_variables)
        self._update_variables(grads, trainable_variables, self.learning_rate)

    def _update_variables(self, grads, trainable_variables, learning_rate):
        """`update_step` for every (gradient, variable): Keras's `_backend_update_step`."""
        # Values every variable's update of this step shares (Adam's bias-corrected step size):
        # eagerly, a subclass may keep them here, by dtype, instead of recomputing them per
        # variable (traced, the graph keeps one computation per variable, as Keras writes it).
        self._per_step = {} if current_builder() is None else None
        try:
            for grad, var in zip(grads, trainable_variables):
                self.update_step(grad, var, learning_rate)
        finally:
            self._per_step = None

    def _accumulate_or_update(self, grads, trainable_variables):
        """`gradient_accumulation_steps`: add the gradients to the accumulators, and every
        that-many steps update with their mean (clipped, with weight decay) and reset them."""
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                        for v in trainable_variables]

        def update():
            mean = [(g + a) / steps for g, a in zip(grads, accumulators)]
            self._clip_decay_and_update(mean, trainable_variables)
            for a in self._accumulated_gradients:
                a.assign(zeros_like(a))

        def accumulate():
            for g, a in zip(grads, accumulators):
                a.assign(a + g)
        _branch(equal((self._iterations + 1) % steps, 0), update, accumulate)

    def _update_model_variables_moving_average(self, trainable_variables):
        """`use_ema`: average = m * average + (1 - m) * variable, with m = ema_momentum after the
        first step and 0 on it (the average starts at the variable's value)."""
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            momentum = cast(not_equal(self.iterations, 0), var.dtype) * self.ema_momentum
            average.assign(momentum * average + (1 - momentum) * var)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does "
                "not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the optimizer "
                "was called on your model.")
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            var.assign(average)

    def finalize_variable_values(self, var_list):
        """Set the final values of the model's variables: with `use_ema`, their moving averages
        (Keras's `fit` calls this at the end of training).

        Args:
          var_list: the model's trainable variables, in the order the optimizer was built with.

        >>> opt = tf.keras.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
        >>> v = tf.Variable(4.0)
        >>> for _ in range(2):
        ...     _ = opt.apply_gradients([(tf.constant(1.0), v)])
        >>> opt.finalize_variable_values([v])
        >>> float(v.numpy())  # the average of 3.0 (step 1) and 2.0 (step 2)
        2.5
        """
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """The loss to differentiate: times `loss_scale_factor` when one is set (the gradients
        are divided by it again in `apply`); LossScaleOptimizer scales dynamically.

        >>> opt = tf.keras.optimizers.SGD(loss_scale_factor=8.0)
        >>> float(opt.scale_loss(tf.constant(0.5)))
        4.0
        """
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of `loss` (a tensor with `tape`, or a callable of no arguments) with
        respect to `var_list` (a list, or a callable returning one) and apply them."""
        if not callable(loss) and tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed. "
                             f"Received: loss={loss}, tape={tape}.")
        if callable(loss):
            tape = GradientTape() if tape is None else tape
            with tape:
                if callable(var_list):
                    var_list = var_list()
                tape.watch(var_list)
                loss = loss()
        elif callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._var_index:
                raise ValueError(f"Unknown variable: {v}. This optimizer can only be called for "
                                 "the variables it was originally built with. When working with "
                                 "a new set of variables, you should recreate a new optimizer "
                                 "instance.")

    @staticmethod
    def _filter_empty_gradients(grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        missing = [v.name for g, v in zip(grads, variables) if g is None]
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?", stacklevel=3)
        return [g for g, _ in kept], [v for _, v in kept]

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        names = self._exclude_names or ()
        return not any(n in variable.name for n in names)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = cast(self.learning_rate, variable.dtype)
                wd = cast(self.weight_decay, variable.dtype)
                variable.assign(variable - variable * wd * lr)

    # -- configuration --------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())
        config = {"name": self.name, "learning_rate": lr}
        config.update({k: getattr(self, k) for k in _CONFIG_KEYS})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"


def _initial_value(initializer, shape, np_dtype):
    """The numeric start value of a slot (a NumPy array: slots may be created while tracing)."""
    if initializer in ("zeros", "Zeros", None):
        return np.zeros(shape, np_dtype)
    if initializer in ("ones", "Ones"):
        return np.ones(shape, np_dtype)
    if isinstance(initializer, (int, float)):
        return np.full(shape, initializer, np_dtype)
    if callable(initializer):
        return initializer(shape, dtype=np_dtype)
    raise ValueError(f"Unsupported optimizer variable initializer: {initializer!r}")


def _clip_by_norm(values, clipnorm):
    """Keras 3's per-gradient clipping; the `where` keeps an all-zero gradient NaN-free."""
    l2sum = reduce_sum(square(values), keepdims=True)
    pred = l2sum > 0
    l2norm = where(pred, sqrt(where(pred, l2sum, ones_like(l2sum))), l2sum)
    return values * clipnorm / maximum(l2norm, clipnorm)


def _clip_by_global_norm(grads, clip_norm):
    use_norm = sqrt(sum(reduce_sum(square(g)) for g in grads))
    scale = clip_norm * minimum(1.0 / use_norm, 1.0 / clip_norm)
    scale = scale + (use_norm - use_norm)  # NaN/inf norms propagate instead of being clipped
    return [g * cast(scale, g.dtype) for g in grads]
