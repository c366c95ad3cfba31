"""Which days and members each part of a metric is computed over: the frame of its window calls.

`rolling(abandonment_rate, '7 days')` re-aggregates abandonment_rate's parts (abandoned and
offered calls) over 7 days, never averages daily rates; so every base metric a formula reaches
is read in a `Frame`: the window steps around it, outermost first, and whether `total()` drops
the query's --by dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlglot import exp

from metricflow_lite.spec.graph import window_grain_errors
from metricflow_lite.spec.model import BaseMetric, DerivedMetric, Grain, Metric
from metricflow_lite.spec.windows import (
    PERIOD_SECONDS,
    WindowKind,
    WindowStep,
    call_name,
    step_of,
)


@dataclass(frozen=True, slots=True)
class Frame:
    """The window steps a part is read through (outermost first) and whether --by is dropped."""

    steps: tuple[WindowStep, ...] = ()
    total: bool = False

    def then(self, step: WindowStep) -> Frame:
        """This frame with one more step inside it."""
        if step.kind is WindowKind.TOTAL:
            return replace(self, total=True)
        return replace(self, steps=(*self.steps, step))

    @property
    def plain(self) -> bool:
        return not self.steps and not self.total

    @property
    def key(self) -> str:
        """A short name for CTEs: 'rolling_7_days__total'; '' for the plain frame."""
        words = [str(s).replace(" ", "_") for s in self.steps] + (["total"] if self.total else [])
        return "__".join(words)

    def __str__(self) -> str:
        return ", ".join([str(s) for s in self.steps] + (["total"] if self.total else []))


PLAIN = Frame()


@dataclass(frozen=True, slots=True)
class Usage:
    """A base metric read in a frame; `metric` None: period_seconds() in that frame."""

    metric: str | None
    frame: Frame


def usages(name: str, metrics: Mapping[str, Metric], frame: Frame = PLAIN) -> frozenset[Usage]:
    """Every (base metric, frame) and period_seconds() frame a metric's value needs."""
    metric = metrics.get(name)
    if isinstance(metric, BaseMetric):
        return frozenset({Usage(name, frame)})
    if not isinstance(metric, DerivedMetric):
        return frozenset()
    return _usages_in(metric.expr, metrics, frame)


def _usages_in(tree: exp.Expr, metrics: Mapping[str, Metric], frame: Frame) -> frozenset[Usage]:
    name = call_name(tree)
    if name == PERIOD_SECONDS:
        return frozenset({Usage(None, frame)})
    if name is not None:
        return _usages_in(tree.expressions[0], metrics, frame.then(step_of(tree)))
    if isinstance(tree, exp.Column):
        return usages(tree.name, metrics, frame)
    found: frozenset[Usage] = frozenset()
    for child in tree.iter_expressions():
        found |= _usages_in(child, metrics, frame)
    return found


def check_grain(names: tuple[str, ...], metrics: Mapping[str, Metric], grain: Grain | None) -> None:
    """MflError at the first window call that a grain cannot compute (sub-day, misaligned)."""
    for problem in window_grain_errors(names, metrics, grain):
        raise problem
