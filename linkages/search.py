"""Search text folded the same way on both sides of a comparison: accents, case and control
characters removed, whitespace collapsed, so that "González" finds GONZALEZ and a NUL byte
cannot cut a pattern short."""

from __future__ import annotations

import unicodedata

# Between the parts of a search key: a folded needle holds no newline, so a search can never
# match across two parts (the end of a name and the start of a case number).
PART_SEPARATOR = "\n"
MAX_KEY_LENGTH = 400


def fold(value: str | None) -> str:
    """Lower case without accents or control characters, single spaces (MUÑOZ → munoz)."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)
                   and unicodedata.category(c)[0] != "C")
    return " ".join(text.casefold().split())


def search_key(*parts: str | None) -> str:
    """The stored search key of a record made of ``parts`` (name, case numbers)."""
    return PART_SEPARATOR.join(f for f in (fold(p) for p in parts) if f)[:MAX_KEY_LENGTH]
