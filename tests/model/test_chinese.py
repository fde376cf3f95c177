"""Chinese through selection, ROUGE, the oracle and the fallback ranker; English as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from rouge_score import rouge_scorer
from rouge_score.tokenizers import DefaultTokenizer

from model.baselines import content_words, textrank_scores
from model.evaluation.rouge import METRICS, rouge_f1
from model.evaluation.rouge_fast import rouge12_text, rouge_tokens
from model.fallback import choose_method, fallback_scores, unknown_ratio
from model.selection import select_sentences, trigrams
from model.training.oracle import oracle_labels
from model.types import FALLBACK, MODEL, Budget
from tests.model.chinese import ARTICLE_SENTENCES, PAIRS


def test_trigram_blocking_on_characters() -> None:
    sentences = ["市政府批准了新的预算。", "新的预算将增加学校开支。", "批评者表示反对。"]
    assert ("新", "的", "预") in trigrams(sentences[0]) & trigrams(sentences[1])
    two = Budget(num_sentences=2)  # two of three: blocked only when told to block any share
    assert select_sentences(sentences, [0.9, 0.8, 0.1], two, blocking_up_to=1.0) == [0, 2]
    assert select_sentences(sentences, [0.9, 0.8, 0.1], Budget(num_sentences=2), False) == [0, 1]


def test_word_budget_counts_characters() -> None:
    sentences = ["北京下雨。", "上海今天天气晴朗。", "广州很热。"]  # 4, 8 and 4 words
    scores = [0.5, 0.9, 0.1]
    assert select_sentences(sentences, scores, Budget(max_words=8)) == [1]
    assert select_sentences(sentences, scores, Budget(max_words=6)) == [0]
    assert select_sentences(sentences, scores, Budget(max_words=12)) == [0, 1]


def test_rouge_tokens_are_characters_in_chinese() -> None:
    assert rouge_tokens("北京Running，下雨了!") == ["北", "京", "run", "下", "雨", "了"]
    english = "The cats were running, it's 2024!"
    assert rouge_tokens(english) == DefaultTokenizer(use_stemmer=True).tokenize(english)


def test_rouge_over_characters() -> None:
    # 5 of the 7 characters match (北京天下雨), and 2 of the 6 bigrams (北京, 天下).
    r1, r2 = rouge12_text("北京今天下大雨", "北京昨天下了雨")
    assert r1 == pytest.approx(2 * (5 / 7) * (5 / 7) / (10 / 7))
    assert r2 == pytest.approx(2 * (2 / 6) * (2 / 6) / (4 / 6))


def test_evaluation_scores_chinese_and_english_as_rouge_score_does() -> None:
    prediction, reference = ["国家队一比零获胜，晋级决赛。"], ["国家队一比零获胜晋级决赛。"]
    (chinese,) = rouge_f1([prediction], [reference])
    assert chinese.tolist() == pytest.approx([1.0, 1.0, 1.0])
    plain = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    assert plain.score(reference[0], prediction[0])["rouge1"].fmeasure == 0.0  # why we pass one
    english = (["The team won the final.", "Fans cheered."], ["The team wins the final match."])
    expected = plain.score("\n".join(english[1]), "\n".join(english[0]))
    (row,) = rouge_f1([english[0]], [english[1]])
    assert row.tolist() == pytest.approx([expected[m].fmeasure for m in METRICS])


@pytest.mark.parametrize(
    ("article", "reference", "labels"), [(*PAIRS[0], [1, 3]), (*PAIRS[1], [2, 3])]
)
def test_oracle_on_chinese_pairs(
    article: list[str], reference: list[str], labels: list[int]
) -> None:
    assert oracle_labels(article, reference, 2) == labels


def test_textrank_reads_chinese_characters() -> None:
    assert content_words("北京下雨") == ["北", "京", "下", "雨"]
    scores = textrank_scores(ARTICLE_SENTENCES)
    assert len(set(scores.round(6).tolist())) > 1  # not every sentence alike


def test_fallback_scores_rank_central_sentences_first() -> None:
    texts = ["暴雨淹没了老城区。", "老城区的暴雨还在下。", "足球比赛照常进行。"]
    scores = fallback_scores(texts)
    assert max(scores) == 1.0 and min(scores) >= 0.0
    assert scores[2] < min(scores[:2])
    assert fallback_scores([]) == []


def test_unknown_ratio_and_the_method(tiny_encoder_dir: Path) -> None:
    from model.network.encoder import load_tokenizer
    from model.network.inputs import EncodingConfig, encode_document

    tokenizer = load_tokenizer(str(tiny_encoder_dir))  # no Chinese characters in its vocabulary
    config = EncodingConfig()
    chinese = encode_document(tokenizer, ARTICLE_SENTENCES, config)
    english = encode_document(tokenizer, ["the news was said to matter."], config)
    assert unknown_ratio(chinese, tokenizer.unk_token_id) > 0.9
    assert unknown_ratio(english, tokenizer.unk_token_id) == 0.0
    assert unknown_ratio(english, None) == 0.0
    assert choose_method(0.9, 0.5) == FALLBACK and choose_method(0.5, 0.5) == MODEL
