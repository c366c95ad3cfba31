"""The catalog: metrics, models and reports as rows for `mfl list` and docs."""

from __future__ import annotations

from metricflow_lite.build import metric_comment
from metricflow_lite.graph import base_metrics_of
from metricflow_lite.spec.model import BaseMetric, DerivedMetric, ProjectSpec


def formula_of(metric: BaseMetric | DerivedMetric) -> str:
    return metric_comment(metric).split(": ", 1)[1]


def catalog_rows(spec: ProjectSpec, kind: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows describing the project's metrics, models or reports."""
    if kind == "metrics":
        metrics = {m.name: m for m in spec.metrics}
        rows = []
        for metric in sorted(spec.metrics, key=lambda m: m.name):
            bases = [metrics[b] for b in base_metrics_of(metric.name, metrics)]
            models = sorted({b.model for b in bases if isinstance(b, BaseMetric)})
            target = ""
            if metric.target is not None:
                bounds = []
                if metric.target.min is not None:
                    bounds.append(f">= {metric.target.min:g}")
                if metric.target.max is not None:
                    bounds.append(f"<= {metric.target.max:g}")
                target = ", ".join(bounds)
            rows.append(
                [
                    metric.name,
                    metric.label or "",
                    formula_of(metric),
                    metric.format.value,
                    target,
                    ", ".join(models),
                ]
            )
        return ["name", "label", "formula", "format", "target", "models"], rows
    if kind == "models":
        rows = [
            [
                m.name,
                m.label or "",
                m.time or "",
                m.primary_key or "",
                ", ".join(d.name + (f" -> {d.joins}" if d.joins else "") for d in m.dimensions),
            ]
            for m in sorted(spec.models, key=lambda m: m.name)
        ]
        return ["name", "label", "time", "primary key", "dimensions"], rows
    rows = [
        [
            r.name,
            r.label or "",
            ", ".join(r.by),
            ", ".join(g.value for g in r.grains),
            ", ".join(r.metrics),
        ]
        for r in sorted(spec.reports, key=lambda r: r.name)
    ]
    return ["name", "label", "by", "grains", "metrics"], rows
