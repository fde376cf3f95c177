"""Summarization examples: streaming JSONL reading and the Hugging Face cnn_dailymail reader."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.errors import InputError
from model.text.ptb import detokenize, detokenize_sentences, ptb_to_prose
from model.text.sentences import looks_ptb_tokenized
from model.types import Sentence

# Readers return text AS GIVEN, never detokenized. CNN/DM articles and references are both
# PTB-tokenized and lower-cased; the splitter's PTB mode splits them, and oracle labels and ROUGE
# use them as given (ROUGE tokens change with detokenizing: "does n't" -> does/n/t, "doesn't" ->
# doesn/t). Lower-cased text cannot be split again once detokenized (Punkt finds sentence starts
# by their capitals), so the encoder's input, which should look like the service's, is made by
# splitting first and then detokenizing the sentences: see detokenize_example.

HF_DATASET = "abisee/cnn_dailymail"
HF_CONFIG = "3.0.0"


class DataError(InputError, ValueError):
    """A data file or data source that cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Example:
    """One document with its reference summary, one sentence per item."""

    id: str
    article: str
    summary_sentences: list[str]


def detokenize_example(
    example: Example, sentences: Sequence[Sentence]
) -> tuple[Example, list[Sentence]]:
    """A PTB-tokenized example and its split sentences as ordinary text; others are unchanged.

    The article becomes the detokenized sentences joined by spaces (sentence indices are kept,
    so labels still apply); the reference sentences are detokenized too.
    """
    if not looks_ptb_tokenized(example.article):
        return example, list(sentences)
    article, detokenized = detokenize_sentences(sentences)
    summary = [detokenize(s) for s in example.summary_sentences]
    return Example(example.id, article, summary), detokenized


def as_served(example: Example) -> Example:
    """The example in the form users send: PTB-tokenized text becomes prose, others unchanged.

    Training on served text means the serving splitter cuts the training articles, so the model
    learns on the sentence units it will meet (CoreNLP's units are shorter than a prose
    splitter's). Sentence starts get the capital prose has; the rest stays lower-cased.
    """
    if not looks_ptb_tokenized(example.article):
        return example
    article, _ = ptb_to_prose(example.article)
    return Example(example.id, article, [detokenize(s) for s in example.summary_sentences])


def summary_lines(summary: str) -> list[str]:
    """Reference sentences from a one-sentence-a-line summary, without blank lines."""
    return [line.strip() for line in summary.split("\n") if line.strip()]


def drop_headline(article: str, title: str | None) -> str:
    """The article without its first line when that line is the headline ``title``.

    BBC News Summary articles start with the headline and a blank line. The headline is never in
    a reference summary, so keeping it would only add a sentence no summary can contain.
    """
    if not title or not article.startswith(title):
        return article
    rest = article[len(title) :]
    if rest and not rest.startswith("\n"):
        return article  # the title is only a prefix of the first line
    return rest.lstrip("\n")


def _field(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        found = "missing" if value is None else f"a {type(value).__name__}"
        raise ValueError(f'field "{name}" must be a string, found {found}')
    return value


def example_from_row(row: Any) -> Example:
    """An ``Example`` from one decoded JSONL row; ``ValueError`` says what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, found {type(row).__name__}")
    title = row.get("title")
    article = drop_headline(_field(row, "article"), title if isinstance(title, str) else None)
    return Example(
        id=_field(row, "id"),
        article=article,
        summary_sentences=summary_lines(_field(row, "summary")),
    )


def read_jsonl(path: str | Path) -> Iterator[Example]:
    """Stream the examples of a JSONL file of ``{"id", "article", "summary"}`` rows, as given.

    Blank lines are skipped. A malformed row raises ``DataError`` naming the file and line.
    """
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                example = example_from_row(json.loads(line))
            except ValueError as error:  # json.JSONDecodeError is a ValueError too
                raise DataError(f"{path}, line {number}: {error}") from error
            yield example


def read_hf_cnn_dailymail(
    split: str = "validation", *, revision: str | None = None
) -> Iterator[Example]:
    """Examples of ``cnn_dailymail`` 3.0.0 from the Hugging Face hub (needs ``datasets``, network).

    The hub's articles are raw, cased text; highlights are one sentence a line. Loads at once, so
    that ``DataError`` (what to do when ``datasets`` is missing or the hub cannot be reached) is
    raised by this call, not by the first ``next``.
    """
    try:
        import datasets  # the optional `hf` extra; imported here so the library works without it
    except ImportError as error:
        raise DataError(
            "reading cnn_dailymail from the Hugging Face hub needs the `datasets` package: "
            "pip install 'bertsum-service[hf]' (or use JSONL files with read_jsonl)"
        ) from error
    try:
        rows = datasets.load_dataset(HF_DATASET, HF_CONFIG, split=split, revision=revision)
    except Exception as error:  # offline, unknown split, hub errors: all end here, with the cause
        raise DataError(
            f"could not load {HF_DATASET} {HF_CONFIG} split {split!r} from the Hugging Face hub "
            f"(offline, or HF_DATASETS_OFFLINE=1 without a cached copy?): {error}"
        ) from error
    return (
        Example(
            id=str(row["id"]),
            article=row["article"],
            summary_sentences=summary_lines(row["highlights"]),
        )
        for row in rows
    )
