"""Text fidelity, as a property: for any Markdown a user adds, every block (so every quote the
product can show) is a verbatim substring of the file at its own offsets, and no content
character is dropped: each one outside the markup that structures the file (heading hashes,
bullets) lies inside some block."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

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
