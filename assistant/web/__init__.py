"""Web: the chat page (Gradio) behind `assistant serve`.

Owns the page's layout and handlers (app.py), what each tab does without the page
(backend.py), the escaped HTML of answers and tables (render.py, tables.py), its CSS
(style.py), and binding, login and launch (serve.py). Importing it does not import gradio.
"""

from __future__ import annotations

from assistant.settings import Settings
from assistant.web.serve import credentials, start

__all__ = ["credentials", "serve", "start"]


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the page until interrupted (the `assistant serve` command)."""
    start(settings, host, port, block=True)
