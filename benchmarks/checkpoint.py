"""Checkpoint save and restore of the MLP step's model and Adam state (issue 15).

The 784-100-10 MLP of `mlp_step.py` (four variables) with a built Adam (two slots per variable,
iteration count, learning rate): 238,560 floats, ~0.95 MB. *save* is one
`CheckpointManager(max_to_keep=1).save()` (what a training loop calls: write the bundle with
fsync and rename, update the `checkpoint` file, delete the previous checkpoint); *restore* is
`Checkpoint.restore(path)` of that checkpoint into a live model and optimizer. Both go to a
temporary directory. Ours runs no tf.function: its time is in the "graph" column. Our saves
fsync each file by default (TF never does): the second save row turns that off
(`CheckpointOptions(experimental_fsync=False)`) to compare like with like. Targets (issue 15):
save ≤ 4 ms, restore ≤ 2.5 ms, each ≤ 0.5× TensorFlow's time.
"""
import tempfile

from .harness import Target, compare, peer_candidates
from .mlp_step import initial_params

NAME = "checkpoint"


def _state(tf, sizes):
    params = [tf.Variable(p) for p in initial_params(sizes)]
    opt = tf.keras.optimizers.Adam(learning_rate=1e-3)
    opt.build(params)
    return tf.train.Checkpoint(params=params, optimizer=opt)


def _save(tf, sizes, directory, fsync=True):
    manager = tf.train.CheckpointManager(_state(tf, sizes), directory, max_to_keep=1)
    options = None
    if not fsync:
        options = tf.train.CheckpointOptions(experimental_fsync=False)

    def call():
        manager.save(options=options)
    return call


def _save_no_fsync(tf, sizes, directory):
    # TensorFlow has no such option (it never fsyncs): its column is the same as the save row's.
    return _save(tf, sizes, directory, fsync="autograph_jit" not in tf.__name__)


def _restore(tf, sizes, directory):
    ckpt = _state(tf, sizes)
    path = tf.train.CheckpointManager(ckpt, directory, max_to_keep=1).save()

    def call():
        ckpt.restore(path)
    return call


def run(settings, enabled, sizes=(784, 100, 10)):
    import autograph_jit as tf
    n_in, n_hidden, n_out = sizes
    params = n_in * n_hidden + n_hidden + n_hidden * n_out + n_out
    size = f"{params * 3 * 4 / 1e6:.2g} MB"    # weights, Adam's momentums and velocities
    rows = []
    with tempfile.TemporaryDirectory(prefix="agjit-bench-ckpt-") as root:
        for label, make, bound in (("save", _save, 0.004),
                                   ("save, no fsync (as TF)", _save_no_fsync, 0.004),
                                   ("restore", _restore, 0.0025)):
            notes = []
            candidates = {"graph": make(tf, sizes, f"{root}/ours-{label[:4]}{len(label)}")}
            candidates.update(peer_candidates(
                {"tf": lambda module, make=make, label=label: make(module, sizes,
                                                                   f"{root}/tf-{label[:4]}{len(label)}")},
                enabled, notes))
            row = compare(f"Checkpoint {label}: MLP {'-'.join(map(str, sizes))} + Adam",
                          size, candidates, settings,
                          (Target(None, bound), Target("tf", 0.5)))
            how = "no fsync" if "fsync" in label else ("fsync + rename" if label == "save"
                                                       else "checksums verified")
            row.notes += notes + [f"ours: tf.train.Checkpoint/CheckpointManager, TF's tensor-"
                                  f"bundle format, {how} (no tf.function involved)"]
            rows.append(row)
    return rows


def main(argv=None):
    from .cli import run_and_print
    return run_and_print("python -m benchmarks.checkpoint", __doc__.splitlines()[0], {NAME: run},
                         argv)


if __name__ == "__main__":
    raise SystemExit(main())
