"""Keras 3's console progress bar, and the `print_msg` helper it writes with.

The output matches `keras.utils.Progbar`: with `verbose=1` a bar that is
redrawn in place,

    32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.1000 - loss: 2.3222

and with `verbose=2` a single line when the bar is finalized,

    25/25 - 1s - 29ms/step - accuracy: 0.0913 - loss: 2.3603

Bold and colour codes are written only when `sys.stdout` is a terminal.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph.utils import io_utils

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_DONE = "━"
_TODO_PLAIN = "─"


def _now() -> float:
    """Returns the current time in seconds (patched by tests)."""
    return time.time()


def print_msg(message: str, line_break: bool = True) -> None:
    """Writes a message to `sys.stdout`, looked up at call time, or to the
    `"kgraph"` logger while interactive logging is disabled.

    Args:
        message: The text to write.
        line_break: Whether to append a newline.

    Example:

    >>> print_msg("Epoch 1/3")
    Epoch 1/3
    """
    if not io_utils.is_interactive_logging_enabled():
        io_utils.logger.info(str(message))
        return
    message = f"{message}\n" if line_break else str(message)
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        stream.buffer.write(message.encode("utf-8"))
    stream.flush()


def _is_terminal() -> bool:
    """Returns whether `sys.stdout` is an interactive terminal."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # A closed stream.
        return False


def _styled(text: str, code: str, color: bool) -> str:
    """Wraps `text` in an ANSI style when `color` is set."""
    return f"{code}{text}{_RESET}" if color else text


def format_time(time_per_unit: float, unit_name: str) -> str:
    """Formats a duration per unit as Keras does: s, ms or us.

    Args:
        time_per_unit: Seconds per unit.
        unit_name: Name of the unit, e.g. `"step"`.

    Returns:
        The duration with a leading space, e.g. `" 29ms/step"`.

    Example:

    >>> format_time(0.029, "step")
    ' 29ms/step'
    >>> format_time(0.0000042, "step")
    ' 4us/step'
    """
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


def format_value(value: Any) -> str:
    """Formats a metric value: `%.4f`, or `%.4e` when its size is <= 1e-3.

    Args:
        value: A number (or anything else, shown with `str`).

    Returns:
        The formatted value.

    Example:

    >>> format_value(2.32221)
    '2.3222'
    >>> format_value(0.0001)
    '1.0000e-04'
    """
    try:
        number = float(np.mean(value))
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.4f}" if abs(number) > 1e-3 else f"{number:.4e}"


def _format_eta(eta: float) -> str:
    """Formats the remaining time as `h:mm:ss`, `m:ss` or `Ns`."""
    if eta > 3600:
        return f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


def _count(current: int, target: int) -> str:
    """Returns `current/target` with current right-aligned to target."""
    digits = int(math.log10(target)) + 1
    return f"%{digits}d/%d" % (current, target)


