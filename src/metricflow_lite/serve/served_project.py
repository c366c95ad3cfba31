"""The project a server answers for: its spec, its build and the pages rendered from that build.

Everything here is keyed by the build answered from: a new build (or a changed spec read with
it) renders the dashboard and the report pages again, once, and every request of that build
gets the same pages. A spec that fails to load (a YAML file saved half-way) keeps the previous
spec until it loads again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metricflow_lite.errors import MflError
from metricflow_lite.serve.limits import Limits
from metricflow_lite.serve.snapshot import BuildSnapshot
from metricflow_lite.spec.model import ProjectSpec
from metricflow_lite.spec.project import Project

Log = Callable[[str], None]
ANSWERS_KEPT = 64


@dataclass(frozen=True, slots=True)
class Pages:
    """The HTML of one build: file name -> page (index.html and <report>_<grain>.html)."""

    build_id: str | None
    files: tuple[tuple[str, str], ...]
    error: MflError | None = None

    def page(self, name: str) -> str | None:
        return dict(self.files).get(name)


@dataclass
class ServedProject:
    """A project and target as a server reads them; safe to share between threads."""

    root: Path
    target_name: str | None
    limits: Limits
    log: Log
    project: Project
    spec: ProjectSpec
    snapshot: BuildSnapshot
    _spec_built_by: str | None = None  # the build the spec was read with
    _pages: Pages | None = None
    # a report's rows per (build, name, grain, date): the same for every request of a build
    _answers: OrderedDict[tuple[str | None, str, str], Any] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _render_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, root: Path, target_name: str | None, limits: Limits, log: Log) -> ServedProject:
        from metricflow_lite.spec.project import load_project
        from metricflow_lite.spec.validate import load_spec

        project = load_project(str(root))
        spec = load_spec(project)  # a broken project stops the server before it starts
        snapshot = BuildSnapshot.open(project, target_name, limits)
        served = cls(project.root, target_name, limits, log, project, spec, snapshot)
        served._spec_built_by = snapshot.built_by
        return served

    def refresh(self) -> bool:
        """Take a newer build (and the spec as it is now, when a build made it rather than a
        seed); True when the build changed."""

        def spec_first(built_by: str) -> None:
            # a seed since the build keeps its spec: its YAML may have been edited for the
            # next build, and read with this build's views it made every report E602
            if built_by != self._spec_built_by:
                self._reload_spec(built_by)

        if not self.snapshot.changed(spec_first):
            return False
        self.log(f"{now()} serving build {self.snapshot.build_id}")
        return True

    def _reload_spec(self, built_by: str) -> None:
        from metricflow_lite.spec.project import load_project
        from metricflow_lite.spec.validate import load_spec

        try:
            project = load_project(str(self.root))
            spec = load_spec(project)
        except MflError as err:
            self.log(f"{now()} the project does not load ({err}); keeping the previous spec")
            return
        with self._lock:
            self.project, self.spec = project, spec
            self._spec_built_by = built_by
            self._pages = None
            self._answers.clear()

    def remembered(self, key: tuple[str, str], compute: Callable[[], Any]) -> Any:
        """compute(), kept for the current build (at most ANSWERS_KEPT answers)."""
        full = (self.snapshot.build_id, *key)
        with self._lock:
            if full in self._answers:
                self._answers.move_to_end(full)
                return self._answers[full]
        answer = compute()
        if answer.get("build") != full[0]:
            return answer  # a new build came in meanwhile: not kept under the old one
        with self._lock:
            self._answers[full] = answer
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)
        return answer

    def pages(self) -> Pages:
        """The pages of the current build, rendered on first use after each build."""
        build_id = self.snapshot.build_id
        pages = self._pages
        if pages is not None and pages.build_id == build_id:
            return pages
        with self._render_lock:
            pages = self._pages
            if pages is not None and pages.build_id == build_id:
                return pages
            pages = self._render(build_id)
            self._pages = pages
            return pages

    def _render(self, build_id: str | None) -> Pages:
        from metricflow_lite.jobs.reports import report_table
        from metricflow_lite.report import html_filename, render_dashboard, render_report

        project, spec = self.project, self.spec
        files: list[tuple[str, str]] = []
        tables = []
        try:
            with self.snapshot.reader() as warehouse:
                for report in spec.reports:
                    for grain in report.grains:
                        table = report_table(spec, project, warehouse, report, grain)
                        content = render_report(table, "html")
                        assert isinstance(content, str)
                        files.append((html_filename(report.name, grain), content))
                        tables.append(table)
        except MflError as err:
            return Pages(build_id, (), err)
        if tables:
            files.insert(0, ("index.html", render_dashboard(tables)))
        return Pages(build_id, tuple(files))

    def close(self) -> None:
        self.snapshot.close()


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
