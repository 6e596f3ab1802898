"""The vector store behind the index: Chroma, embedded (default) or as a server.

Each build writes a *new* collection; the manifest then names it as current. Readers follow the
manifest, so a build that dies half-way leaves the previous collection in charge. The manifest
lives in ``<index_dir>/manifest.json`` (embedded) or in a registry collection (server mode, so
that every app replica sees the same one).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

from assistant.errors import StoreError
from assistant.files import atomic_write
from assistant.settings import Settings, set_offline_env

MANIFEST_VERSION = 1
_REGISTRY_ID = "manifest"


def _chroma_settings() -> Any:
    # lazy: keeps chromadb out of light paths
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class Store:
    """A Chroma client plus the manifest that says which collection is current."""

    def __init__(self, settings: Settings) -> None:
        set_offline_env()
        self.settings = settings
        self.server_mode = settings.chroma_host is not None
        self._client: Any = None

    # --- client ---------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        import chromadb  # lazy: keeps chromadb out of light paths

        s = self.settings
        try:
            if self.server_mode:
                headers = {}
                if s.chroma_token is not None:
                    headers["Authorization"] = f"Bearer {s.chroma_token.get_secret_value()}"
                client = chromadb.HttpClient(
                    host=s.chroma_host,
                    port=s.chroma_port,
                    headers=headers,
                    settings=_chroma_settings(),
                )
                client.heartbeat()
                return client
            path = self.chroma_dir
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        except Exception as exc:  # chromadb raises many kinds; all mean the same to a user
            raise StoreError(self._unreachable(exc)) from exc

    def _unreachable(self, exc: Exception) -> str:
        if self.server_mode:
            return (
                f"cannot reach the Chroma server at {self.settings.chroma_host}:"
                f"{self.settings.chroma_port} ({exc}). Start it (`chroma run --path DIR --host "
                "127.0.0.1 --port N`) or unset ASSISTANT_CHROMA_HOST for the embedded store."
            )
        return (
            f"the vector store at {self.chroma_dir} cannot be opened ({exc}). "
            "Rebuild it with `assistant index --rebuild`."
        )

    def quarantine(self) -> Path | None:
        """Move an embedded store that cannot be opened aside (kept for inspection), so a
        rebuild can start clean. Server stores are never touched."""
        if self.server_mode or not self.chroma_dir.exists():
            return None
        from chromadb.api.shared_system_client import SharedSystemClient  # lazy: as above

        SharedSystemClient.clear_system_cache()  # drop this process's handles on the old files
        target = self.chroma_dir.with_name(f"chroma.broken-{uuid.uuid4().hex[:6]}")
        self.chroma_dir.rename(target)
        self.manifest_file.unlink(missing_ok=True)
        self._client = None
        return target

    @property
    def chroma_dir(self) -> Path:
        return self.settings.index_path / "chroma"

    @property
    def location(self) -> str:
        if self.server_mode:
            return f"chroma://{self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.chroma_dir)

    # --- collections ----------------------------------------------------------------------
    def new_collection_name(self) -> str:
        return f"{self.settings.collection_namespace}_{uuid.uuid4().hex[:12]}"

    def create_collection(self, name: str) -> Any:
        try:
            return self.client.create_collection(
                name, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        except Exception as exc:
            raise StoreError(self._unreachable(exc)) from exc

    def get_collection(self, name: str) -> Any:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise StoreError(
                f"the index names collection {name!r}, which the store does not hold ({exc}). "
                "Rebuild it with `assistant index --rebuild`."
            ) from exc

    def build_collections(self) -> list[str]:
        """Names of all collections this project made (current, previous and orphans)."""
        prefix = f"{self.settings.collection_namespace}_"
        try:
            names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        except Exception as exc:
            raise StoreError(self._unreachable(exc)) from exc
        return [n for n in names if n.startswith(prefix) and n != self._registry_name]

    def delete_collection(self, name: str) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to do
            self.client.delete_collection(name)

    # --- manifest -------------------------------------------------------------------------
    @property
    def manifest_file(self) -> Path:
        return self.settings.index_path / "manifest.json"

    @property
    def _registry_name(self) -> str:
        return f"{self.settings.collection_namespace}_registry"

    def read_manifest(self) -> dict[str, Any] | None:
        """The current manifest, or None when no index has been built."""
        if self.server_mode:
            try:
                registry = self.client.get_or_create_collection(
                    self._registry_name, embedding_function=None
                )
                got = registry.get(ids=[_REGISTRY_ID], include=["documents"])
            except Exception as exc:
                raise StoreError(self._unreachable(exc)) from exc
            raw = got["documents"][0] if got["documents"] else None
        else:
            if not self.manifest_file.exists():
                return None
            raw = self.manifest_file.read_text(encoding="utf-8")
        if raw is None:
            return None
        try:
            manifest = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StoreError(
                f"the index manifest is corrupt ({exc}). Rebuild with `assistant index --rebuild`."
            ) from exc
        if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
            raise StoreError(
                "the index manifest is from another version. Run `assistant index --rebuild`."
            )
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Switch readers over to the collection this manifest names, atomically."""
        manifest = {**manifest, "version": MANIFEST_VERSION}
        text = json.dumps(manifest, indent=1, sort_keys=True)
        if self.server_mode:
            try:
                registry = self.client.get_or_create_collection(
                    self._registry_name, embedding_function=None
                )
                registry.upsert(ids=[_REGISTRY_ID], documents=[text], embeddings=[[0.0]])
            except Exception as exc:
                raise StoreError(self._unreachable(exc)) from exc
        else:
            atomic_write(self.manifest_file, text)

    def manifest_stamp(self) -> Any:
        """Something cheap that changes whenever the manifest does (for reloading readers)."""
        if self.server_mode:
            manifest = self.read_manifest()
            return manifest.get("build_id") if manifest else None
        try:
            st = self.manifest_file.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)
