"""Data flows one way (STYLE.md): files -> spec -> plan -> SQL -> warehouse -> reports.

Every import in src/ is read with `ast` (function-level imports too) and checked against the
stages' arrows; and only cli.py prints.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "metricflow_lite"
DRIVERS = ("duckdb", "psycopg", "pyspark")

# What each stage must not import (a module name, or a package and everything under it).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "spec": (
        *DRIVERS,
        "metricflow_lite.cli",
        "metricflow_lite.compile",
        "metricflow_lite.seeds",
        "metricflow_lite.warehouse",
        "metricflow_lite.report",
        "metricflow_lite.jobs",
    ),
    "compile": (
        *DRIVERS,
        "metricflow_lite.cli",
        "metricflow_lite.seeds",
        "metricflow_lite.report",
        "metricflow_lite.jobs",
    ),
    "seeds": (*DRIVERS, "metricflow_lite.cli", "metricflow_lite.report", "metricflow_lite.jobs"),
    # The warehouse reads the shared names and nothing else of the compiler.
    "warehouse": (
        "metricflow_lite.cli",
        "metricflow_lite.seeds",
        "metricflow_lite.report",
        "metricflow_lite.jobs",
        "metricflow_lite.compile.build",
        "metricflow_lite.compile.layers",
        "metricflow_lite.compile.plan",
        "metricflow_lite.compile.sqlgen",
    ),
    "report": (*DRIVERS, "metricflow_lite.cli", "metricflow_lite.jobs", "metricflow_lite.seeds"),
    "jobs": (*DRIVERS, "metricflow_lite.cli"),
    # The server reads builds through warehouse/served.py and renders through report/.
    "serve": (*DRIVERS, "metricflow_lite.cli", "metricflow_lite.seeds"),
}
PRINTING = ("print", "click.echo", "click.secho", "sys.stdout.write", "sys.stderr.write")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a module, relative imports resolved."""
    found = []
    package = ".".join(("metricflow_lite", *path.relative_to(PACKAGE).parent.parts))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((node.lineno, base))
            # `from metricflow_lite.compile import plan` imports the module plan
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def against_the_flow(path: Path) -> list[str]:
    rules = FORBIDDEN.get(stage_of(path), ())
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = []
    for line, module in imported(tree, path):
        for rule in rules:
            if module == rule or module.startswith(rule + "."):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line}: imports {module}")
                break
    return wrong


def called_name(node: ast.Call) -> str:
    parts = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def printing(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(PACKAGE)}:{node.lineno}: {called_name(node)}(...)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and called_name(node) in PRINTING
    ]


def test_every_import_goes_with_the_flow() -> None:
    wrong = [line for path in modules() for line in against_the_flow(path)]
    assert wrong == [], "\n".join(wrong)


def test_only_the_cli_prints_and_imports_click() -> None:
    wrong = [line for path in modules() if path.name != "cli.py" for line in printing(path)]
    clicks = [
        f"{path.relative_to(PACKAGE)}:{line}: imports click"
        for path in modules()
        if path.name != "cli.py"
        for line, module in imported(ast.parse(path.read_text(encoding="utf-8")), path)
        if module == "click" or module.startswith("click.")
    ]
    assert wrong + clicks == [], "\n".join(wrong + clicks)


def test_the_package_shows_its_stages() -> None:
    stages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert {"spec", "compile", "seeds", "warehouse", "report", "jobs"} <= stages
    assert (PACKAGE / "cli.py").is_file()


@pytest.mark.parametrize(
    ("stage", "source", "found"),
    [
        ("compile", "import duckdb\n", True),
        ("compile", "def f():\n    from metricflow_lite.report import frame\n", True),
        ("spec", "from metricflow_lite.compile import names\n", True),
        ("warehouse", "from metricflow_lite.compile import layers\n", True),
        ("warehouse", "from metricflow_lite.compile import names\n", False),
        ("compile", "from . import names\n", False),
        ("compile", "from ..jobs import pipeline\n", True),
        ("jobs", "from metricflow_lite.report import frame\n", False),
    ],
    ids=[
        "driver-in-compile",
        "lazy-report-import",
        "spec-above-compile",
        "warehouse-into-layers",
        "warehouse-names-ok",
        "relative-sibling-ok",
        "relative-up-into-jobs",
        "jobs-use-reports",
    ],
)
def test_the_checker_sees_an_arrow_against_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, source: str, found: bool
) -> None:
    """The check itself: a planted import is found (or let through) as the rules say."""
    package = tmp_path / "metricflow_lite"
    module = package / stage / "planted.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", package)
    assert bool(against_the_flow(module)) is found


def test_the_checker_sees_a_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "metricflow_lite"
    module = package / "report" / "planted.py"
    module.parent.mkdir(parents=True)
    module.write_text("import click\n\ndef f():\n    click.echo('x')\n    print(1)\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", package)
    assert [line.split(": ", 1)[1] for line in printing(module)] == [
        "click.echo(...)",
        "print(...)",
    ]


def test_the_renderer_never_calls_back_into_the_planner() -> None:
    """sqlgen takes node and value types from plan.py, never a planning function."""
    path = PACKAGE / "compile" / "sqlgen.py"
    taken = [
        alias.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "metricflow_lite.compile.plan"
        for alias in node.names
    ]
    assert taken and [n for n in taken if not n[0].isupper()] == []


# The CLI's fast path (jobs/fastpath.py) answers a repeated query without the compiler: what it
# reads imports mfl's light modules only (the runtime check is tests/test_fastpath_table.py).
LIGHT = ("metricflow_lite.text", "metricflow_lite.periods", "metricflow_lite.spec.kinds")
FAST_PATH = {
    "text.py": LIGHT,
    "periods.py": LIGHT,
    "spec/kinds.py": LIGHT,
    "jobs/fastpath.py": (*LIGHT, "metricflow_lite.warehouse.readonly"),
}
HEAVY_LIBRARIES = ("sqlglot", "jinja2", "yaml", *DRIVERS)


@pytest.mark.parametrize("module", sorted(FAST_PATH))
def test_the_fast_path_imports_no_compiler(module: str) -> None:
    path = PACKAGE / module
    allowed = FAST_PATH[module]
    wrong = [
        f"{module}:{line}: imports {name}"
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8")), path)
        if name.split(".")[0] in HEAVY_LIBRARIES
        or (
            name.split(".")[0] == "metricflow_lite"
            and not any(name == a or name.startswith(a + ".") for a in allowed)
        )
    ]
    assert wrong == [], "\n".join(wrong)
