"""Text fidelity, as a property: for any Markdown a user adds, every block (so every quote the
product can show) is a verbatim substring of the file at its own offsets, and no content
character is dropped: each one outside the markup that structures the file (heading hashes,
bullets) lies inside some block. For any HTML, every block maps back to a span of the file
that reads as the block once tags and entities are read, and no text of the body is lost."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.sources.add import _parse
from assistant.sources.markdown import markdown_blocks

_WORD = st.text(alphabet="abcXYZ019*_[]()%.,-#`!", min_size=1, max_size=8)
_LINE = st.builds(
    lambda prefix, words: prefix + " ".join(words),
    st.sampled_from(["", "", "# ", "## ", "- ", "* ", "1. ", "  ", "12) "]),
    st.lists(_WORD, min_size=1, max_size=6),
)
_DOC = st.lists(st.one_of(_LINE, st.just("")), min_size=1, max_size=12).map("\n".join)


def _markup(line: str) -> int:
    """How many leading characters of the line are structure, not content."""
    stripped = line.lstrip()
    lead = len(line) - len(stripped)
    for pattern in (r"#{1,6}[ \t]+(?=\S)", r"[-*+][ \t]+(?=\S)"):
        if m := re.match(pattern, stripped):
            return lead + m.end()
    return lead


@settings(max_examples=300, deadline=None)
@given(_DOC)
def test_blocks_are_verbatim_and_drop_no_content(text: str) -> None:
    blocks, _ = markdown_blocks(text)
    covered = [False] * len(text)
    previous_end = 0
    for b in blocks:
        assert 0 <= b.start < b.end <= len(text) and b.start >= previous_end
        assert text[b.start : b.end].strip() == text[b.start : b.end]
        previous_end = b.end
        covered[b.start : b.end] = [True] * (b.end - b.start)
    pos = 0
    for line in text.split("\n"):
        for i in range(_markup(line), len(line)):
            if not line[i].isspace():
                assert covered[pos + i], (line, i)
        pos += len(line) + 1


# --- HTML: each block maps back to its span of the file ---------------------------------------
_HTML_WORD = st.sampled_from(
    ["zinc", "CRP", "1.5", "50%", "&amp;", "&lt;5", "caf&eacute;", "&#39;s", "a&nbsp;b", "x"]
)
_INLINE = st.builds(
    lambda words, tag: (f"<{tag}>" if tag else "") + " ".join(words) + (f"</{tag}>" if tag else ""),
    st.lists(_HTML_WORD, min_size=1, max_size=4),
    st.sampled_from(["", "", "b", "i", "em", "span", "sup"]),
)
_ELEMENT = st.builds(
    lambda tag, parts, gap: f"<{tag}>{gap.join(parts)}</{tag}>",
    st.sampled_from(["p", "h1", "h2", "h3", "li", "td", "blockquote"]),
    st.lists(_INLINE, min_size=1, max_size=4),
    st.sampled_from([" ", "\n", " \n  "]),
)
_PAGE = st.builds(
    lambda elements, joiner: (
        "<html><head><title>T</title></head><body>"
        + joiner.join(elements)
        + "<script>var hidden = 1;</script></body></html>"
    ),
    st.lists(_ELEMENT, min_size=1, max_size=8),
    st.sampled_from(["", "\n", "\n\n  "]),
)


def _read(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


@settings(max_examples=300, deadline=None)
@given(_PAGE)
def test_html_blocks_map_back_to_the_file_and_drop_no_content(page: str) -> None:
    doc = _parse("html", page, page.encode(), "d", "reference", "page.html")
    spans = doc.meta["source_spans"]
    assert len(spans) == len(doc.blocks)
    previous_end = 0
    for block, (start, end) in zip(doc.blocks, spans, strict=True):
        assert previous_end <= start < end <= len(page)
        previous_end = end
        shown = " ".join(doc.text[block.start : block.end].split())
        assert _read(page[start:end]) == shown  # the block is that span, tags and entities read
    body = page[page.index("<body>") : page.index("<script>")]
    everything = " ".join(" ".join(doc.text[b.start : b.end].split()) for b in doc.blocks)
    assert everything.replace(" ", "") == _read(body).replace(" ", "")  # nothing dropped
