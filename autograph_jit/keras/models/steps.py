"""One epoch of `fit`: feed the batches to the compiled train step, calling the callbacks'
batch hooks, and stop early when a callback sets `model.stop_training`."""

__all__ = ["StepRunner"]


class StepRunner:
    """Runs epochs of `model.train_function` over `data` (an ArrayData or IterableData)."""

    def __init__(self, model, data, callbacks):
        self.model = model
        self.data = data
        self.callbacks = callbacks
        self.built = False

    def run_epoch(self):
        """Train one epoch; returns the last step's logs ({} when there was no batch)."""
        model, callbacks = self.model, self.callbacks
        logs = {}
        fn = None
        for step, batch in enumerate(self.data.epoch_batches()):
            if fn is None:
                if not self.built:
                    model._symbolic_build(batch)
                    self.built = True
                fn = model.train_function
            callbacks.on_train_batch_begin(step)
            logs = fn(batch)
            callbacks.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        return logs
