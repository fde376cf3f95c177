"""Undoing Penn Treebank tokenization (CNN/DM style): bracket/quote escapes and token spacing."""

# Detecting tokenized text is model.sentences.looks_ptb_tokenized: the splitter owns it.

from __future__ import annotations

# Bracket and quote escapes written by PTB / CoreNLP tokenizers (matched case-insensitively).
_ESCAPES: dict[str, str] = {
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
    return _ESCAPES.get(token.lower(), token)


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
