"""Scripts written without spaces (Chinese, Japanese): what counts as a character, word or n-gram.

One rule serves splitting, selection, ROUGE and the fallback ranker: a Han ideograph or a kana is
a word of its own; every other run of letters and digits is a word as before. Text without such
characters is treated exactly as it was (English results do not change). Hangul is not in the
set: Korean puts spaces between its words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path

# Han ideographs (unified, extension A, compatibility, the supplementary planes), hiragana and
# katakana (with their half-width forms).
CJK_CHARACTERS = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
CJK_CHARACTER = re.compile(f"[{CJK_CHARACTERS}]")
# A CJK character, or a run of other letters and digits (as \w+ finds words elsewhere).
_UNIT = re.compile(f"[{CJK_CHARACTERS}]|[^\\W{CJK_CHARACTERS}]+")
# Where CJK characters and other text alternate: a run of CJK characters, or of anything else.
_RUN = re.compile(f"[{CJK_CHARACTERS}]+|[^{CJK_CHARACTERS}]+")

LANGUAGE_SAMPLE_DOCUMENTS = 200


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a character of a script written without spaces."""
    return CJK_CHARACTER.search(text) is not None


def units(text: str) -> list[str]:
    """Lower-cased words of ``text``: each CJK character is one, other words as ``\\w+`` finds
    them (for text without CJK characters this is exactly ``re.findall(r"\\w+", text)``)."""
    return _UNIT.findall(text.lower())


def word_count(text: str) -> int:
    """Words as a reader counts them: whitespace-separated words; in text with CJK characters,
    each of those is a word and punctuation standing alone is none."""
    if not has_cjk(text):
        return len(text.split())
    cjk = len(CJK_CHARACTER.findall(text))
    rest = CJK_CHARACTER.sub(" ", text).split()
    return cjk + sum(1 for word in rest if any(c.isalnum() for c in word))


def runs(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into alternating runs, each with whether it is CJK characters."""
    return [(has_cjk(run[0]), run) for run in _RUN.findall(text)]


def character_ngrams(text: str, sizes: Sequence[int] = (1, 2)) -> list[str]:
    """Lower-cased character n-grams of each size inside each run of letters and digits (a
    shorter run is a gram of its own): terms that need no word boundaries, for any language."""
    grams: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        for n in sizes:
            grams.extend(word[i : i + n] for i in range(max(1, len(word) - n + 1)))
    return grams


def script_language(text: str) -> str:
    """A language code from the script alone: ``zh`` (Han), ``ja`` (with kana), ``ko`` (Hangul),
    else ``en`` (Latin and other scripts are read with the English rules)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    kana = sum(1 for c in letters if "\u3040" <= c <= "\u30ff")
    hangul = sum(1 for c in letters if "\uac00" <= c <= "\ud7af")
    cjk = len(CJK_CHARACTER.findall(text))
    if hangul > len(letters) / 2:
        return "ko"
    if cjk <= len(letters) / 2:
        return "en"
    return "ja" if kana > cjk / 10 else "zh"


def languages_of(texts: Iterable[str]) -> list[str]:
    """The languages (by script) of the documents, most frequent first."""
    counts: dict[str, int] = {}
    for text in texts:
        language = script_language(text)
        counts[language] = counts.get(language, 0) + 1
    return sorted(counts, key=lambda language: (-counts[language], language))


def languages_of_files(paths: Sequence[str | Path]) -> list[str]:
    """The languages of the articles of JSONL training files (the first documents of each)."""
    from model.text.data import (
        read_jsonl,  # deferred: model.text.data imports the splitter, which imports us
    )

    texts: list[str] = []
    for path in paths:
        texts.extend(e.article for e in islice(read_jsonl(path), LANGUAGE_SAMPLE_DOCUMENTS))
    return languages_of(texts)
