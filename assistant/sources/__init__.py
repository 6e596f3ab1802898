"""Sources: reading what the assistant may quote into ``Document`` objects.

Owns the article parser, JATS, curated notes, the reference list file (``references.toml``),
fetching full text from PubMed Central / Europe PMC, adding a user's own documents, and the
library of articles (`new`: an article from a file or link, its references resolved).
Everything downstream sees only ``Document`` (assistant.types), never a file format.
"""

from assistant.sources.add import FORMATS as DOCUMENT_TYPES
from assistant.sources.add import add_document, add_documents
from assistant.sources.corpus import FETCHED_DIR, REFERENCES_FILE, corpus_files, load_corpus
from assistant.sources.fetch import fetch_references
from assistant.sources.library import for_article, list_articles, new_article
from assistant.sources.references import extract_identifiers, load_references

__all__ = [
    "DOCUMENT_TYPES",
    "FETCHED_DIR",
    "REFERENCES_FILE",
    "add_document",
    "add_documents",
    "corpus_files",
    "extract_identifiers",
    "fetch_references",
    "for_article",
    "list_articles",
    "load_corpus",
    "load_references",
    "new_article",
]
