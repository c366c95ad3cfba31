"""Files a command writes: each whole or not at all, and a failure named as the user's to fix."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from metricflow_lite.errors import os_error


def write_file(path: Path, content: str | bytes) -> None:
    """Write the file through a temporary one beside it, so that a full disk or a killed process
    never leaves half a report; an OSError becomes E708/E709 naming the path."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # a device, a pipe (/dev/stdout) or a link: written in place, never replaced
            with open(path, "wb") as handle:
                handle.write(data)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        if err.filename is None or Path(err.filename) == temporary:
            err.filename = str(path)
        raise os_error(err) from None
