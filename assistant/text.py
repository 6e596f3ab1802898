"""The text toolkit every stage shares: one of each.

- ``normalize`` (quote marks, dashes, whitespace) and ``fold`` (lowercase, no accents): how
  texts are compared;
- ``words`` (BM25 and word-overlap terms), ``tokens`` (their set, three letters or more),
  ``stem`` and ``content_stems`` (what a claim or question is about: function and framing
  words never count), ``coverage``;
- ``split_sentences``: exact sentence spans of a source text;
- ``negated``: does a sentence deny or doubt something;
- ``quantities`` / ``carried``, ``specific_terms`` / ``term_carried``: figures, doses and
  abbreviated terms a source must state itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "FRAMING_WORDS",
    "STOPWORDS",
    "Quantity",
    "carried",
    "content_stems",
    "coverage",
    "fold",
    "negated",
    "normalize",
    "quantities",
    "specific_terms",
    "split_sentences",
    "stem",
    "term_carried",
    "tokens",
    "words",
]

# --- comparing texts --------------------------------------------------------------------------
_TRANSLATE = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "−": "-", "\u00a0": " "}
)


def normalize(text: str) -> str:
    """NFKC, straight quote marks and hyphens, single spaces: verbatim up to typography."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lowercase ASCII without accents: how names, titles and words are compared."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


