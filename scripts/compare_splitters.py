"""Compare sentence splitters: boundary precision/recall against reference segmentations, speed.

References: BBC summaries (whole article sentences, cased prose) and CNN/DM's CoreNLP sentence
ends (tokenized text turned back into prose, with sentence starts capitalised as prose has them,
or left lower-cased). Every candidate sees the same paragraphs and must return exact offsets.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from model.text.ptb import ptb_to_prose
from model.text.sentences import split_sentences

Spans = list[tuple[int, int]]
Splitter = Callable[[str], Spans]


def located(text: str, pieces: list[str]) -> Spans:
    """Offsets of ``pieces`` found in order in ``text`` (for splitters that return strings)."""
    spans: Spans = []
    position = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, position)
        if start < 0:  # the splitter changed the text; skip this piece
            continue
        spans.append((start, start + len(piece)))
        position = start + len(piece)
    return spans


def candidates() -> dict[str, Splitter]:
    """Every splitter that imports here, by name."""
    found: dict[str, Splitter] = {
        "project (current)": lambda t: [(s.start, s.end) for s in split_sentences(t)]
    }
    try:
        from sentencex import segment

        found["sentencex"] = lambda t: located(t, list(segment("en", t)))
    except ImportError:
        pass
    try:
        import pysbd

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        found["pysbd"] = lambda t: [(s.start, s.end) for s in segmenter.segment(t)]
    except ImportError:
        pass
    try:
        import blingfire

        found["blingfire"] = lambda t: [
            (int(a), int(b)) for a, b in blingfire.text_to_sentences_and_offsets(t)[1]
        ]
    except ImportError:
        pass
    try:
        from syntok import segmenter as syntok_segmenter

        def syntok_spans(text: str) -> Spans:
            spans: Spans = []
            for paragraph in syntok_segmenter.analyze(text):
                for sentence in paragraph:
                    tokens = list(sentence)
                    if tokens:
                        last = tokens[-1]
                        spans.append((tokens[0].offset, last.offset + len(last.value)))
            return spans

        found["syntok"] = syntok_spans
    except ImportError:
        pass
    return found


def starts(text: str, spans: Spans) -> set[int]:
    """Start offsets (first non-space character) of the spans."""
    result = set()
    for start, end in spans:
        piece = text[start:end]
        if piece.strip():
            result.add(start + len(piece) - len(piece.lstrip()))
    return result


def next_start(text: str, position: int) -> int:
    """The first non-space offset at or after ``position``."""
    match = re.compile(r"\S").search(text, position)
    return match.start() if match else len(text)


def bbc_references(path: Path, limit: int) -> Iterator[tuple[str, Spans]]:
    """BBC articles with the spans of their summary sentences (whole article sentences)."""
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        article = row["article"].split("\n", 1)[1] if row.get("title") else row["article"]
        spans: Spans = []
        for sentence in filter(None, (s.strip() for s in row["summary"].split("\n"))):
            start = article.find(sentence)
            if start >= 0:
                spans.append((start, start + len(sentence)))
        yield article, spans


def cnndm_references(path: Path, limit: int, capitalise: bool) -> Iterator[tuple[str, Spans]]:
    """CNN/DM articles as prose with the spans of CoreNLP's sentences (every one a reference)."""
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        prose, sentences = ptb_to_prose(row["article"], capitalise=capitalise)
        yield prose, [(s.start, s.end) for s in sentences]


def curly_quotes(documents: list[tuple[str, Spans]]) -> list[tuple[str, Spans]]:
    """The documents with straight double quotes made typographic (same length, same spans)."""
    opening = re.compile(r'(^|(?<=[\s(\[]))"')
    return [(opening.sub("\u201c", t).replace('"', "\u201d"), spans) for t, spans in documents]


def paragraphs_on_lines(documents: list[tuple[str, Spans]]) -> list[tuple[str, Spans]]:
    """The documents with each blank line between paragraphs made a single line break."""
    result = []
    for text, spans in documents:
        # Replace "\n\n" by "\n " to keep every offset where it was.
        result.append((text.replace("\n\n", "\n "), spans))
    return result


def score(splitter: Splitter, documents: list[tuple[str, Spans]]) -> tuple[float, float, float]:
    """Boundary precision and recall (percent) inside the reference spans, sentences per doc.

    A reference boundary is the start of a reference sentence or the first character after it;
    a false boundary is a predicted start strictly inside a reference sentence.
    """
    hits = misses = false = sentences = 0
    for text, references in documents:
        predicted = starts(text, splitter(text))
        sentences += len(predicted)
        truth = set()
        for start, end in references:
            truth.add(start)
            if end < len(text.rstrip()):
                truth.add(next_start(text, end))
            false += sum(1 for p in predicted if start < p < end)
        hits += len(truth & predicted)
        misses += len(truth - predicted)
    precision = 100 * hits / max(1, hits + false)
    recall = 100 * hits / max(1, hits + misses)
    return precision, recall, sentences / max(1, len(documents))


def megabytes_per_second(splitter: Splitter, texts: list[str]) -> float:
    """Splitting speed over the given texts, in MB/s."""
    text = "\n\n".join(texts)
    started = time.perf_counter()
    splitter(text)
    return len(text.encode()) / 1e6 / (time.perf_counter() - started)


def main() -> None:
    """Print a table of boundary precision/recall and speed for each splitter and reference."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=200, help="documents per reference set")
    args = parser.parse_args()
    bbc = list(bbc_references(args.data / "bbc_news_summary/dev.jsonl", args.limit))
    cnndm = list(cnndm_references(args.data / "cnndm/dev.jsonl", args.limit, capitalise=True))
    sets = {
        "BBC dev": bbc,
        "BBC dev, paragraphs on single lines": paragraphs_on_lines(bbc),
        "CNN/DM dev, prose, capitalised": cnndm,
        "CNN/DM dev, prose, capitalised, curly quotes": curly_quotes(cnndm),
        "CNN/DM dev, prose, lower-cased": list(
            cnndm_references(args.data / "cnndm/dev.jsonl", args.limit, capitalise=False)
        ),
    }
    print("| splitter | reference | precision | recall | sentences/doc | MB/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, splitter in candidates().items():
        speed = megabytes_per_second(splitter, [t for t, _ in sets["BBC dev"]] * 5)
        for set_name, documents in sets.items():
            precision, recall, per_doc = score(splitter, documents)
            print(
                f"| {name} | {set_name} | {precision:.1f} | {recall:.1f} | {per_doc:.1f} "
                f"| {speed:.2f} |"
            )


if __name__ == "__main__":
    main()
