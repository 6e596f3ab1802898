"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API.

Its 'model' is a function from the request's messages to the reply text, so a test decides
what the model says; replies stream as server-sent events when the client asks for it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from quiet_server import QuietHTTPServer

Reply = Callable[[list[dict]], str]


def _handler(reply: Reply, delay: float, log: list[dict]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            log.append(body)
            if delay:
                time.sleep(delay)
            text = reply(body["messages"])
            base = {"id": "cmpl-1", "created": int(time.time()), "model": body.get("model", "m")}
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = text.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == len(words) - 1 else word + " "
                    event = {
                        **base,
                        "object": "chat.completion.chunk",
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"role": "assistant", "content": piece},
                                "finish_reason": None,
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                done = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                return
            payload = {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def chat_server(reply: Reply, delay: float = 0.0) -> Iterator[tuple[str, list[dict]]]:
    """Yield (base_url, request_log) for a server answering with `reply`."""
    log: list[dict] = []
    server = QuietHTTPServer(("127.0.0.1", 0), _handler(reply, delay, log))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", log
    finally:
        server.shutdown()
        server.server_close()


def quote_first_sentence(messages: list[dict]) -> str:
    """A faithful model: quotes the first sentence of the first reference passage it was given
    and cites it (an answer citing only the article is not kept where sources were quoted)."""
    found = re.search(
        r'<passage id="(\d+)" source="Reference[^\n]*\n(.*?)\n</passage>',
        messages[-1]["content"],
        re.S,
    )
    assert found is not None
    first = re.split(r"(?<=[.!?])\s", found.group(2).strip())[0].rstrip(".")
    return f'The passage says "{first}" [{found.group(1)}].'
