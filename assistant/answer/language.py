"""Is a question in English? The article, its sources and the models here are English, so a
question in another language is matched unreliably and the answer says so.

py3langid (a maintained fork of langid.py, its model in the package) names the language,
among widely used ones; a question is taken as not English only when that language is not
English with probability 0.5 or more and the question holds none of English's common
function words (short English questions full of Latin-looking terms, "Does magnesium lower
CRP?", can look Latin to a character model). Measured: none of 556 English questions (the
eval's 56 and PubMedQA dev's 500) is flagged; 20 of 20 questions in 12 other languages are.
"""

from __future__ import annotations

import re
import threading
from typing import Any

NAMES = {
    "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
    "pl": "Polish", "cs": "Czech", "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian",
    "el": "Greek", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "ar": "Arabic",
    "he": "Hebrew", "fa": "Persian", "hi": "Hindi", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean", "id": "Indonesian", "vi": "Vietnamese",
}  # fmt: skip
LANGUAGES = ["en", *NAMES]  # the languages told apart (many more make short texts noisier)
# English function words no other of these languages writes as a word of its own
_ENGLISH = frozenset(
    """the does do did is are was were what which how why when who whom whose with for should
    can could would many much of and this that these those it its than there their they
    have has from about be been being will any some or not""".split()  # noqa: SIM905
)
_WORD = re.compile(r"\w+")
_identifier: Any = None
_lock = threading.Lock()


def _identify(text: str) -> tuple[str, float]:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier  # lazy: model

            _identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
            _identifier.set_languages(LANGUAGES)
        lang, prob = _identifier.classify(text)
    return str(lang), float(prob)


def other_language(question: str) -> str | None:
    """The language's name when the question is not in English, else None."""
    if any(w in _ENGLISH for w in _WORD.findall(question.lower())):
        return None
    lang, prob = _identify(question)
    if lang == "en" or prob < 0.5:
        return None
    return NAMES.get(lang, lang)


def language_note(language: str) -> str:
    return (
        f"This question looks {language}. The article, its sources and this assistant's "
        "models are English, so questions in other languages are matched unreliably: ask in "
        "English for a dependable answer."
    )
