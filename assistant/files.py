"""Writing files so that a reader, or a crash, never sees half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "swap_dir"]


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk and rename it over: readers
    see either the old content or the new, never half. ``str`` is written as UTF-8."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def swap_dir(finished: Path, target: Path) -> None:
    """Put a finished folder (a trained model) where ``target`` was: the old one is moved
    aside first and removed last, so a failed run never destroys a working folder."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    finished.rename(target)
    shutil.rmtree(old, ignore_errors=True)
