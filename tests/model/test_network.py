"""Tests for the scorer network: collation, pooling, masking and batch invariance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import pytest
import torch

from model.inference import score_encoded
from model.network.encoder import ModelConfig, build_scorer, load_tokenizer
from model.network.inputs import encode_document
from model.network.scorer import (
    HeadConfig,
    PaddedBatch,
    SentenceHead,
    collate,
    masked_bce,
    pad_lengths,
    pool_sentences,
)

SHORT = ["the team won.", "a film is news."]
LONG = [f"sentence {i} of the market news." for i in range(30)]


def test_collate_indexes_every_sentence(tiny_config: ModelConfig) -> None:
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    docs = [encode_document(tokenizer, s, tiny_config.encoding) for s in (SHORT, LONG)]
    batch = collate(docs, tokenizer.pad_token_id, [[0], [1, 5]])
    assert batch.input_ids.shape[0] == len(docs[0].windows) + len(docs[1].windows)
    assert batch.sentence_mask.sum(dim=1).tolist() == [2, 30]
    cls = batch.input_ids[batch.sentence_window, batch.sentence_start]  # [B, S]
    assert (cls[batch.sentence_mask] == tokenizer.cls_token_id).all()
    assert batch.labels is not None
    assert batch.labels[0].tolist()[:2] == [1.0, 0.0] and batch.labels[1, 5] == 1.0
    assert not batch.attention_mask[0, len(docs[0].windows[0].input_ids) :].any()


def test_mean_pooling_matches_a_manual_mean() -> None:
    hidden = torch.randn(2, 10, 4)
    batch = PaddedBatch(
        input_ids=torch.zeros(2, 10, dtype=torch.long),
        segment_ids=torch.zeros(2, 10, dtype=torch.long),
        attention_mask=torch.ones(2, 10, dtype=torch.bool),
        sentence_window=torch.tensor([[0, 1]]),
        sentence_start=torch.tensor([[2, 0]]),
        sentence_end=torch.tensor([[6, 3]]),
        sentence_mask=torch.tensor([[True, True]]),
    )
    pooled = pool_sentences(hidden, batch, "mean")
    torch.testing.assert_close(pooled[0, 0], hidden[0, 2:6].mean(dim=0))
    torch.testing.assert_close(pooled[0, 1], hidden[1, 0:3].mean(dim=0))
    both = pool_sentences(hidden, batch, "cls+mean")
    assert both.shape == (1, 2, 8)
    torch.testing.assert_close(both[0, 1, :4], hidden[1, 0])


def test_masked_bce_ignores_padding() -> None:
    labels = torch.tensor([[1.0, 0.0, 0.0]])
    mask = torch.tensor([[True, True, False]])
    logits = torch.tensor([[2.0, -2.0, 0.0]])
    changed = logits.clone()
    changed[0, 2] = 50.0
    assert masked_bce(logits, labels, mask) == masked_bce(changed, labels, mask)
    assert masked_bce(logits, labels, mask) < masked_bce(-logits, labels, mask)


@pytest.mark.parametrize("kind", ["linear", "transformer"])
@pytest.mark.parametrize("pooling", ["cls", "mean", "cls+mean"])
def test_scores_do_not_depend_on_batch_neighbours(
    tiny_config: ModelConfig, kind: str, pooling: str
) -> None:
    config = ModelConfig(
        base_encoder=tiny_config.base_encoder,
        encoding=tiny_config.encoding,
        head=HeadConfig(pooling=pooling, kind=kind, heads=2, feedforward=32),  # type: ignore[arg-type]
    )
    scorer = build_scorer(config).eval()
    tokenizer = load_tokenizer(config.base_encoder)
    short, long = (encode_document(tokenizer, s, config.encoding) for s in (SHORT, LONG))
    alone = score_encoded(scorer, [short], tokenizer.pad_token_id, torch.device("cpu"))
    together = score_encoded(scorer, [long, short], tokenizer.pad_token_id, torch.device("cpu"))
    assert len(together[0]) == 30 and len(together[1]) == 2
    torch.testing.assert_close(torch.tensor(alone[0]), torch.tensor(together[1]))


def test_top_mode_trains_only_top_layers_and_head(tiny_config: ModelConfig) -> None:
    scorer = build_scorer(tiny_config)
    trainable = {n for n, p in scorer.named_parameters() if p.requires_grad}
    assert any(n.startswith("head.") for n in trainable)
    assert any(".layer.1." in n for n in trainable)
    assert not any(".layer.0." in n or "embeddings" in n for n in trainable)


def test_length_feature_counts_pieces_as_the_batch_does(tiny_config: ModelConfig) -> None:
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    docs = [encode_document(tokenizer, s, tiny_config.encoding) for s in (SHORT, LONG)]
    batch = collate(docs, tokenizer.pad_token_id)
    lengths = pad_lengths(docs)
    assert torch.equal(
        lengths[batch.sentence_mask],
        (batch.sentence_end - batch.sentence_start)[batch.sentence_mask],
    )
    head = SentenceHead(8, 8, HeadConfig(kind="transformer", heads=2, sentence_lengths=True))
    head.eval()
    vectors, mask = torch.randn(1, 3, 8), torch.ones(1, 3, dtype=torch.bool)
    short, long = torch.tensor([[5, 5, 5]]), torch.tensor([[5, 40, 5]])
    assert not torch.allclose(head(vectors, mask, short), head(vectors, mask, long))
    with pytest.raises(ValueError, match="lengths"):
        head(vectors, mask)
    with pytest.raises(ValueError, match="transformer"):
        HeadConfig(kind="linear", sentence_lengths=True)


def test_layer_mix_scores_from_every_layer(tiny_config: ModelConfig) -> None:
    head = HeadConfig(kind="transformer", heads=2, feedforward=32, layer_mix=True)
    scorer = build_scorer(replace(tiny_config, head=head)).eval()
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    batch = collate([encode_document(tokenizer, LONG, tiny_config.encoding)], 0)
    with torch.inference_mode():
        vectors = scorer.sentence_vectors(batch)
        assert vectors.shape == (1, len(LONG), 3 * 32)  # embeddings + 2 layers, 32 wide
        last = vectors[..., -32:]  # the top layer comes last
        hidden = scorer.encoder(
            input_ids=batch.input_ids,
            token_type_ids=batch.segment_ids,
            attention_mask=batch.attention_mask,
        ).last_hidden_state
        torch.testing.assert_close(last, pool_sentences(hidden, batch, "mean"))
        assert scorer(batch).shape == (1, len(LONG))
    assert scorer.head.layer_weights.requires_grad and scorer.head.layer_weights.shape == (3,)
    with pytest.raises(ValueError, match="mean"):
        HeadConfig(pooling="cls", layer_mix=True)


def test_layer_mix_of_token_states_equals_mix_of_cached_means(tiny_config: ModelConfig) -> None:
    head = HeadConfig(kind="transformer", heads=2, feedforward=32, layer_mix=True, dropout=0.0)
    scorer = build_scorer(replace(tiny_config, head=head)).eval()
    with torch.no_grad():
        scorer.head.layer_weights.copy_(torch.tensor([0.3, -1.0, 2.0]))
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    batch = collate([encode_document(tokenizer, LONG, tiny_config.encoding)], 0)
    with torch.inference_mode():
        cached_path = scorer.head(scorer.sentence_vectors(batch), batch.sentence_mask)
        torch.testing.assert_close(scorer(batch), cached_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer_mix", [False, True])
def test_top_layers_on_frozen_states_equal_the_full_pass(
    tiny_config: ModelConfig, layer_mix: bool
) -> None:
    head = HeadConfig(kind="transformer", heads=2, feedforward=32, layer_mix=layer_mix)
    scorer = build_scorer(replace(tiny_config, head=head, top_layers=1)).eval()
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    short = encode_document(tokenizer, LONG[:2], tiny_config.encoding)
    long = encode_document(tokenizer, LONG, tiny_config.encoding)
    batch = collate([short, long], 0)
    assert len(long.windows) > 1 and batch.attention_mask.logical_not().any()  # padding masked
    with torch.inference_mode():
        frozen = scorer.frozen_states(batch, first_layer=1)  # the tiny encoder has 2 layers
        assert frozen.tokens.shape == (*batch.input_ids.shape, 32)
        assert (frozen.means is not None) == layer_mix
        torch.testing.assert_close(scorer(batch, frozen), scorer(batch), rtol=1e-4, atol=1e-5)


def test_frozen_states_do_not_run_the_trained_layers(tiny_config: ModelConfig) -> None:
    scorer = build_scorer(replace(tiny_config, top_layers=1)).eval()
    tokenizer = load_tokenizer(tiny_config.base_encoder)
    batch = collate([encode_document(tokenizer, LONG, tiny_config.encoding)], 0)
    calls: list[int] = []
    top = cast(Any, scorer.encoder).encoder.layer[1]
    handle = top.register_forward_hook(lambda *_: calls.append(1))
    with torch.inference_mode():
        scorer.frozen_states(batch, first_layer=1)
        assert not calls  # the trained top layer runs at each step, not in the cache pass
        scorer(batch)
    handle.remove()
    assert calls
