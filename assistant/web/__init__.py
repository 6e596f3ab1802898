"""The chat page (Gradio): `assistant serve`. See app.py for the layout, backend.py for what
each tab does, render.py / tables.py for the escaped HTML, serve.py for binding and login."""

from __future__ import annotations

from assistant.settings import Settings
from assistant.web.serve import credentials, is_loopback, start

__all__ = ["credentials", "is_loopback", "serve", "start"]


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the page until interrupted (the `assistant serve` command)."""
    start(settings, host, port, block=True)
