"""Tests for BertSum encoding: [CLS] positions, interval segments and windows over long text."""

from __future__ import annotations

import itertools
from pathlib import Path

from model.network.encoder import load_tokenizer
from model.network.inputs import EncodingConfig, encode_document, plan_windows


def test_cls_positions_and_interval_segments(tiny_encoder_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_encoder_dir)
    sentences = ["the first one.", "a second.", "and a third, longer sentence."]
    doc = encode_document(tokenizer, sentences, EncodingConfig())
    assert len(doc.windows) == 1 and doc.owner == [0, 0, 0]
    window = doc.windows[0]
    for index, start in enumerate(window.sentence_starts):
        assert window.input_ids[start] == tokenizer.cls_token_id
        _, span_start, span_end = doc.sentence_span(index)
        assert window.input_ids[span_end - 1] == tokenizer.sep_token_id
        assert set(window.segment_ids[span_start:span_end]) == {index % 2}
    assert doc.num_tokens == len(window.input_ids)


def test_sentence_token_cap(tiny_encoder_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_encoder_dir)
    doc = encode_document(tokenizer, ["x " * 500], EncodingConfig(max_sentence_tokens=10))
    assert len(doc.windows[0].input_ids) == 12  # [CLS] + 10 pieces + [SEP]


def test_windows_cover_every_sentence_with_overlap() -> None:
    lengths = [30] * 40
    config = EncodingConfig(window_tokens=128, overlap_tokens=60)
    windows = plan_windows(lengths, config)
    assert windows[0][0] == 0 and windows[-1][1] == len(lengths)
    for (first, last), (next_first, _) in itertools.pairwise(windows):
        assert sum(lengths[first:last]) <= 128
        assert first < next_first < last  # overlapping, always advancing


def test_twenty_thousand_word_document_scores_every_sentence(tiny_encoder_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_encoder_dir)
    sentences = [f"sentence {i} is about the market and the team today." for i in range(2000)]
    assert sum(len(s.split()) for s in sentences) >= 20_000
    config = EncodingConfig(window_tokens=512, overlap_tokens=128)
    doc = encode_document(tokenizer, sentences, config)
    assert doc.num_sentences == 2000
    assert all(owner >= 0 for owner in doc.owner)
    for index in range(doc.num_sentences):
        window = doc.windows[doc.owner[index]]
        assert window.first <= index < window.last
    assert all(len(w.input_ids) <= 512 for w in doc.windows)
    # Cost grows linearly: tokens over all windows stay within the overlap factor of the text.
    single = sum(len(w.input_ids) for w in doc.windows[:1]) / (doc.windows[0].last)
    assert doc.num_tokens <= 1.5 * single * doc.num_sentences
