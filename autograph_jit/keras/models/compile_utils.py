"""What `Model.compile(loss=..., metrics=..., loss_weights=...)` turns into: `CompileLoss` (one
loss per model output, weighted and summed) and `CompileMetrics` (the metric objects per output,
named as Keras 3 logs them: 'accuracy', or 'dense_1_accuracy' for one of several outputs).

Both are built once, eagerly, from the first batch's structure and shapes (so metric variables
exist before the train step is traced).
"""
from ... import nest
from ...ops import math_ops
from ...tensor import convert_to_tensor
from .. import losses as losses_module
from .. import metrics as metrics_module

__all__ = ["CompileLoss", "CompileMetrics", "flat_outputs"]


def flat_outputs(structure, output_names):
    """The model outputs (or targets) as a list ordered like `output_names`."""
    if isinstance(structure, dict):
        missing = [n for n in output_names if n not in structure]
        if missing and len(structure) == len(output_names):
            return [structure[k] for k in structure]
        if missing:
            raise ValueError(f"Missing data for output(s) {missing}: expected a dict with keys "
                             f"{output_names}, received keys {list(structure)}")
        return [structure[n] for n in output_names]
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


def _per_output(spec, output_names, what):
    """Spread a compile argument (single, list or dict) over the outputs."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"In the dict argument `{what}`, key(s) {unknown} do not "
                             f"correspond to any model output. Received: {what}={spec}. "
                             f"Model output names: {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise ValueError(f"For a model with {n} output(s), `loss` must be a single loss or "
                             f"a list of {n} losses. Received: loss={spec}")
        return list(spec)
    return [spec] * n


class CompileLoss:
    """The compiled loss: `sum(loss_weight_i * loss_i(y_true_i, y_pred_i, sample_weight))`."""

    def __init__(self, loss, loss_weights=None):
        self._loss = loss
        self._loss_weights = loss_weights
        self.built = False
        self.losses = []
        self.weights = []
        self.names = []
        self.loss_slots = []   # the outputs that have a loss

    def build(self, output_names, outputs_are_dict=True):
        """Spread the losses over `output_names`; a dict loss must name every output of a model
        whose outputs are not a dict (Keras 3)."""
        if isinstance(self._loss, dict) and not outputs_are_dict and len(output_names) > 1 \
                and set(self._loss) != set(output_names):
            raise ValueError(f"Expected keys {list(output_names)} in loss dict, but found "
                             f"loss.keys()={list(self._loss)}")
        specs = _per_output(self._loss, output_names, "loss")
        weights = self._loss_weights
        if weights is None:
            weights = [1.0] * len(output_names)
        elif isinstance(weights, dict):
            weights = [weights.get(n, 1.0) for n in output_names]
        elif isinstance(weights, (int, float)):
            weights = [float(weights)] * len(output_names)
        else:
            weights = list(weights)
            if len(weights) != len(output_names):
                raise ValueError(f"`loss_weights` has {len(weights)} entries but the model has "
                                 f"{len(output_names)} outputs.")
        self.losses = []
        for spec in specs:
            if spec is None:
                self.losses.append(None)
                continue
            fn = losses_module.get(spec)
            if not isinstance(fn, losses_module.Loss):
                fn = losses_module.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))
            self.losses.append(fn)
        self.weights = weights
        self.names = [f"{n}_loss" for n in output_names]
        self.loss_slots = [i for i, fn in enumerate(self.losses) if fn is not None]
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        """(total loss, [per-output loss or None])."""
        total, parts = None, []
        sws = sample_weight if isinstance(sample_weight, (list, tuple)) else \
            [sample_weight] * len(y_pred)
        for fn, w, yt, yp, sw in zip(self.losses, self.weights, y_true, y_pred, sws):
            if fn is None or yt is None:
                parts.append(None)
                continue
            value = fn(yt, yp, sample_weight=sw)
            parts.append(value)
            term = value if w == 1.0 else value * math_ops.cast(w, value.dtype)
            total = term if total is None else total + term
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total, parts


class CompileMetrics:
    """The metrics of `compile(metrics=..., weighted_metrics=...)`, one set per output."""

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics=None):
        self._metrics_spec = metrics
        self._weighted_spec = weighted_metrics
        self.built = False
        self._per_output = []          # per output: [(metric, weighted)]
        self._ordered = []             # [(logs key, metric)], in Keras 3's order

    def build(self, output_names, y_true, y_pred, loss=None):
        n = len(output_names)
        per_output = [[] for _ in range(n)]
        for spec, weighted in ((self._metrics_spec, False), (self._weighted_spec, True)):
            if not spec:
                continue
            if isinstance(spec, dict):
                spread = _per_output(spec, output_names, "metrics")
            elif isinstance(spec, (list, tuple)) and n > 1 and len(spec) == n:
                spread = list(spec)   # as Keras 3: one entry (a metric or a list) per output
            else:
                spread = [spec] * n
            for i, items in enumerate(spread):
                if items is None:
                    continue
                if not isinstance(items, (list, tuple)):
                    items = [items]
                losses = loss if isinstance(loss, (list, tuple)) else [loss] * n
                for item in items:
                    metric = metrics_module.resolve_metric(item, loss=losses[i],
                                                           y_true=y_true[i], y_pred=y_pred[i])
                    per_output[i].append((metric, weighted))
        self._per_output = per_output
        self._output_names = list(output_names)
        self._ordered = _result_keys(per_output, output_names)
        self.built = True

    @property
    def names(self):
        """The logs' keys of the metrics, in `metrics` order (Keras 3's naming: the output's
        name as a prefix when there are several outputs, `_1`, `_2` for repeated names,
        `weighted_` for a weighted metric named like another)."""
        return [key for key, _ in self._ordered]

    @property
    def metrics(self):
        """The metric objects: every output's unweighted ones, then the weighted ones."""
        return [m for _, m in self._ordered]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update every metric with a batch (structures shaped like the model's outputs)."""
        if not self.built:
            raise ValueError("CompileMetrics is not built yet: run one `fit`/`evaluate` step "
                             "(or call the model on data) before updating it.")
        names = self._output_names
        y_true = flat_outputs(y_true, names) if y_true is not None else [None] * len(names)
        y_pred = flat_outputs(y_pred, names)
        if isinstance(sample_weight, (list, tuple, dict)):
            sample_weight = flat_outputs(sample_weight, names)
        self.update_flat(y_true, y_pred, sample_weight)

    def update_flat(self, y_true, y_pred, sample_weight=None):
        sws = sample_weight if isinstance(sample_weight, (list, tuple)) else \
            [sample_weight] * len(y_pred)
        for group, yt, yp, sw in zip(self._per_output, y_true, y_pred, sws):
            if yt is None:
                continue
            for metric, weighted in group:
                metric.update_state(yt, yp, sample_weight=sw if weighted else None)

    def result(self):
        return {key: m.result() for key, m in self._ordered}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()


def _result_keys(per_output, output_names):
    """Keras 3's `CompileMetrics.result` keys (see `CompileMetrics.names`)."""
    prefixes = [f"{name}_" if len(output_names) > 1 else "" for name in output_names]
    counters = {}
    ordered = []
    for weighted_pass in (False, True):
        for i, group in enumerate(per_output):
            for metric, weighted in group:
                if weighted != weighted_pass:
                    continue
                key = prefixes[i] + metric.name
                if key in counters and weighted:
                    key = prefixes[i] + "weighted_" + metric.name
                if key not in counters:
                    counters[key] = 1
                else:
                    counters[key] += 1
                    key = f"{key}_{counters[key] - 1}"
                ordered.append((key, metric))
    return ordered


def to_tensor_structure(data):
    """NumPy leaves of `data` as tensors (None stays None)."""
    return nest.map_structure(lambda v: v if v is None else convert_to_tensor(v), data)
