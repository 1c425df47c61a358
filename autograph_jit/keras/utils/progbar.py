"""`keras.utils.Progbar`: Keras 3's text progress bar.

On a terminal (or in a notebook) the line is redrawn in place (`\\r`, bold count, green/white bar);
when stdout is not a terminal (log files, CI) only the final line of each bar is printed, as
plain text with no `\\b`, `\\r` or ANSI codes:

    300/300 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.0944 - loss: 2.6336
"""
import math
import os
import sys
import time
import re

import numpy as np

__all__ = ["Progbar"]


def _is_dynamic():
    stream = sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return True
    return "PYCHARM_HOSTED" in os.environ or _in_notebook_kernel()


def _in_notebook_kernel():
    """Running inside a Jupyter kernel (not merely with ipykernel imported, as a test runner
    that executes notebooks has): IPython's current shell is a kernel's ZMQ shell."""
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if get is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _format_value(avg):
    return f" {avg:.4f}" if abs(avg) > 1e-3 else f" {avg:.4e}"


class Progbar:
    """Keras 3's `keras.utils.Progbar(target, width=20, verbose=1, interval=0.05,
    stateful_metrics=None, unit_name="step")`.

    `update(current, values)` shows `values` (name, value) pairs; names in `stateful_metrics`
    are shown as given, others averaged over the steps seen.
    Example: `bar = Progbar(10); bar.update(5, [("loss", 0.3)])`.

    >>> import sys
    >>> bar = tf.keras.utils.Progbar(target=3, verbose=0)
    >>> for step in range(3):
    ...     bar.update(step + 1, values=[('loss', 1.0 / (step + 1))])
    >>> bar.target
    3
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _is_dynamic()
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Show progress `current` (steps done) with `values`; `finalize` ends the line."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if hasattr(v, "numpy"):
                v = v.numpy()
            if k not in self.stateful_metrics:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            if not self._dynamic_display and not finalize:
                self._last_update = now
                return
            self._write(self._line(current, now, time_per_unit, finalize), finalize)
        elif self.verbose == 2 and finalize:
            numdigits = int(math.log10(self.target)) + 1 if self.target else 1
            count = ("%" + str(numdigits) + "d/%d") % (current, self.target)
            info = f"{count} - {now - self._start:.0f}s -"
            info += self._format_time(time_per_unit)
            for k in self._values_order:
                info += f" - {k}:" + _format_value(self._average(k))
            sys.stdout.write(info + "\n")
            sys.stdout.flush()
        self._last_update = now

    def _average(self, k):
        total, count = self._values[k]
        return float(np.mean(np.asarray(total) / max(1, count)))

    def _line(self, current, now, time_per_unit, finalize):
        dynamic = self._dynamic_display
        bold, reset = ("\x1b[1m", "\x1b[0m") if dynamic else ("", "")
        if self.target is not None:
            numdigits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            count = ("%" + str(numdigits) + "d/%d") % (current, self.target)
            prog_width = int(self.width * (float(current) / self.target if self.target else 1))
            bar = f"{bold}{count}{reset} "
            if dynamic:
                if prog_width > 0:
                    bar += "\x1b[32m" + "━" * prog_width + "\x1b[0m"
                bar += "\x1b[37m" + "━" * (self.width - prog_width) + "\x1b[0m"
            else:
                bar += "━" * self.width
        else:
            bar = "%7d/Unknown" % current
        if self.target is not None and not finalize:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_format = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_format = "%d:%02d" % (eta // 60, eta % 60)
            else:
                eta_format = "%ds" % eta
            info = f" {bold}{eta_format}{reset}"
        else:
            info = f" {bold}{now - self._start:.0f}s{reset}"
        info += self._format_time(time_per_unit)
        for k in self._values_order:
            info += f" - {k}:" + _format_value(self._average(k))
        return bar, info

    def _write(self, parts, finalize):
        bar, info = parts
        if self._dynamic_display:
            visible = len(_strip_ansi(bar)) + len(_strip_ansi(info))
            message = "\b" * self._prev_total_width + "\r" + bar + info
            if self._prev_total_width > visible:
                message += " " * (self._prev_total_width - visible)
            self._prev_total_width = visible
        else:
            message = bar + info
        if finalize:
            message += "\n"
        sys.stdout.write(message)
        sys.stdout.flush()

    def _format_time(self, time_per_unit):
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{self.unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{self.unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{self.unit_name}"

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)


def _strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
