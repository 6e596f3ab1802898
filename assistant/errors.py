"""The error hierarchy. Every message says what happened and what to do about it.

AssistantError                 exit 1 unless stated
├── UsageError                 exit 2: bad arguments or input from the user
│   └── InputError             a question or file the assistant cannot take
│       └── DocumentExistsError  a document of that name is already added
├── ConfigError                exit 2: settings or config file are invalid
├── SourceError                a document or references.toml cannot be parsed
├── IndexMissingError          no index built yet (run `assistant index`)
├── IndexStaleError            the index was built with other settings
├── StoreError                 the vector store is unreachable or corrupt
├── IndexLockedError           another build holds the index lock
├── FetchError                 a reference could not be downloaded
│   └── OfflineError           the network is unreachable
└── ModelError                 a model (embedder, verifier, LLM) failed to load or answer
"""

from __future__ import annotations


class AssistantError(Exception):
    exit_code = 1


class UsageError(AssistantError):
    exit_code = 2


class InputError(UsageError):
    pass


class DocumentExistsError(InputError):
    pass


class ConfigError(AssistantError):
    exit_code = 2


class SourceError(AssistantError):
    pass


class IndexMissingError(AssistantError):
    pass


class IndexStaleError(AssistantError):
    pass


class StoreError(AssistantError):
    pass


class IndexLockedError(AssistantError):
    pass


class FetchError(AssistantError):
    pass


class OfflineError(FetchError):
    pass


class ModelError(AssistantError):
    pass
