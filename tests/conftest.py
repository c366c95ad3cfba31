"""Shared fixtures: fixture projects copied to tmp_path, built on a real DuckDB file."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOTS = Path(__file__).parent / "snapshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--overwrite-snapshots",
        action="store_true",
        default=False,
        help="Rewrite golden SQL snapshots in tests/snapshots/ instead of comparing.",
    )


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/snapshots/<name>, headed by the test's name and docstring."""
    overwrite = bool(request.config.getoption("--overwrite-snapshots"))
    test = request.node
    doc = (test.function.__doc__ or "").strip().splitlines()[0] if test.function.__doc__ else ""

    def check(name: str, text: str) -> None:
        path = SNAPSHOTS / name
        header = (
            f"-- test: {test.nodeid.split('::', 1)[-1]}\n-- {doc}\n"
            if doc
            else f"-- test: {test.name}\n"
        )
        content = header + text.rstrip() + "\n"
        if overwrite or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            if not overwrite:
                pytest.fail(f"snapshot {name} was missing and has been written; rerun")
            return
        expected = path.read_text(encoding="utf-8")
        if content != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    content.splitlines(keepends=True),
                    f"tests/snapshots/{name}",
                    "generated",
                )
            )
            pytest.fail(
                f"SQL differs from tests/snapshots/{name}; review the diff, then rerun with"
                f" --overwrite-snapshots\n{diff}",
                pytrace=False,
            )

    return check


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("target"))
    return target


def invoke(*args: str) -> Result:
    """Run the CLI in-process through the same main() users run."""
    from metricflow_lite.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """The tiny fixture project, copied, seeded and built."""
    project = copy_fixture("tiny", tmp_path)
    seed_project(project)
    build = invoke("build", "--project-dir", str(project))
    assert build.exit_code == 0, build.output
    return project


def seed_project(project: Path) -> None:
    result = invoke("seed", "--project-dir", str(project))
    assert result.exit_code == 0, result.output


DEMO_PARTS = ("metricflow_lite.yml", "seeds", "models", "metrics", "reports", "scripts")


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's demo contact center, copied once per session, seeded and built."""
    root = Path(__file__).parent.parent
    project = tmp_path_factory.mktemp("demo") / "demo"
    project.mkdir()
    for part in DEMO_PARTS:
        source = root / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            shutil.copy2(source, project / part)
    seed_demo(project)
    build = invoke("build", "--project-dir", str(project))
    assert build.exit_code == 0, build.output
    return project


def seed_demo(project: Path) -> None:
    """raw.* from the demo's seeds/ through `mfl seed`."""
    seed_project(project)
