"""Tests for the JSONL and Hugging Face example readers."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from model.text.data import (
    DataError,
    Example,
    detokenize_example,
    drop_headline,
    read_hf_cnn_dailymail,
    read_jsonl,
)
from model.types import Sentence

BBC_ROW = {
    "id": "bbc/tech/001",
    "title": "Robots win",
    "article": "Robots win\n\nRobots won the cup. Fans cheered.\n\nThe end.\n",
    "summary": "Fans cheered.\nRobots won the cup.",
}
CNNDM_ROW = {
    "id": "cnndm/1",
    "article": "-lrb- cnn -rrb- he said `` hi '' . she does n't agree , though .",
    "summary": "he said `` hi '' .\n\nshe does n't agree .\n",
}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_jsonl_streams_examples_and_drops_bbc_headline(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [json.dumps(BBC_ROW), "", json.dumps(CNNDM_ROW)])
    bbc, cnndm = read_jsonl(path)
    assert bbc == Example(
        "bbc/tech/001",
        "Robots won the cup. Fans cheered.\n\nThe end.\n",
        ["Fans cheered.", "Robots won the cup."],
    )
    assert cnndm.article == CNNDM_ROW["article"]  # as given
    assert cnndm.summary_sentences == ["he said `` hi '' .", "she does n't agree ."]


def test_detokenize_example_changes_tokenized_examples_only(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [json.dumps(BBC_ROW), json.dumps(CNNDM_ROW)])
    bbc, cnndm = read_jsonl(path)
    bbc_sentences = [Sentence(0, "Robots won the cup.", 0, 19)]
    assert detokenize_example(bbc, bbc_sentences) == (bbc, bbc_sentences)

    tokenized = [
        Sentence(0, "-lrb- cnn -rrb- he said `` hi '' .", 0, 34),
        Sentence(1, "she does n't agree , though .", 35, 64),
    ]
    assert [cnndm.article[s.start : s.end] for s in tokenized] == [s.text for s in tokenized]
    example, sentences = detokenize_example(cnndm, tokenized)
    assert example.article == '(cnn) he said "hi". she doesn\'t agree, though.'
    assert example.summary_sentences == ['he said "hi".', "she doesn't agree."]
    assert [example.article[s.start : s.end] for s in sentences] == [
        '(cnn) he said "hi".',
        "she doesn't agree, though.",
    ]
    assert [s.index for s in sentences] == [0, 1]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "line 2"),
        ("[1, 2]", "expected a JSON object"),
        (
            json.dumps({"id": "x", "article": "a"}),
            'field "summary" must be a string, found missing',
        ),
        (json.dumps({"id": 7, "article": "a", "summary": "s"}), 'field "id" must be a string'),
    ],
)
def test_read_jsonl_names_file_and_line_of_a_malformed_row(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [json.dumps(CNNDM_ROW), bad_line])
    rows = read_jsonl(path)
    assert next(rows).id == "cnndm/1"  # streaming: rows before the bad one arrive first
    with pytest.raises(DataError, match=r"bad\.jsonl, line 2: ") as caught:
        next(rows)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("article", "title", "expected"),
    [
        ("Head\n\nBody.", "Head", "Body."),
        ("Headline more\n\nBody.", "Head", "Headline more\n\nBody."),
        ("Body.", None, "Body."),
        ("Other\n\nBody.", "Head", "Other\n\nBody."),
    ],
)
def test_drop_headline_only_drops_a_whole_first_line(
    article: str, title: str | None, expected: str
) -> None:
    assert drop_headline(article, title) == expected


def test_hf_reader_without_datasets_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(DataError, match=r"needs the `datasets` package: pip install"):
        read_hf_cnn_dailymail("validation")


def test_hf_reader_offline_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def load_dataset(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("Couldn't reach 'abisee/cnn_dailymail' on the Hub")

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    with pytest.raises(
        DataError, match=r"could not load .* split 'test' .*offline.*Couldn't reach"
    ):
        read_hf_cnn_dailymail("test")


def test_hf_reader_maps_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"id": "abc", "article": "Text. More.", "highlights": "One.\nTwo."}]
    fake = types.SimpleNamespace(load_dataset=lambda *_a, **_k: rows)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    assert list(read_hf_cnn_dailymail()) == [Example("abc", "Text. More.", ["One.", "Two."])]


def test_a_tokenized_example_is_served_as_capitalised_prose_with_the_same_sentences() -> None:
    from model.text.data import as_served
    from model.text.sentences import split_sentences

    tokenized = Example(
        "x",
        "the mayor said `` we are ready . '' -lrb- cnn -rrb- the vote is on monday . "
        "critics do n't agree .",
        ["the mayor is `` ready '' ."],
    )
    served = as_served(tokenized)
    assert served.article == (
        'The mayor said "we are ready." (Cnn) the vote is on monday. Critics don\'t agree.'
    )
    assert served.summary_sentences == ['the mayor is "ready".']
    assert len(split_sentences(served.article)) == len(split_sentences(tokenized.article)) == 3
    prose = Example("y", "Already prose. Two sentences.", ["Prose."])
    assert as_served(prose) is prose
