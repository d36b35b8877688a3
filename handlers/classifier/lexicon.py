"""Keyword lexicons (lexicons.toml) and a fast multi-keyword matcher over them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Matcher:
    """Finds every lexicon keyword in a normalised text and counts hits per tag.

    Keywords are bucketed by their first two characters (one-character keywords
    by their only one), so a scan costs two dict lookups per character instead
    of one substring search per keyword (there are ~2,500).
    """

    singles: Mapping[str, tuple[str, ...]]
    pairs: Mapping[str, tuple[tuple[str, str], ...]]
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()

    @classmethod
    def from_groups(
        cls, groups: Mapping[str, list[str]], patterns: Mapping[str, list[str]] | None = None
    ) -> Matcher:
        singles: dict[str, list[str]] = {}
        pairs: dict[str, list[tuple[str, str]]] = {}
        for tag, words in groups.items():
            for word in {w.strip().lower() for w in words if w.strip()}:
                if len(word) == 1:
                    singles.setdefault(word, []).append(tag)
                else:
                    pairs.setdefault(word[:2], []).append((word, tag))
        compiled = tuple(
            (re.compile(rx), tag) for tag, rxs in (patterns or {}).items() for rx in rxs
        )
        return cls(
            {k: tuple(v) for k, v in singles.items()},
            {k: tuple(v) for k, v in pairs.items()},
            compiled,
        )

    def tags(self, text: str) -> dict[str, int]:
        """Count keyword hits per tag in `text` (already normalised)."""
        found: dict[str, int] = {}
        singles, pairs = self.singles, self.pairs
        prev_word = False
        for i, ch in enumerate(text):
            # ASCII words only match at a word start, so "hit" is not found in "white".
            word = ch < "\x80" and ch.isalnum()
            if not (word and prev_word):
                for tag in singles.get(ch, ()):
                    found[tag] = found.get(tag, 0) + 1
                for kw, tag in pairs.get(text[i : i + 2], ()):
                    if text.startswith(kw, i):
                        found[tag] = found.get(tag, 0) + 1
            prev_word = word
        for rx, tag in self.patterns:
            if rx.search(text):
                found[tag] = found.get(tag, 0) + 1
        return found


@cache
def _load() -> dict[str, dict[str, list[str]]]:
    raw = resources.files(__package__).joinpath("lexicons.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    return {
        table: {str(tag): [str(w) for w in words] for tag, words in data[table].items()}
        for table in ("lexicon", "patterns")
    }


def load_groups() -> dict[str, list[str]]:
    """The shipped keyword groups, keyed by tag."""
    return _load()["lexicon"]


def load_patterns() -> dict[str, list[str]]:
    """The shipped regular-expression cues, keyed by tag."""
    return _load()["patterns"]


@cache
def default_matcher() -> Matcher:
    """Matcher over the shipped lexicons, built once."""
    return Matcher.from_groups(load_groups(), load_patterns())
