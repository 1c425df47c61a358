"""Workload (issue 16): eager op overhead — our eager mode against PyTorch eager and TF eager.

What a user pays per op while writing and debugging code op by op, with no tf.function:
- `x + 1` on a float32 scalar: nearly all overhead (the add itself is a few nanoseconds);
- `tf.nn.relu` on a 50×100 float32 matrix: overhead plus a small kernel;
- the same `x + 1` recorded by a GradientTape that watches `x` (torch: `requires_grad=True`),
  and what recording adds per op over the unrecorded op (timed in the same rounds);
- one eager Adam step of the MLP of `mlp_step.py` (784-100-10, batch 50): forward, tape,
  gradients and Keras' Adam, op by op.

Ratios in these rows are *our eager time / that time* (`Row.base = "eager"`). Targets (issue 16):
`x + 1` ≤ 1.0× torch eager, the MLP step ≤ 1.0× torch eager, a tape-recorded op adds ≤ 1 µs.
"""
from dataclasses import dataclass

import numpy as np

from . import mlp_step, peers
from .harness import Target, compare

NAME = "eager_ops"
RECORDED_OPS = 100   # ops per call in the tape rows (a tape's enter/exit/reset is amortized)


@dataclass(frozen=True)
class OverheadTarget(Target):
    """Recording adds at most `bound` seconds per op: the row's time (recorded) minus
    `unrecorded_s`, the same op unrecorded, timed in the same rounds."""
    unrecorded_s: float = None

    def text(self, labels=None):
        return f"tape adds ≤{self.bound * 1e6:g} µs/op"

    def judge(self, row):
        cell = row.cells.get(row.base)
        if cell is None or cell.seconds is None or self.unrecorded_s is None:
            return None
        return cell.seconds - self.unrecorded_s <= self.bound


def _peer(name, enabled):
    """The peer's module when it is enabled and importable, else None."""
    return peers.load(name) if name in enabled else None


def _scalar_add(tf, enabled, settings):
    x = tf.constant(1.0)
    x_np = np.array(1.0, np.float32)
    c = {"eager": lambda: x + 1, "numpy": lambda: x_np + 1}
    torch, tfp = _peer("torch", enabled), _peer("tf", enabled)
    if torch is not None:
        xt = torch.tensor(1.0)
        c["torch"] = lambda: xt + 1
    if tfp is not None:
        xf = tfp.constant(1.0)
        c["tf_eager"] = lambda: xf + 1
    return compare("eager: x + 1", "f32 scalar", c, settings, (Target("torch", 1.0),))


def _relu(tf, enabled, settings, shape):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x = tf.constant(a)
    c = {"eager": lambda: tf.nn.relu(x), "numpy": lambda: np.maximum(a, np.float32(0))}
    torch, tfp = _peer("torch", enabled), _peer("tf", enabled)
    if torch is not None:
        xt = torch.from_numpy(a.copy())
        c["torch"] = lambda: torch.relu(xt)
    if tfp is not None:
        xf = tfp.constant(a)
        c["tf_eager"] = lambda: tfp.nn.relu(xf)
    return compare("eager: relu", "×".join(map(str, shape)) + " f32", c, settings)


def _ours_tape(tf, k):
    x = tf.constant(1.0)
    tape = tf.GradientTape(persistent=True)

    def recorded():
        with tape:
            tape.watch(x)
            for _ in range(k):
                y = x + 1
        tape.reset()   # (records of earlier calls would pile up in a tape held open)
        return y

    def unrecorded():
        for _ in range(k):
            y = x + 1
        return y
    return recorded, unrecorded


def _torch_tape(torch, k):
    x = torch.tensor(1.0, requires_grad=True)
    x0 = torch.tensor(1.0)

    def recorded():
        for _ in range(k):
            y = x + 1
        return y

    def unrecorded():
        for _ in range(k):
            y = x0 + 1
        return y
    return recorded, unrecorded


def _tf_tape(tfp, k):
    x = tfp.constant(1.0)

    def recorded():
        with tfp.GradientTape() as tape:
            tape.watch(x)
            for _ in range(k):
                y = x + 1
        return y

    def unrecorded():
        for _ in range(k):
            y = x + 1
        return y
    return recorded, unrecorded


def _tape(tf, enabled, settings, k):
    c = {}
    builders = {"eager": lambda: _ours_tape(tf, k)}
    torch, tfp = _peer("torch", enabled), _peer("tf", enabled)
    if torch is not None:
        builders["torch"] = lambda: _torch_tape(torch, k)
    if tfp is not None:
        builders["tf_eager"] = lambda: _tf_tape(tfp, k)
    for column, build in builders.items():
        c[column], c[column + " unrecorded"] = build()
    row = compare("eager: x + 1 on a tape", "f32 scalar, watched", c, settings)
    for cell in row.cells.values():   # a call ran k ops: per-op times
        if cell.seconds is not None:
            cell.seconds /= k
    added = []
    for column in builders:
        rec, plain = row.cells.get(column), row.cells.pop(column + " unrecorded")
        if rec is not None and rec.seconds is not None and plain.seconds is not None:
            added.append(f"{_label(column)} {plain.seconds * 1e6:.2f} µs unrecorded, "
                         f"+{(rec.seconds - plain.seconds) * 1e6:.2f} µs recorded")
            if column == "eager":
                row.targets = (OverheadTarget(None, 1e-6, plain.seconds),)
    row.notes.append("per op: " + "; ".join(added))
    return row


def _label(column):
    from .table import LABELS
    return LABELS.get(column, column)


def _mlp(tf, enabled, settings, n, sizes):
    data = mlp_step.batch(sizes, n)
    x, y = tf.constant(data[0]), tf.constant(data[1])
    step = mlp_step.make_step(tf, sizes)
    c = {"eager": lambda: step(x, y)}
    torch, tfp = _peer("torch", enabled), _peer("tf", enabled)
    if torch is not None:
        c["torch"] = mlp_step._torch(sizes, data)(torch)
    if tfp is not None:
        tf_step = mlp_step.make_step(tfp, sizes)   # no tf.function: TensorFlow's eager mode
        xf, yf = tfp.constant(data[0]), tfp.constant(data[1])
        c["tf_eager"] = lambda: tf_step(xf, yf)
    return compare(f"eager: MLP {'-'.join(map(str, sizes))} Adam step", f"batch {n}", c,
                   settings, (Target("torch", 1.0),), rtol=1e-5, atol=1e-6)


def run(settings, enabled, shape=(50, 100), n=50, sizes=(784, 100, 10), k=RECORDED_OPS):
    import autograph_jit as tf
    rows = [_scalar_add(tf, enabled, settings), _relu(tf, enabled, settings, shape),
            _tape(tf, enabled, settings, k), _mlp(tf, enabled, settings, n, sizes)]
    for row in rows:
        row.base = "eager"
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.eager_ops", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
