"""Full-text search over a client's notes through the blind index, and the passages it found.

The database never sees a word: each query word is normalised and hashed with the client's search
key exactly as ``vault.reindex`` hashes the words of a note, and only those tokens are matched
against the database's own full-text index (GIN over a tsvector on PostgreSQL, FTS5 on SQLite).
Highlights are cut from the decrypted transcript in the app, after the match.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from service import vault
from service.errors import ApiError
from service.models import Note

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
#: A sentence of at most this many words is shown whole around a hit.
WHOLE_SENTENCE_WORDS = 16
#: Words of context on each side of a hit in a longer sentence (about a dozen in all).
CONTEXT_BEFORE, CONTEXT_AFTER = 5, 6
MAX_HIGHLIGHTS = 5
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")
_CLOSING = frozenset(".!?\u2026\"')\u201d")
_NOTES_FTS = table("notes_fts", column("rowid"))


def parse_query(raw: str | None) -> str | None:
    """Check a ``q`` parameter: None when absent, else text holding 1..MAX_QUERY_WORDS words."""
    if raw is None:
        return None
    if len(raw) > MAX_QUERY_CHARS:
        raise ApiError(422, "invalid_q", f"q may be at most {MAX_QUERY_CHARS} characters long")
    words = set(vault.normalise_words(raw))
    if not words:
        raise ApiError(
            422, "invalid_q", "q must hold at least one word to search for (letters or digits)"
        )
    if len(words) > MAX_QUERY_WORDS:
        raise ApiError(422, "invalid_q", f"q may hold at most {MAX_QUERY_WORDS} different words")
    return raw


def query_words(q: str) -> set[str]:
    """The normalised words of a query: what a note must contain, all of them."""
    return set(vault.normalise_words(q))


def matches(session: Session, owner_id: str, q: str) -> ColumnElement[bool]:
    """A WHERE clause: the note's blind index holds the token of every word of ``q``.

    Tokens are 16 hex digits, so they are safe inside a tsquery or an FTS5 query; they are still
    sent as bound parameters."""
    tokens = vault.blind_terms(owner_id, q)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The same expression as the GIN index (0001_initial), so the planner can use it.
        vector = func.to_tsvector(literal_column("'simple'"), Note.search_terms)
        query = func.to_tsquery(
            literal_column("'simple'"), bindparam("search_q", " & ".join(tokens), unique=True)
        )
        return vector.op("@@")(query)
    if dialect == "sqlite":
        fts_query = " AND ".join(f'"{token}"' for token in tokens)
        hits = select(_NOTES_FTS.c.rowid).where(
            literal_column("notes_fts").op("MATCH")(bindparam("search_q", fts_query, unique=True))
        )
        return literal_column("notes.rowid").in_(hits)
    raise NotImplementedError(f"search is not available on {dialect}")


# --- highlights -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    norm: str


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold like ``vault.normalise_words`` but remember where each folded character came from.

    Folding changes lengths ("é" becomes "e" plus a combining mark, then "e"), so offsets found
    in the folded text must be mapped back to the original before they are shown."""
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        for part in unicodedata.normalize("NFKD", ch.lower()):
            if not unicodedata.combining(part):
                chars.append(part)
                origin.append(index)
    return "".join(chars), origin


def _words(text: str) -> list[_Word]:
    folded, origin = _fold_with_offsets(text)
    found = []
    for m in vault.WORD.finditer(folded):
        start, end = origin[m.start()], origin[m.end() - 1] + 1
        # Folding drops combining accents; a word still ends after its last one ("Cafe\u0301").
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        # Normalise the original span with the indexer's own function, so a highlight marks
        # exactly the words the index matched.
        norm = "".join(vault.normalise_words(text[start:end]))
        found.append(_Word(start, end, norm))
    return found


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds, cursor = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((cursor, m.end()))
        cursor = m.end()
    bounds.append((cursor, len(text)))
    return bounds


def _windows(hits: list[int], sentence_of: list[int]) -> list[tuple[int, int]]:
    """Word ranges (first, last) around hits: a short sentence whole, else about a dozen words
    of it; windows that overlap are merged so a word is never shown twice."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for index, sentence in enumerate(sentence_of):
        first.setdefault(sentence, index)
        last[sentence] = index
    windows: list[tuple[int, int]] = []
    for i in hits:
        lo, hi = first[sentence_of[i]], last[sentence_of[i]]
        if hi - lo >= WHOLE_SENTENCE_WORDS:
            lo, hi = max(i - CONTEXT_BEFORE, lo), min(i + CONTEXT_AFTER, hi)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


def _passages(text: str, wanted: set[str]) -> list[dict[str, Any]]:
    words = _words(text)
    hits = [i for i, w in enumerate(words) if w.norm in wanted]
    if not hits:
        return []
    starts = [s for s, _ in _sentence_bounds(text)]
    sentence_of = [bisect_right(starts, w.start) - 1 for w in words]
    passages = []
    for lo, hi in _windows(hits, sentence_of)[:MAX_HIGHLIGHTS]:
        start, end = words[lo].start, words[hi].end
        # Keep the punctuation that closes the last word ("helped." not "helped").
        while end < len(text) and text[end] in _CLOSING:
            end += 1
        marks = [[w.start - start, w.end - start] for w in words[lo : hi + 1] if w.norm in wanted]
        passages.append({"start": start, "text": text[start:end], "matches": marks})
    return passages


def highlights(note: Note, q: str) -> list[dict[str, Any]]:
    """Passages of the note's title and transcript holding the query's words, hits marked.

    Each is ``{"field", "start", "text", "matches"}``: ``start`` is where the passage begins in
    the field, ``matches`` are ``[start, end]`` offsets into ``text`` in Unicode code points
    (a page in JavaScript, which counts UTF-16 units, should index ``Array.from(text)``). Plain
    text, never HTML: the page marks the spans itself, so no note text is read as markup."""
    wanted = query_words(q)
    found = [{"field": "title", **p} for p in _passages(vault.title_of(note), wanted)]
    transcript = vault.transcript_of(note) or ""
    found += [{"field": "transcript", **p} for p in _passages(transcript, wanted)]
    return found[:MAX_HIGHLIGHTS]