# --- words, tokens, stems ---------------------------------------------------------------------
# Function words: they carry no topic, so BM25 and word overlap never match on them.
STOPWORDS = frozenset(
    """
    a an and are as at be been being by can did do does during for from has have
    how in into is it its of on or over than that the their then there these this those to
    under was were what when which who whom why will with also after before between may might
    no not
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
# Words that frame a question or a report rather than name its subject ("What does the
# article say about...", "the study found that...", "the role of"); never content.
FRAMING_WORDS = frozenset(
    """
    what which who whom whose when where why how whether does did do done is are was were be
    been being can could should would will may might must has have had any there this that
    these those they them it not also about say says said tell tells mention mentions
    mentioned according article articles paper papers source sources reference references
    author authors find finds found report reports reported show shows showed shown give
    gives given listed list lists describe describes described claim claims claimed
    role effect effects study studies
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")


def words(text: str) -> list[str]:
    """Folded words in order, decimals kept whole ("1.5"), function words dropped."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def tokens(text: str) -> set[str]:
    """The set of ``words`` of three letters or more."""
    return {w for w in words(text) if len(w) > 2}


def stem(word: str) -> str:
    """A plural's -s dropped, then cut to five letters: 'doses' meets 'dose', 'reduces' meets
    'reduced'; crude, but the same crudeness on both sides of every comparison."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:5]


def content_stems(text: str) -> set[str]:
    """Content words as stems; function and framing words ('the', 'what', 'does the article
    say') never count."""
    return {stem(w) for w in tokens(text) if w not in FRAMING_WORDS}


def coverage(claim: str, sentence: str) -> float:
    """Share of the claim's content words (stems) that the sentence holds."""
    wanted = content_stems(claim)
    return len(wanted & content_stems(sentence)) / len(wanted) if wanted else 0.0


# --- negation ---------------------------------------------------------------------------------
_NEGATION = re.compile(
    r"\b(?:no|not|never|neither|nor|none|without|cannot|fail(?:s|ed)?|lack(?:s|ed)?|"
    r"insufficient|inconclusive|conflicting|unclear)\b|n't\b",
    re.I,
)
_ABBREVIATION = re.compile(r"\b[A-Z]{2,}\b")


def negated(text: str) -> bool:
    """Does the sentence deny or doubt something ("no good evidence", "did not lower")?
    Capitals in running text are abbreviations, not words: "raise NO" is nitric oxide."""
    if not text.isupper():
        text = _ABBREVIATION.sub(" ", text)
    return bool(_NEGATION.search(text))


# --- sentences --------------------------------------------------------------------------------
_TOKEN_RE = re.compile(r"\S+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = _words(
    "e.g i.e al dr mr mrs ms prof vs cf viz approx ca st jr sr inc ltd corp dept univ "
    "spp sp resp incl est jan feb mar apr jun jul aug sep sept oct nov dec"
)
# Abbreviations that do not end a sentence when a number follows ("Fig. 2", "No. 5").
_BEFORE_NUMBER = _words("no nos fig figs eq eqs ref refs vol vols pp p ch sec tab pt")
# Words that start sentences far more often than they follow an initial ("A. Smith").
_STARTERS = _words(
    "the this that these those it its in on at we our they their there he she his her a an "
    "however but and or so thus therefore also although while when if as for to of by with "
    "after before during since because some many most all no one two each both"
)
_NAME_LINKS = _words("by and & to with from of")
_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«•"
_HARD_BREAK_RE = re.compile(r"\n[ \t]*\n\s*|\n[ \t]*(?=[•◦▪‣●*\-–]\s|\d{1,3}[.)]\s)")
_BULLET_RE = re.compile(r"[•◦▪‣●*\-–][ \t]+")
_AFTER_MARK_CITE_RE = re.compile(r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]")


def _word_before(text: str, pos: int, lo: int) -> tuple[str, int]:
    """The whitespace-delimited token ending at pos (exclusive), and where it starts."""
    start = pos
    while start > lo and not text[start - 1].isspace():
        start -= 1
    return text[start:pos], start


def _is_enumerator(text: str, word_start: int, lo: int) -> bool:
    """'1.' opening a text, a line, or following a colon or a finished sentence."""
    before = text[lo:word_start].rstrip(" \t")
    if before.endswith("."):  # "Fig. 2." is a reference, "done. 2." an enumerator
        token = _word_before(before, len(before) - 1, 0)[0].lstrip(_OPENERS).lower()
        return token not in _BEFORE_NUMBER and token not in _ABBREVIATIONS
    return not before or before.endswith(("\n", ":", "!", "?"))


def _period_ends_sentence(text: str, k: int, nxt: int, lo: int) -> bool:
    word, word_start = _word_before(text, k, lo)
    core = word.lstrip(_OPENERS).lower()
    next_word = _TOKEN_RE.match(text, nxt)
    next_text = next_word.group(0).strip(_OPENERS + ",;:").lower() if next_word else ""
    if core in _ABBREVIATIONS:
        return False
    if core in _BEFORE_NUMBER and text[nxt].isdigit():
        return False
    if core.isdigit() and len(core) <= 3 and _is_enumerator(text, word_start, lo):
        return False
    bare = word.lstrip(_OPENERS)
    dotted = re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", bare)  # U.S, J.K
    initial = len(bare) == 1 and bare.isupper()
    if (dotted or initial) and next_text not in _STARTERS:
        if dotted:
            return False
        p = word_start
        while p > lo and text[p - 1].isspace():
            p -= 1
        prev = _word_before(text, p, lo)[0].strip(_OPENERS)
        name_like = not prev or prev.endswith((",", ".")) or prev[:1].isupper()
        return not (name_like or prev.lower() in _NAME_LINKS)
    return True


def _named_lowercase(text: str, pos: int) -> bool:
    """A sentence may open with a name written in lowercase: a gene, microRNA or measure
    ("p53", "miR-375", "mtDNA", "pH"), told by a digit or capital inside the word."""
    m = _TOKEN_RE.match(text, pos)
    word = m.group(0) if m else ""
    return len(word) > 1 and any(c.isdigit() or c.isupper() for c in word[1:])


def _split_segment(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    spans, start, k = [], lo, lo
    while k < hi:
        ch = text[k]
        if ch not in ".!?…":
            k += 1
            continue
        end = k + 1
        while end < hi and (text[end] in ".!?…" or text[end] in _CLOSERS):
            end += 1
        if cite := _AFTER_MARK_CITE_RE.match(text, end, hi):  # "half.[1] The effect"
            end = cite.end()
        nxt = end
        while nxt < hi and text[nxt].isspace():
            nxt += 1
        if end < hi and nxt == end:  # "1.5", "word.word": no space after the mark
            k = end
            continue
        if nxt < hi:
            starts_ok = (
                text[nxt].isupper()
                or text[nxt].isdigit()
                or text[nxt] in _OPENERS
                or _named_lowercase(text, nxt)
            )
            if not starts_ok or (ch == "." and not _period_ends_sentence(text, k, nxt, lo)):
                k = end
                continue
        spans.append((start, end))
        start = k = nxt
    spans.append((start, hi))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        if bullet := _BULLET_RE.match(text, s, e):  # a list glyph is not part of the sentence
            s = bullet.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Absolute, whitespace-trimmed sentence spans of ``text[start:end]``.

    Blank lines and lines opening with a bullet or list number always break; a period breaks
    only before an uppercase letter, digit or opening quote, and not after abbreviations,
    initials or list numbers. A "Label: sentence" item stays one sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    seg_start = start
    for m in _HARD_BREAK_RE.finditer(text, start, end):
        spans += _split_segment(text, seg_start, m.start())
        seg_start = m.end()
    spans += _split_segment(text, seg_start, end)
    return spans


# --- figures and terms --------------------------------------------------------------------
@dataclass(frozen=True)
class Quantity:
    """A number, percentage, range or dose, normalized so that '35%' equals '35 percent'."""

    lo: float
    hi: float
    unit: str  # canonical unit ("%", "mg", "mg/day", "h"...) or "" for a bare count
    text: str  # as written

    def same(self, other: Quantity) -> bool:
        """Does ``other`` (found in evidence) state this quantity? A percentage needs a
        percentage; a dose per day matches the same dose in the same mass unit; a bare
        count in the claim matches the same count with any unit."""
        if abs(self.lo - other.lo) > 1e-9 or abs(self.hi - other.hi) > 1e-9:
            return False
        if not self.unit:
            return True
        if self.unit == "%" or other.unit == "%":
            return self.unit == other.unit
        return not other.unit or self.unit.split("/")[0] == other.unit.split("/")[0]


_UNITS = {
    "%": "%",
    "percent": "%",
    "per cent": "%",
    "percentage points": "%",
    "mg/day": "mg/day",
    "mg/d": "mg/day",
    "mg per day": "mg/day",
    "mg daily": "mg/day",
    "mg": "mg",
    "milligrams": "mg",
    "g": "g",
    "grams": "g",
    "mcg": "µg",
    "µg": "µg",
    "μg": "µg",
    "micrograms": "µg",
    "iu": "IU",
    "mmol/l": "mmol/L",
    "mmol": "mmol",
    "mg/dl": "mg/dL",
    "kg": "kg",
    "ml": "mL",
    "kcal": "kcal",
    "fold": "fold",
    "hours": "h",
    "hour": "h",
    "days": "d",
    "day": "d",
    "weeks": "wk",
    "week": "wk",
    "months": "mo",
    "month": "mo",
    "years": "y",
    "year": "y",
}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_NUM = r"\d+(?:[.,]\d+)*"
_QUANTITY_RE = re.compile(
    rf"(?<![\w.\-–])(?P<lo>{_NUM})(?:\s*%?\s*(?:[-–—]|to)\s*(?P<hi>{_NUM}))?"
    rf"(?:\s*(?P<unit>{_UNIT_RE})(?![a-zA-Z]))?",
    re.I,
)
_WORD_QUANTITIES = {
    "half": (50.0, "%"),
    "third": (33.3, "%"),
    "quarter": (25.0, "%"),
    "twice": (2.0, "fold"),
    "double": (2.0, "fold"),
    "triple": (3.0, "fold"),
}
_WORD_RE = re.compile(rf"\b({'|'.join(_WORD_QUANTITIES)})\b", re.I)


def _value(text: str) -> float | None:
    """1,200 and 1,200.5 (thousands), 3.5 and 3,5 (decimals); None for what is no one
    number, such as a version or section number (3.4.5)."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    if len(re.findall(r"[.,]", text)) > 1:
        return None
    return float(text.replace(",", "."))


def quantities(text: str) -> list[Quantity]:
    """Every quantity in the text; bare four-digit years are dates, not quantities."""
    out = []
    for m in _QUANTITY_RE.finditer(text):
        lo = _value(m["lo"])
        hi = _value(m["hi"]) if m["hi"] else lo
        if lo is None or hi is None:
            continue
        unit = _UNITS.get((m["unit"] or "").lower(), "")
        if not unit and "%" in m.group(0):
            unit = "%"
        if not unit and not m["hi"] and 1900 <= lo <= 2100 and float(lo).is_integer():
            continue
        out.append(Quantity(lo, hi, unit, m.group(0).strip()))
    for m in _WORD_RE.finditer(text):
        value, unit = _WORD_QUANTITIES[m.group(1).lower()]
        out.append(Quantity(value, value, unit, m.group(0)))
    return out


def carried(quantity: Quantity, text: str) -> bool:
    """Does the text state this quantity (same value or range, compatible unit)?"""
    return any(quantity.same(q) for q in quantities(text))


# Abbreviated technical terms (IL-6, TNF-α, HPA, DHT): like numbers, precise facts a source
# must itself name. "(IL-6)" after a spelled-out name lets that name stand in for it.
_TERM_RE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]+(?:-[0-9A-Za-zα-ω]+)?(?![\w-])")


def specific_terms(text: str) -> list[tuple[str, str | None]]:
    """(abbreviation, the word spelled out just before its parentheses, if any)."""
    out: dict[str, str | None] = {}
    for m in _TERM_RE.finditer(text):
        before = re.search(r"([\w-]+)\s*\($", text[: m.start()])
        spelled = before.group(1) if before and text[m.end() : m.end() + 1] == ")" else None
        out.setdefault(m.group(0), spelled)
    return list(out.items())


def term_carried(term: str, spelled: str | None, text: str) -> bool:
    if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text):
        return True
    return bool(spelled) and spelled.lower() in text.lower()
