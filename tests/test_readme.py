"""Every `mfl` example in the README runs on the demo and returns rows (#20)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import invoke

README = Path(__file__).parent.parent / "README.md"


def examples() -> list[str]:
    """The lines of the README's bash blocks that run `mfl` or `python -c`."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(("mfl ", 'python -c "'))]


def test_the_readme_has_examples() -> None:
    found = examples()
    assert sum(line.startswith("mfl query") for line in found) >= 3
    assert any(line.startswith("mfl report") for line in found)


@pytest.mark.parametrize("line", examples())
def test_readme_example_runs_on_the_demo_and_returns_rows(demo_project: Path, line: str) -> None:
    args = shlex.split(line, comments=True)
    if args[0] == "python":
        done = subprocess.run(
            [sys.executable, *args[1:]],
            cwd=demo_project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.splitlines()) > 5, done.stdout  # a table with rows
        return
    result = invoke(*args[1:], "--project-dir", str(demo_project))
    assert result.exit_code == 0, result.output
    out = result.stdout
    if "--sql" in args:
        assert out.lstrip().upper().startswith(("WITH", "SELECT", "--")), out
        return
    if "--format" in args and args[args.index("--format") + 1] == "csv":
        rows = [r for r in out.splitlines()[1:] if r.strip()]
    elif "--format" in args and args[args.index("--format") + 1] == "md":
        rows = [r for r in out.splitlines() if r.startswith("| ") and "---" not in r][1:]
    elif args[1] == "report":
        rows = [r for r in out.splitlines() if r.startswith("| ") and "|" in r[2:]][2:]
    else:
        rows = out.splitlines()[2:]  # below the header and its rule
    assert rows, out
    assert not any("(null)" in r for r in rows), out  # no example shows an unknown member
