"""HTML read into blocks: headings, paragraphs, list items, captions, with exact spans in the
text built from them, and each block's span in the HTML file itself.

The text is the blocks' text joined by blank lines (what the product quotes); ``sources``
holds, per block, the span of the file it was read from: from its first text to the markup
after its last, so the block is that span of the file with tags and entities read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from assistant.types import Block

__all__ = ["HtmlBlocks", "read_html"]


class HtmlBlocks:
    """Accumulates (kind, text, section) units into text joined by blank lines, with spans."""

    def __init__(self) -> None:
        self.text = ""
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []  # (heading level, title)
        self.sources: list[list[int] | None] = []  # each block's span in the original file

    def heading(self, level: int, title: str, source: tuple[int, int] | None = None) -> None:
        title = " ".join(title.split())
        if not title:
            return
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.add("heading", title, source)
        self.path.append((level, title))

    def add(self, kind: str, text: str, source: tuple[int, int] | None = None) -> None:
        text = text.strip()
        if not text:
            return
        if self.text:
            self.text += "\n\n"
        start = len(self.text)
        self.text += text
        self.blocks.append(Block(kind, start, len(self.text), tuple(t for _, t in self.path)))
        self.sources.append(list(source) if source else None)


_BLOCK_TAGS = {
    "p": "paragraph",
    "li": "list_item",
    "blockquote": "paragraph",
    "pre": "paragraph",
    "td": "paragraph",
    "th": "paragraph",
    "dd": "paragraph",
    "dt": "paragraph",
    "figcaption": "caption",
    "caption": "caption",
}
_SKIP_TAGS = {"script", "style", "nav", "noscript", "template", "svg", "iframe", "head"}
_BREAK_TAGS = {
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "ul",
    "ol",
    "table",
    "tr",
    "br",
    "hr",
    "form",
    "body",
    "dl",
    "figure",
}


class _Html(HTMLParser):
    """HTML -> blocks: h1-h6 headings, p/li and other text blocks; no scripts, styles, nav.

    Each block also gets its span in the file's own text (``sources``): from its first text
    to the markup after its last, so the block is that span with tags and entities read."""

    def __init__(self, builder: HtmlBlocks, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = builder
        self.skip = 0
        self.buf: list[str] = []
        self.kind = "paragraph"
        self.title = ""
        self.in_title = False
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.span: list[int] = []  # [first text, end of the last] of the block being read
        self.open_end = False  # the last text read ends where the next markup starts

    def _at(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _mark(self) -> None:
        if self.open_end:
            self.span[1], self.open_end = self._at(), False

    def flush(self, next_kind: str = "paragraph", end: int | None = None) -> None:
        if self.open_end and end is not None:
            self.span[1], self.open_end = end, False
        text = " ".join("".join(self.buf).split())
        source = (self.span[0], self.span[1]) if self.span else None
        self.buf.clear()
        self.span = []
        if self.kind.startswith("h") and self.kind[1:].isdigit():
            self.builder.heading(int(self.kind[1:]), text, source)
        else:
            self.builder.add(self.kind, text, source)
        self.kind = next_kind

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark()
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "title":
            self.in_title = True
        elif not self.skip and (tag in _BLOCK_TAGS or re.fullmatch(r"h[1-6]", tag)):
            if (
                tag == "p"
                and self.kind in ("list_item", "caption")
                and not "".join(self.buf).strip()
            ):
                return  # <li><p>...</p></li>: the paragraph is the list item
            self.flush(_BLOCK_TAGS.get(tag, tag))
        elif not self.skip and tag in _BREAK_TAGS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        self._mark()
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag == "title":
            self.in_title = False
        elif not self.skip and (
            tag in _BLOCK_TAGS or tag in _BREAK_TAGS or re.fullmatch(r"h[1-6]", tag)
        ):
            self.flush()

    def handle_data(self, data: str) -> None:
        self._mark()
        if self.in_title:
            self.title += data
        elif not self.skip:
            self.buf.append(data)
            if data.strip():
                if not self.span:
                    self.span = [self._at(), self._at()]
                self.open_end = True

    def handle_comment(self, data: str) -> None:
        self._mark()


def read_html(text: str) -> tuple[HtmlBlocks, str]:
    """The blocks of an HTML page and its <title>."""
    builder = HtmlBlocks()
    parser = _Html(builder, text)
    parser.feed(text)
    parser.close()
    parser.flush(end=len(text))
    return builder, " ".join(parser.title.split())