class Progbar:
    """Displays a progress bar.

    If neither of `stateful_metrics` and `stateless_metrics` is provided, all
    metrics are assumed to be stateless (averaged by the progress bar before
    display), as in Keras.

    Args:
        target: Total number of steps expected, `None` if unknown.
        width: Progress bar width on screen.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose).
        interval: Minimum visual progress update interval (in seconds).
        stateful_metrics: Iterable of names of metrics that should *not* be
            averaged over time; they are displayed as given.
        stateless_metrics: Iterable of names of metrics that *should* be
            averaged over time; all others are displayed as given.
        unit_name: Display name for step counts (usually "step" or "sample").

    Raises:
        ValueError: If both `stateful_metrics` and `stateless_metrics` are
            given.

    Example:

    >>> bar = Progbar(20, verbose=0)
    >>> bar.update(5, [("loss", 1.0)])
    >>> bar.update(10, [("loss", 3.0)])
    >>> bar.values()
    {'loss': 2.0}
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateless_metrics = (
            set(stateless_metrics) if stateless_metrics is not None else None
        )
        self.stateful_metrics = (
            set(stateful_metrics or ()) if self.stateless_metrics is None else None
        )
        self._seen_so_far = 0
        self._values: dict[str, list[Any]] = {}
        self._values_order: list[str] = []
        self._start = _now()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0

    def update(
        self,
        current: int,
        values: Sequence[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Updates the progress bar.

        Args:
            current: Index of the current step (the number of steps done).
            values: List of `(name, value_for_last_step)` tuples. A stateful
                metric is displayed as given; a stateless one is averaged
                over the steps seen.
            finalize: Whether this is the last update for the progress bar.
                If `None`, it is `current >= self.target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values or [], finalize)
        self._seen_so_far = current
        now = _now()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._print_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize:
            self._print_line(current, now, time_per_unit)
        self._last_update = now

    def add(self, n: int, values: Sequence[tuple[str, Any]] | None = None) -> None:
        """Advances the bar by `n` steps.

        Args:
            n: Number of steps done since the last update.
            values: As in `update`.
        """
        self.update(self._seen_so_far + n, values)

    def values(self) -> dict[str, float]:
        """Returns the displayed value of each metric, in display order.

        Returns:
            A dict from metric name to its (averaged) value.
        """
        return {k: self._average(k) for k in self._values_order}

    def _is_stateless(self, name: str) -> bool:
        """Returns whether metric `name` is averaged over steps."""
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or ())

    def _accumulate(
        self, current: int, values: Sequence[tuple[str, Any]], finalize: bool
    ) -> None:
        """Records the values of one update, weighted by the steps it covers."""
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if not self._is_stateless(name) or finalize:
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            total, count = self._values.get(name, [0.0, 0])
            self._values[name] = [total + value * steps, count + steps]

    def _average(self, name: str) -> Any:
        """Returns the value shown for metric `name`."""
        total, count = self._values[name]
        try:
            return float(np.mean(total)) / max(1, count)
        except (TypeError, ValueError):
            return total

    def _format_values(self) -> str:
        """Returns ` - name: value` for each metric, in first-seen order."""
        return "".join(
            f" - {name}: {format_value(self._average(name))}"
            for name in self._values_order
        )

    def _render_bar(self, current: int, color: bool) -> tuple[str, int]:
        """Returns the count and bar text, and its width on screen."""
        if self.target is None or self.target <= 0:
            text = f"{current:7d}/Unknown"
            return text, len(text)
        count = _count(current, self.target)
        done = int(self.width * float(current) / self.target)
        done = min(max(done, 0), self.width)
        todo = self.width - done
        if color:
            bar = _styled(_DONE * done, _GREEN, True) if done else ""
            bar += _styled(_DONE * todo, _WHITE, True)
        else:
            bar = _DONE * done + _TODO_PLAIN * todo
        text = _styled(count, _BOLD, color) + " " + bar
        return text, len(count) + 1 + self.width

    def _render_info(
        self, current: int, now: float, time_per_unit: float, finalize: bool
    ) -> tuple[str, str]:
        """Returns the time text (ETA or elapsed), styled and plain."""
        if self.target is not None and self.target > 0 and not finalize:
            plain = _format_eta(time_per_unit * (self.target - current))
        else:
            plain = f"{now - self._start:.0f}s"
        return plain, format_time(time_per_unit, self.unit_name)

    def _print_bar(
        self, current: int, now: float, time_per_unit: float, finalize: bool
    ) -> None:
        """Redraws the verbose=1 bar in place."""
        color = _is_terminal()
        bar, bar_width = self._render_bar(current, color)
        clock, per_unit = self._render_info(current, now, time_per_unit, finalize)
        tail = per_unit + self._format_values()
        message = "\r" + bar + " " + _styled(clock, _BOLD, color) + tail
        total_width = bar_width + 1 + len(clock) + len(tail)
        if self._prev_total_width > total_width:
            message += " " * (self._prev_total_width - total_width)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False)
        self._prev_total_width = total_width

    def _print_line(self, current: int, now: float, time_per_unit: float) -> None:
        """Prints the verbose=2 line: count, elapsed, time per unit, values."""
        if self.target is None or self.target <= 0:
            return
        info = f"{_count(current, self.target)} - {now - self._start:.0f}s"
        info += f" -{format_time(time_per_unit, self.unit_name)}"
        print_msg(info + self._format_values())

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Estimates the duration of one step, ignoring the first step."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit
