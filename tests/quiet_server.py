"""A threading HTTP server for tests that does not print when a client hangs up.

Tests of timeouts and cancelled streams close the connection while a handler is still
writing. The standard server then prints a BrokenPipeError traceback to whatever sys.stderr
is at that moment, which may be another test's captured output. Those errors are the
expected outcome here; any other handler error still prints as usual.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
