"""Sentence splitting with character offsets: Punkt for running text, a token rule for PTB text,
and sentence-final punctuation for text in scripts written without spaces (Chinese, Japanese)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from model.text.languages import CJK_CHARACTERS, has_cjk
from model.types import Sentence

SplitMode = Literal["auto", "punkt", "ptb"]

PUNKT_PARAMS_PATH = Path(str(resources.files("model") / "resources" / "punkt_english.json"))

# Abbreviations Punkt must never end a sentence on, whatever the training text saw (lower case,
# without the final period, as Punkt stores them).
SEED_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof sr jr st mt ft gen gov sen rep rev col capt lt sgt cpl maj cmdr adm "
    "u.s u.k u.n e.u u.s.a d.c a.m p.m e.g i.e etc vs fig jan feb mar apr jun jul aug sep "
    "sept oct nov dec inc ltd co corp plc bros dept approx ave blvd".split()
)

# A blank line (possibly holding spaces) separates paragraphs; a sentence never crosses it. A
# single line break ends a sentence too (headlines, captions and bylines stand on their own line
# without final punctuation), unless the next line starts in lower case: then the text is
# hard-wrapped and the sentence goes on.
_LINE_BREAK = re.compile(r"\n[ \t\r\f\v]*(?:\n\s*)?")
# Punkt does not end a sentence at an ellipsis; news prose often does ("... last year… Officials").
_ELLIPSIS_END = re.compile(r"(?:…|\.\.\.)(?=\s+[\"“‘'(\[]?[A-Z])")
# PTB text ends a sentence with a standalone . ! or ? token, optionally followed by closing
# quote or bracket tokens.
_PTB_SENTENCE_END = re.compile(r"(?:^|(?<=\s))[.!?]+(?:\s+(?:''|'|\"|-rrb-|-rsb-|\)))*(?=\s|$)")
_PUNCTUATION = frozenset(".,!?;:")
# Punkt breaks cased prose after a person's initials and before a number's digits ("George W. |
# Bush", "J.K. | Rowling", "world No. | 7"), which the lower-cased training text never shows it:
# a piece ending so goes on into the next. Initials that are place abbreviations (U.S., D.C.) or
# the pronoun I can end a sentence and are left to Punkt, as is a break before a word that Punkt
# knows as a frequent sentence starter ("Plan B. The ...").
_INITIALS_END = re.compile(r"(?:^|[\s(])((?:[A-Z]\.)+)\s*$")
_NUMBER_SIGN_END = re.compile(r"(?:^|\s)[Nn]o\.\s*$")
# CJK text ends a sentence at 。！？ (and the half-width ｡), at …… (the six-dot ellipsis), and at
# . ! ? written right after a CJK character; closing quotes and brackets after the end stay with
# the sentence. An end followed by ，、：； is inside a sentence (“好！”他说 is split, “好！”，他说
# is not). Atomic, so that the comma test cannot give back part of the end.
_CJK_CLOSERS = "」』”’）)】》〉〕\"'\\]"
_CJK_END = re.compile(
    f"(?>(?:[。！？｡]|……|(?<=[{CJK_CHARACTERS}])[.!?])[。！？｡.!?…]*[{_CJK_CLOSERS}]*)"
    "(?![，,、：:；;])"
)


@lru_cache(maxsize=1)
def punkt_parameters() -> PunktParameters:
    """The Punkt parameters shipped in the package (no nltk.download)."""
    data = json.loads(PUNKT_PARAMS_PATH.read_text(encoding="utf-8"))
    params = PunktParameters()
    params.abbrev_types = set(data["abbrev_types"])
    params.collocations = {(a, b) for a, b in data["collocations"]}
    params.sent_starters = set(data["sent_starters"])
    params.ortho_context.update({k: int(v) for k, v in data["ortho_context"].items()})
    return params


@lru_cache(maxsize=1)
def punkt_tokenizer() -> PunktSentenceTokenizer:
    """The Punkt tokenizer with the shipped parameters."""
    return PunktSentenceTokenizer(punkt_parameters())


def looks_ptb_tokenized(text: str) -> bool:
    """True when most sentence punctuation stands as its own token, as in PTB/CoreNLP output."""
    standalone = attached = 0
    for token in text.split():
        if token in _PUNCTUATION:
            standalone += 1
        elif token[-1] in _PUNCTUATION and "." not in token[:-1]:  # "u.s." is an abbreviation
            attached += 1
    return standalone >= 2 and standalone >= 0.8 * (standalone + attached)


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the paragraphs and lines of ``text`` that no sentence crosses."""
    start = 0
    for match in _LINE_BREAK.finditer(text):
        blank_line = match.group().count("\n") > 1
        following = text[match.end() : match.end() + 1]
        if blank_line or not following.islower():
            yield start, match.start()
            start = match.end()
    yield start, len(text)


def _ptb_spans(paragraph: str) -> Iterator[tuple[int, int]]:
    """Sentence spans of PTB-tokenized text: each ends after a sentence-final token."""
    start = 0
    for match in _PTB_SENTENCE_END.finditer(paragraph):
        yield start, match.end()
        start = match.end()
    yield start, len(paragraph)


def _is_personal(initials: str) -> bool:
    """True for initials such as ``W.`` or ``J.K.``, not ``U.S.``, ``D.C.`` or the pronoun I."""
    return initials != "I." and initials[:-1].lower() not in SEED_ABBREVIATIONS


def _goes_on(piece: str, following: str) -> bool:
    """True when Punkt's break between ``piece`` and ``following`` is inside a sentence.

    Punkt always breaks after ``?`` and ``!``, so ``"Is it true?" he asked.`` would become two;
    it also breaks after initials and ``No.`` in cased prose (``_INITIALS_END``).
    """
    if following[:1].islower():
        return True
    initials = _INITIALS_END.search(piece)
    if initials and _is_personal(initials.group(1)):
        words = following.split(maxsplit=1)
        first = words[0].lower() if words else ""
        return following[:1].isupper() and first not in punkt_parameters().sent_starters
    return bool(_NUMBER_SIGN_END.search(piece)) and following[:1].isdigit()


def _punkt_spans(paragraph: str) -> Iterator[tuple[int, int]]:
    """Punkt's sentence spans, each piece that goes on (``_goes_on``) joined to the one before."""
    pending: tuple[int, int] | None = None
    for start, end in _split_at_ellipses(paragraph, punkt_tokenizer().span_tokenize(paragraph)):
        if pending is not None and _goes_on(paragraph[pending[0] : start], paragraph[start:end]):
            pending = (pending[0], end)
            continue
        if pending is not None:
            yield pending
        pending = (start, end)
    if pending is not None:
        yield pending


def _cjk_spans(paragraph: str) -> Iterator[tuple[int, int]]:
    """Spans of a paragraph holding CJK text: cut after each CJK sentence end, and any English
    between the ends split by Punkt (mixed text)."""
    start = 0
    ends = [match.end() for match in _CJK_END.finditer(paragraph)]
    for end in [*ends, len(paragraph)]:
        if paragraph[start:end].strip():
            for a, b in _punkt_spans(paragraph[start:end]):
                yield start + a, start + b
        start = end


def _split_at_ellipses(
    paragraph: str, spans: Iterator[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """The spans, each also cut after an ellipsis that a capitalised sentence follows."""
    for start, end in spans:
        for match in _ELLIPSIS_END.finditer(paragraph, start, end):
            yield start, match.end()
            start = match.end()
        yield start, end


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding whitespace, or None when nothing but whitespace is left."""
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    left = start + len(piece) - len(piece.lstrip())
    return left, left + len(stripped)


def _paragraph_spans(paragraph: str, use_ptb: bool) -> Iterator[tuple[int, int]]:
    """The sentence spans of one paragraph by the rule that fits its text."""
    if use_ptb:
        return _ptb_spans(paragraph)
    if has_cjk(paragraph):
        return _cjk_spans(paragraph)
    return _punkt_spans(paragraph)


def split_sentences(text: str, mode: SplitMode = "auto") -> list[Sentence]:
    """Split ``text`` into sentences with offsets; ``text[s.start:s.end] == s.text`` for each."""
    use_ptb = mode == "ptb" or (mode == "auto" and looks_ptb_tokenized(text))
    sentences: list[Sentence] = []
    for p_start, p_end in _blocks(text):
        paragraph = text[p_start:p_end]
        spans = _paragraph_spans(paragraph, use_ptb)
        for start, end in spans:
            span = _trimmed(text, p_start + start, p_start + end)
            if span is not None:
                sentences.append(Sentence(len(sentences), text[span[0] : span[1]], *span))
    return sentences
