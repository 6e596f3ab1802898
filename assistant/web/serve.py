"""Start the page: bind safely, say how it is reachable, queue requests, cap uploads.

Loopback by default. Any other address serves people on the network, so it needs a login
(settings.auth_user / auth_password): without one the server refuses to start.
"""

from __future__ import annotations

import ipaddress
import threading
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.settings import Settings, set_offline_env
from assistant.web.backend import WebBackend
from assistant.web.style import CSS

FAVICON = Path(__file__).resolve().parent / "favicon.svg"
SCRIPT = Path(__file__).resolve().parent / "page.js"  # the page's one script


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


def credentials(settings: Settings, host: str) -> tuple[str, str] | None:
    """The login for this bind address; ConfigError when one is needed and missing."""
    user = settings.auth_user
    password = settings.auth_password.get_secret_value() if settings.auth_password else ""
    if user and password:
        return (user, password)
    if user or password:
        raise ConfigError(
            "set both ASSISTANT_AUTH_USER and ASSISTANT_AUTH_PASSWORD (only one is set)."
        )
    if is_loopback(host):
        return None
    raise ConfigError(
        f"refusing to serve on {host} without a login: anyone on the network could use it. "
        "Set ASSISTANT_AUTH_USER and ASSISTANT_AUTH_PASSWORD, or bind 127.0.0.1."
    )


def startup_message(host: str, port: int, auth: tuple[str, str] | None) -> str:
    where = f"http://{host}:{port}"
    if auth is not None:
        return f"Serving on {where}; login required (user {auth[0]!r}; password from settings)."
    return f"Serving on {where} (this machine only). Offline: no CDN, analytics off."


def start(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    *,
    block: bool = True,
    backend: WebBackend | None = None,
    quiet: bool = False,
) -> Any:
    """Build and launch the page; returns the Gradio app (with block=False it keeps running
    in the background, for tests and embedding)."""
    set_offline_env()
    host = host or settings.host
    port = port or settings.port
    auth = credentials(settings, host)  # before gradio is imported: fail fast

    import gradio as gr  # lazy: keeps gradio out of `import assistant.web` and the CLI

    from assistant.web.app import build_app  # lazy: app.py imports gradio at its top

    backend = backend or WebBackend(settings)
    app = build_app(backend)
    app.queue(default_concurrency_limit=settings.concurrency)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Log in with the credentials set in ASSISTANT_AUTH_USER / _PASSWORD.",
        prevent_thread_lock=True,  # blocks below, once the warm-up has started
        share=False,
        inbrowser=False,
        quiet=True,
        show_error=False,
        theme=gr.themes.Default(primary_hue="teal", secondary_hue="slate").set(
            # white on teal-700 reads at 5.5:1 (WCAG AA); Gradio's teal-500 is 2.5:1
            button_primary_background_fill="*primary_700",
            button_primary_background_fill_hover="*primary_800",
            button_primary_background_fill_dark="*primary_700",
            button_primary_background_fill_hover_dark="*primary_800",
        ),
        css=CSS,
        js=SCRIPT.read_text(encoding="utf-8"),
        footer_links=[],
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        max_file_size=settings.max_upload_bytes,  # the upload route exists without widgets
        favicon_path=str(FAVICON),
    )
    # The page answers from here. The index and the models load behind it, so a replica is
    # up in the time Gradio takes to start; a question asked meanwhile waits for them.
    threading.Thread(target=backend.warm_up, name="warm-up", daemon=False).start()
    if not quiet:
        print(startup_message(host, port, auth), flush=True)
    if block:
        app.block_thread()
    return app
