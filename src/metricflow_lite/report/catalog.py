"""The catalog: metrics, models and reports as rows for `mfl list` and docs."""

from __future__ import annotations

from metricflow_lite.compile.build import metric_comment
from metricflow_lite.spec.graph import base_metrics_of
from metricflow_lite.spec.model import BaseMetric, DerivedMetric, Metric, ProjectSpec

MARKDOWN_HEADER = (
    "# Metric catalogue\n\n"
    "Generated from `metrics/*.yml` by `mfl list metrics --format md > docs/metrics.md`;"
    " edit the YAML, then regenerate. A formula `agg(expr) where filter` aggregates one model's"
    " rows (`active from A until B`: the rows open at each period's end; `at the last snapshot`:"
    " the rows at the period's last snapshot time); any other formula is derived from the named"
    " metrics, re-computed from their parts at every grain. Targets: `>=` a minimum, `<=` a"
    " maximum.\n"
)
METRIC_COLUMNS = ("name", "label", "formula", "format", "target", "models", "description")


def formula_of(metric: BaseMetric | DerivedMetric) -> str:
    return metric_comment(metric).split(": ", 1)[1]


def target_of(metric: Metric) -> str:
    """The metric's target as text, e.g. '>= 0.8, <= 0.88'; empty without one."""
    if metric.target is None:
        return ""
    bounds = []
    if metric.target.min is not None:
        bounds.append(f">= {metric.target.min:g}")
    if metric.target.max is not None:
        bounds.append(f"<= {metric.target.max:g}")
    return ", ".join(bounds)


def models_of(metric: Metric, metrics: dict[str, Metric]) -> list[str]:
    """The models a metric reads, through its base metrics."""
    bases = [metrics[b] for b in base_metrics_of(metric.name, metrics)]
    return sorted({b.model for b in bases if isinstance(b, BaseMetric)})


def catalog_rows(spec: ProjectSpec, kind: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows describing the project's metrics, models or reports."""
    if kind == "metrics":
        metrics = {m.name: m for m in spec.metrics}
        rows = [
            [
                metric.name,
                metric.label or "",
                formula_of(metric),
                metric.format.value,
                target_of(metric),
                ", ".join(models_of(metric, metrics)),
            ]
            for metric in sorted(spec.metrics, key=lambda m: m.name)
        ]
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


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def metrics_markdown(spec: ProjectSpec) -> str:
    """The metric catalogue as Markdown: one table per metrics file, in file order."""
    metrics = {m.name: m for m in spec.metrics}
    files: dict[str, list[Metric]] = {}
    for metric in spec.metrics:
        files.setdefault(metric.loc.file, []).append(metric)
    parts = [MARKDOWN_HEADER]
    for file in sorted(files):
        parts.append(f"\n## {file}\n\n")
        parts.append("| " + " | ".join(METRIC_COLUMNS) + " |\n")
        parts.append("|" + "---|" * len(METRIC_COLUMNS) + "\n")
        for metric in sorted(files[file], key=lambda m: (m.loc.line, m.name)):
            cells = [
                f"`{metric.name}`",
                metric.label or "",
                f"`{formula_of(metric)}`",
                metric.format.value,
                target_of(metric),
                ", ".join(models_of(metric, metrics)),
                metric.description or "",
            ]
            parts.append("| " + " | ".join(_cell(c) for c in cells) + " |\n")
    return "".join(parts)
