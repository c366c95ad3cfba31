"""The project a server answers for: its spec, its build and the pages rendered from that build.

Everything here is keyed by the build answered from: a new build (or a changed spec read with
it) renders the dashboard and the report pages again, once, and every request of that build
gets the same pages. A spec that fails to load (a YAML file saved half-way) keeps the previous
spec until it loads again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metricflow_lite.errors import MflError
from metricflow_lite.serve.limits import Limits
from metricflow_lite.serve.snapshot import BuildSnapshot
from metricflow_lite.spec.model import ProjectSpec
from metricflow_lite.spec.project import Project
from metricflow_lite.warehouse.served import Reader

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


@dataclass(frozen=True, slots=True)
class SpecRead:
    """The project and spec as read for a build (built_by: that build; None: none yet)."""

    project: Project
    spec: ProjectSpec
    built_by: str | None


@dataclass(frozen=True, slots=True)
class ServedBuild:
    """What one request reads: a build, its reader, and the spec its views were made from."""

    build_id: str
    project: Project
    spec: ProjectSpec
    warehouse: Reader


@dataclass
class ServedProject:
    """A project and target as a server reads them; safe to share between threads.

    The spec is kept with each build it was read for (BuildSnapshot's companion): a request
    reads one build and that build's spec together, whatever build is taken meanwhile."""

    root: Path
    target_name: str | None
    limits: Limits
    log: Log
    snapshot: BuildSnapshot
    _unbuilt: SpecRead  # the spec read at start, for the lists while nothing is built
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
        snapshot = BuildSnapshot(project, target_name, limits)
        snapshot.changed(lambda built_by, _: SpecRead(project, spec, built_by))
        return cls(project.root, target_name, limits, log, snapshot, SpecRead(project, spec, None))

    @property
    def project(self) -> Project:
        return self.current()[1].project

    def current(self) -> tuple[str | None, SpecRead]:
        """The current build's id (None: nothing built yet) and its spec, read together."""
        taken = self.snapshot.latest()
        if taken is None:
            return None, self._unbuilt
        return taken.build_id, self._read_of(taken.companion)

    @contextlib.contextmanager
    def reading(self) -> Iterator[ServedBuild]:
        """The current build with its spec, held until the block ends; E804 with no build."""
        with self.snapshot.reading() as taken:
            read = self._read_of(taken.companion)
            yield ServedBuild(taken.build_id, read.project, read.spec, taken.warehouse)

    def _read_of(self, companion: object) -> SpecRead:
        return companion if isinstance(companion, SpecRead) else self._unbuilt

    def refresh(self) -> bool:
        """Take a newer build (and the spec as it is now, when a build made it rather than a
        seed); True when the build changed."""
        if not self.snapshot.changed(self._spec_for):
            return False
        self.log(f"{now()} serving build {self.snapshot.build_id}")
        return True

    def _spec_for(self, built_by: str, previous: object) -> SpecRead:
        from metricflow_lite.spec.project import load_project
        from metricflow_lite.spec.validate import load_spec

        last = self._read_of(previous)
        # a seed since the build keeps its spec: its YAML may have been edited for the next
        # build, and read with this build's views it made every report E602
        if built_by == last.built_by:
            return last
        try:
            project = load_project(str(self.root))
            return SpecRead(project, load_spec(project), built_by)
        except MflError as err:
            # kept under the spec's own build: the next build or seed tries again
            self.log(f"{now()} the project does not load ({err}); keeping the previous spec")
            return last

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

        files: list[tuple[str, str]] = []
        tables = []
        try:
            with self.reading() as read:
                build_id = read.build_id  # a newer build than asked for: its pages, named so
                for report in read.spec.reports:
                    for grain in report.grains:
                        table = report_table(read.spec, read.project, read.warehouse, report, grain)
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
