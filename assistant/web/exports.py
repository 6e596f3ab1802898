"""Where the page writes files for download: one private folder per process.

mkdtemp makes it with mode 0700 under a name no one can guess, so another local user cannot
plant files or symlinks in it. It is removed at exit, and made again if something (a temp
cleaner) removed it meanwhile. Each export content gets a subfolder of its own, so two
exports (two filters, two conversations) never overwrite each other's files.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from pathlib import Path

_root: Path | None = None
_lock = threading.Lock()


def _private_root() -> Path:
    global _root
    with _lock:
        if _root is None or not _root.is_dir():
            _root = Path(tempfile.mkdtemp(prefix="assistant-exports-"))
            atexit.register(shutil.rmtree, _root, ignore_errors=True)
        return _root


def export_dir(content: str) -> Path:
    """The subfolder for one export, named by a digest of its ``content``."""
    folder = _private_root() / hashlib.sha1(content.encode()).hexdigest()[:16]
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder
