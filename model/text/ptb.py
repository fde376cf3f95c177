"""Undoing Penn Treebank tokenization (CNN/DM style): bracket/quote escapes and token spacing."""

from __future__ import annotations

from collections.abc import Sequence

from model.text.sentences import split_sentences
from model.types import Sentence

# Detecting tokenized text is model.text.sentences.looks_ptb_tokenized: the splitter owns it.
#
# Why not nltk's TreebankWordDetokenizer: it leaves the bracket escapes (-lrb- ...) as they are,
# and glues "--" to both neighbours. Given the escapes undone, it writes 98.2% of the CNN/DM dev
# sentences as this module does (16,763 of 17,068; the rest differ around "--"), and the shipped
# model was trained on this module's output (scripts/compare_with_libraries.py).

# Bracket and quote escapes written by PTB / CoreNLP tokenizers (matched case-insensitively).
ESCAPES: dict[str, str] = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
    "``": '"',
    "''": '"',
    "`": "'",
}
# Tokens glued to the word before them.
_ATTACH_LEFT = frozenset(
    {".", ",", ";", ":", "!", "?", "%", ")", "]", "}", "-rrb-", "-rsb-", "-rcb-", "''", "'", "..."}
    | {"n't"}
    | {"'s", "'re", "'ve", "'ll", "'d", "'m"}
)
# Tokens glued to the word after them.
_ATTACH_RIGHT = frozenset({"(", "[", "{", "-lrb-", "-lsb-", "-lcb-", "``", "`", "$"})
# CoreNLP splits these words in two ("gon na"); the second half is glued back.
_SPLIT_WORDS = {("gon", "na"), ("wan", "na"), ("got", "ta")}


def unescape_token(token: str) -> str:
    """One PTB token with its bracket/quote escape undone (``-lrb-`` -> ``(``, `````` -> ``"``)."""
    return ESCAPES.get(token.lower(), token)


def _glued_to_previous(token: str, previous: str | None) -> bool:
    lowered = token.lower()
    if lowered in _ATTACH_LEFT:
        return True
    return previous is not None and (previous.lower(), lowered) in _SPLIT_WORDS


def detokenize(text: str) -> str:
    """Undo PTB escapes and token spacing so tokenized text reads like ordinary prose.

    ``he does n't `` like '' it -lrb- really -rrb- .`` -> ``he doesn't "like" it (really).``
    Case is kept as it is (CNN/DM stays lower-cased). Line breaks are kept; runs of other
    whitespace become one space. Not an exact inverse: PTB tokenization loses information.
    """
    return "\n".join(_detokenize_line(line) for line in text.split("\n"))


def _detokenize_line(line: str) -> str:
    pieces: list[str] = []
    previous: str | None = None
    glue_next = False
    for token in line.split():
        if pieces and not glue_next and not _glued_to_previous(token, previous):
            pieces.append(" ")
        pieces.append(unescape_token(token))
        glue_next = token.lower() in _ATTACH_RIGHT
        previous = token
    return "".join(pieces)


def detokenize_sentences(sentences: Sequence[Sentence]) -> tuple[str, list[Sentence]]:
    """Sentences split from tokenized text, detokenized and joined by single spaces into a new text.

    Split first, then detokenize: lower-cased CNN/DM text gives Punkt no capitals to find
    sentence starts by, so the detokenized text cannot be split again. Offsets point into the new
    text, and indices are kept, so labels computed on the tokenized sentences still apply.
    """
    pieces: list[str] = []
    result: list[Sentence] = []
    start = 0
    for sentence in sentences:
        text = detokenize(sentence.text)
        result.append(Sentence(sentence.index, text, start, start + len(text)))
        pieces.append(text)
        start += len(text) + 1
    return " ".join(pieces), result


def capitalise_first_letter(text: str) -> str:
    """``text`` with its first letter upper-cased, as prose starts a sentence."""
    for position, character in enumerate(text):
        if character.isalpha():
            return text[:position] + character.upper() + text[position + 1 :]
    return text


def ptb_to_prose(article: str, capitalise: bool = True) -> tuple[str, list[Sentence]]:
    """A PTB-tokenized article as prose, with the spans of its tokenized (CoreNLP) sentences.

    Lower-cased CNN/DM text has no capitals for a prose splitter to find sentence starts by;
    ``capitalise`` gives each sentence the capital first letter prose has (names stay lower case,
    which the uncased encoder does not see anyway).
    """
    prose, sentences = detokenize_sentences(split_sentences(article, mode="ptb"))
    if not capitalise:
        return prose, sentences
    pieces = [capitalise_first_letter(s.text) for s in sentences]
    return " ".join(pieces), [
        Sentence(s.index, piece, s.start, s.end) for s, piece in zip(sentences, pieces, strict=True)
    ]
