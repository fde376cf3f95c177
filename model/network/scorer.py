"""The scorer network: encoder windows -> a vector per sentence -> head -> a logit per sentence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask

from model.network.inputs import EncodedDocument

Pooling = Literal["cls", "mean", "cls+mean"]
HeadKind = Literal["linear", "transformer"]


@dataclass(frozen=True, slots=True)
class HeadConfig:
    """Which sentence vector and which head turn encoder states into scores."""

    pooling: Pooling = "mean"
    """Sentence vector: the [CLS] state, the mean of its pieces, or both."""
    kind: HeadKind = "transformer"
    """Sentence head: a linear layer or an inter-sentence Transformer."""
    layers: int = 1
    """Inter-sentence Transformer layers."""
    heads: int = 4
    """Attention heads of the inter-sentence Transformer."""
    feedforward: int = 1024
    """Feed-forward width of the inter-sentence Transformer."""
    dropout: float = 0.1
    """Dropout in the head."""
    max_positions: int = 1024
    """Sentence positions encoded; later sentences share the last encoding."""
    sentence_lengths: bool = False
    """Give the Transformer head each sentence's length in word pieces (a learned embedding)."""
    layer_mix: bool = False
    """Sentence vector: a learned mix of every encoder layer's mean (needs pooling mean)."""
    centrality: bool = False
    """The Transformer head also reads each sentence's TextRank centrality (network.centrality)."""
    budget_share: bool = False
    """Beside the centrality, the head reads the share of the document the summary budget takes
    (``model.selection.budget_share``): lead sentences for 3 of 30, central ones for 40%."""

    def __post_init__(self) -> None:
        if self.sentence_lengths and self.kind != "transformer":
            raise ValueError("sentence_lengths needs the transformer head")
        if self.centrality and self.kind != "transformer":
            raise ValueError("centrality needs the transformer head")
        if self.budget_share and not self.centrality:
            raise ValueError("budget_share travels with the centrality features: it needs them")
        if self.layer_mix and self.pooling != "mean":
            raise ValueError("layer_mix mixes mean vectors: it needs pooling 'mean'")


CENTRALITY_FEATURES = 2  # per sentence: see model.network.centrality
MAX_LENGTH_EMBEDDINGS = 128  # longer sentences share the last length embedding


@dataclass
class PaddedBatch:
    """Padded tensors for a batch of documents (W windows, B documents, S sentences)."""

    input_ids: torch.Tensor  # [W, T]
    segment_ids: torch.Tensor  # [W, T]
    attention_mask: torch.Tensor  # [W, T]
    sentence_window: torch.Tensor  # [B, S] flat window index of each sentence
    sentence_start: torch.Tensor  # [B, S] offset of its [CLS]
    sentence_end: torch.Tensor  # [B, S] offset just after its [SEP]
    sentence_mask: torch.Tensor  # [B, S] True for real sentences
    labels: torch.Tensor | None = None  # [B, S] float 0/1
    centrality: torch.Tensor | None = None  # [B, S, C] centrality features

    def to(self, device: torch.device) -> PaddedBatch:
        """The same batch on ``device``."""
        return PaddedBatch(
            input_ids=self.input_ids.to(device),
            segment_ids=self.segment_ids.to(device),
            attention_mask=self.attention_mask.to(device),
            sentence_window=self.sentence_window.to(device),
            sentence_start=self.sentence_start.to(device),
            sentence_end=self.sentence_end.to(device),
            sentence_mask=self.sentence_mask.to(device),
            labels=None if self.labels is None else self.labels.to(device),
            centrality=None if self.centrality is None else self.centrality.to(device),
        )


def collate(
    documents: Sequence[EncodedDocument],
    pad_id: int,
    labels: Sequence[Sequence[int]] | None = None,
) -> PaddedBatch:
    """Pad the windows of all documents into one encoder batch and index their sentences."""
    windows = [w for doc in documents for w in doc.windows]
    width = max(len(w.input_ids) for w in windows)
    input_ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    segment_ids = torch.zeros((len(windows), width), dtype=torch.long)
    for row, piece in enumerate(windows):
        input_ids[row, : len(piece.input_ids)] = torch.tensor(piece.input_ids)
        segment_ids[row, : len(piece.segment_ids)] = torch.tensor(piece.segment_ids)

    num_sentences = max(doc.num_sentences for doc in documents)
    shape = (len(documents), num_sentences)
    sentence_window = torch.zeros(shape, dtype=torch.long)
    sentence_start = torch.zeros(shape, dtype=torch.long)
    sentence_end = torch.ones(shape, dtype=torch.long)
    sentence_mask = torch.zeros(shape, dtype=torch.bool)
    first_window = 0
    for row, doc in enumerate(documents):
        for index in range(doc.num_sentences):
            window, start, end = doc.sentence_span(index)
            sentence_window[row, index] = first_window + window
            sentence_start[row, index] = start
            sentence_end[row, index] = end
            sentence_mask[row, index] = True
        first_window += len(doc.windows)
    return PaddedBatch(
        input_ids=input_ids,
        segment_ids=segment_ids,
        attention_mask=input_ids.ne(pad_id),
        sentence_window=sentence_window,
        sentence_start=sentence_start,
        sentence_end=sentence_end,
        sentence_mask=sentence_mask,
        labels=None if labels is None else label_matrix(labels, num_sentences),
        centrality=pad_centrality(documents),
    )


def pad_centrality(documents: Sequence[EncodedDocument]) -> torch.Tensor | None:
    """Centrality features [B, S, C] of documents that carry them (zeros for padding)."""
    if any(doc.centrality is None for doc in documents):
        return None
    rows = [
        torch.tensor(doc.centrality, dtype=torch.float32).reshape(doc.num_sentences, -1)
        for doc in documents
    ]
    return nn.utils.rnn.pad_sequence(rows, batch_first=True)


def label_matrix(labels: Sequence[Sequence[int]], num_sentences: int) -> torch.Tensor:
    """0/1 targets [B, S] from the chosen sentence indices of each document."""
    matrix = torch.zeros(len(labels), num_sentences)
    for row, chosen in enumerate(labels):
        matrix[row, list(chosen)] = 1.0
    return matrix


def pool_sentences(hidden: torch.Tensor, batch: PaddedBatch, pooling: Pooling) -> torch.Tensor:
    """Sentence vectors [B, S, H] (or [B, S, 2H] for cls+mean) from encoder states [W, T, H]."""
    cls = hidden[batch.sentence_window, batch.sentence_start]  # [B, S, H]
    if pooling == "cls":
        return cls
    # Mean over a sentence's pieces ([CLS] to [SEP]) as a difference of running sums.
    zeros = hidden.new_zeros(hidden.shape[0], 1, hidden.shape[2])
    running = torch.cat([zeros, hidden.float().cumsum(dim=1)], dim=1)  # [W, T+1, H]
    total = (
        running[batch.sentence_window, batch.sentence_end]
        - running[batch.sentence_window, batch.sentence_start]
    )  # [B, S, H]
    count = (batch.sentence_end - batch.sentence_start).clamp(min=1).unsqueeze(-1)  # [B, S, 1]
    mean = (total / count).to(hidden.dtype)
    return mean if pooling == "mean" else torch.cat([cls, mean], dim=-1)


def select_pooling(vectors: torch.Tensor, pooling: Pooling) -> torch.Tensor:
    """The ``pooling`` part of "cls+mean" sentence vectors [..., 2H] ([CLS] first, then mean)."""
    size = vectors.shape[-1] // 2
    if pooling == "cls":
        return vectors[..., :size]
    return vectors[..., size:] if pooling == "mean" else vectors


def sinusoidal_positions(count: int, size: int) -> torch.Tensor:
    """Fixed sine/cosine position encodings [count, size] (Vaswani et al.), as in BertSumExt.

    Unlike learned embeddings they are defined for positions that training never reached, such
    as the later sentences of a long document.
    """
    positions = torch.arange(count, dtype=torch.float32).unsqueeze(1)  # [P, 1]
    rates = torch.exp(torch.arange(0, size, 2, dtype=torch.float32) * (-math.log(10000.0) / size))
    table = torch.zeros(count, size)
    table[:, 0::2] = torch.sin(positions * rates)
    table[:, 1::2] = torch.cos(positions * rates[: size // 2])
    return table


class SentenceHead(nn.Module):
    """Scores sentence vectors: a linear layer, or BertSumExt's inter-sentence Transformer."""

    def __init__(
        self, input_size: int, hidden_size: int, config: HeadConfig, mixed_layers: int = 1
    ) -> None:
        super().__init__()
        self.config = config
        self.dropout = nn.Dropout(config.dropout)
        self.mixed_layers = mixed_layers
        if mixed_layers > 1:
            # ELMo-style scalar mix: softmax weights over the layers and one overall scale.
            self.layer_weights = nn.Parameter(torch.zeros(mixed_layers))
            self.layer_scale = nn.Parameter(torch.ones(()))
        if config.kind == "transformer":
            self.project = nn.Linear(input_size, hidden_size)
            self.register_buffer(
                "positions",
                sinusoidal_positions(config.max_positions, hidden_size),
                persistent=False,
            )
            layer = nn.TransformerEncoderLayer(
                hidden_size,
                config.heads,
                config.feedforward,
                config.dropout,
                batch_first=True,
                norm_first=True,
            )
            self.layers = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(hidden_size)
            self.out = nn.Linear(hidden_size, 1)
            if config.sentence_lengths:
                # Mean pooling hides how long a sentence is; ROUGE does not ignore it.
                self.lengths = nn.Embedding(MAX_LENGTH_EMBEDDINGS, hidden_size)
                nn.init.normal_(self.lengths.weight, std=0.02)
            if config.centrality:
                features = CENTRALITY_FEATURES + int(config.budget_share)
                self.centrality = nn.Linear(features, hidden_size)
        else:
            self.out = nn.Linear(input_size, 1)

    def mix_layers(self, layers: Sequence[torch.Tensor]) -> torch.Tensor:
        """One tensor from same-shaped per-layer tensors, by the learned layer weights."""
        weights = torch.softmax(self.layer_weights, dim=0)  # [L]
        mixed = sum((w * x for w, x in zip(weights, layers, strict=True)), torch.zeros(()))
        return self.layer_scale * mixed

    def forward(
        self,
        vectors: torch.Tensor,
        mask: torch.Tensor,
        lengths: torch.Tensor | None = None,
        premixed: bool = False,
        centrality: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B, S] for sentence vectors [B, S, D], padding mask, piece counts [B, S] and
        centrality features [B, S, C].

        With a layer mix, D is ``mixed_layers`` vectors side by side, mixed here into one,
        unless the caller has mixed them already (``premixed``).
        """
        if self.mixed_layers > 1 and not premixed:
            layered = vectors.view(*vectors.shape[:-1], self.mixed_layers, -1)  # [B, S, L, H]
            vectors = self.mix_layers(layered.unbind(dim=-2))  # [B, S, H]
        if self.config.kind == "linear":
            linear_scores: torch.Tensor = self.out(self.dropout(vectors)).squeeze(-1)
            return linear_scores
        positions = torch.arange(vectors.shape[1], device=vectors.device)
        positions = positions.clamp(max=self.config.max_positions - 1)  # [S]
        table = cast(torch.Tensor, self.positions)  # [P, H]
        x = self.project(vectors) + table[positions]  # [B, S, H]
        if self.config.sentence_lengths:
            if lengths is None:
                raise ValueError("this head needs the sentence lengths")
            x = x + self.lengths(lengths.clamp(0, MAX_LENGTH_EMBEDDINGS - 1))
        if self.config.centrality:
            if centrality is None:
                raise ValueError("this head needs the sentences' centrality features")
            x = x + self.centrality(centrality.to(x.dtype))
        x = self.layers(self.dropout(x), src_key_padding_mask=~mask)  # [B, S, H]
        scores: torch.Tensor = self.out(self.norm(x)).squeeze(-1)  # [B, S]
        return scores


@dataclass
class FrozenStates:
    """What the frozen lower layers of the encoder make of a batch, computed once and cached
    when only the top layers are fine-tuned: the token states entering the first trained layer
    and, with a layer mix, the sentence means of every frozen state."""

    first_layer: int  # index of the first trained layer in the encoder's stack
    tokens: torch.Tensor  # [W, T, H]
    means: torch.Tensor | None = None  # [B, S, (first_layer + 1) * H]; None without a layer mix

    def to(self, device: torch.device) -> FrozenStates:
        """The same states on ``device``."""
        means = None if self.means is None else self.means.to(device)
        return FrozenStates(self.first_layer, self.tokens.to(device), means)


class ExtractiveScorer(nn.Module):
    """A BERT-family encoder plus a sentence head: the whole BertSum network."""

    def __init__(self, encoder: nn.Module, head_config: HeadConfig) -> None:
        super().__init__()
        self.encoder = encoder  # a PreTrainedModel, or a PEFT wrapper around one
        self.head_config = head_config
        hidden = int(cast(Any, encoder).config.hidden_size)
        width = 2 * hidden if head_config.pooling == "cls+mean" else hidden
        layers = int(cast(Any, encoder).config.num_hidden_layers) + 1  # with the embeddings
        self.head = SentenceHead(width, hidden, head_config, layers if head_config.layer_mix else 1)

    def sentence_vectors(self, batch: PaddedBatch, pooling: Pooling | None = None) -> torch.Tensor:
        """One vector per sentence [B, S, D] from the encoder's states over all windows.

        ``pooling`` defaults to the head's; the feature cache asks for "cls+mean" to keep both.
        With a layer mix, D holds the mean vector of every layer side by side ([B, S, L*H]).
        """
        states = self.token_states(batch)
        if self.head_config.layer_mix:
            means = [pool_sentences(h, batch, "mean") for h in states]
            return torch.cat(means, dim=-1).float()  # [B, S, L*H]
        return pool_sentences(states[-1], batch, pooling or self.head_config.pooling).float()

    def token_states(self, batch: PaddedBatch) -> tuple[torch.Tensor, ...]:
        """The encoder's token states [W, T, H]: every layer's with a layer mix, else the top's."""
        output = self.encoder(
            input_ids=batch.input_ids,
            token_type_ids=batch.segment_ids,
            attention_mask=batch.attention_mask,
            output_hidden_states=self.head_config.layer_mix,
        )
        return (
            tuple(output.hidden_states)
            if self.head_config.layer_mix
            else (output.last_hidden_state,)
        )

    def frozen_states(self, batch: PaddedBatch, first_layer: int) -> FrozenStates:
        """The states of ``batch`` below layer ``first_layer``, to be cached (see FrozenStates).

        Only the embeddings and the layers below ``first_layer`` run: the trained layers above
        are recomputed at every step anyway.
        """
        encoder = cast(Any, self.encoder)
        embedded = encoder.embeddings(input_ids=batch.input_ids, token_type_ids=batch.segment_ids)
        lower = encoder.encoder.layer[:first_layer]
        states = [embedded, *self.layer_states(embedded, batch.attention_mask, lower)]
        means = None
        if self.head_config.layer_mix:
            frozen = [pool_sentences(h, batch, "mean") for h in states]
            means = torch.cat(frozen, dim=-1).float()
        return FrozenStates(first_layer, states[-1], means)

    def top_states(self, frozen: FrozenStates, attention_mask: torch.Tensor) -> list[torch.Tensor]:
        """Token states [W, T, H] of each layer from ``frozen.first_layer`` up, run on cached
        states: the lower layers' work is not repeated."""
        upper = cast(Any, self.encoder).encoder.layer[frozen.first_layer :]
        return self.layer_states(frozen.tokens, attention_mask, upper)

    def layer_states(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, layers: Sequence[nn.Module]
    ) -> list[torch.Tensor]:
        """Token states after each of ``layers`` in turn, starting from ``hidden`` [W, T, H]:
        the encoder's own layer loop, run for a slice of its layers."""
        mask = create_bidirectional_mask(
            config=cast(Any, self.encoder).config,
            inputs_embeds=hidden,
            attention_mask=attention_mask,
        )
        states = []
        for layer in layers:
            hidden = layer(hidden, mask)
            states.append(hidden)
        return states

    def forward(self, batch: PaddedBatch, frozen: FrozenStates | None = None) -> torch.Tensor:
        """Logits [B, S]; entries of padded sentences are meaningless (see ``sentence_mask``).

        With ``frozen`` (cached lower states), only the layers above them run.
        """
        lengths = batch.sentence_end - batch.sentence_start  # [B, S] pieces with [CLS], [SEP]
        logits: torch.Tensor
        if frozen is not None:
            return self.forward_from(batch, frozen, lengths)
        if not self.head_config.layer_mix:
            logits = self.head(
                self.sentence_vectors(batch),
                batch.sentence_mask,
                lengths,
                centrality=batch.centrality,
            )
            return logits
        # The mix is linear: mixing the token states and pooling once equals pooling every
        # layer and mixing the means (what the training cache stores), at a seventh of the cost.
        mixed = self.head.mix_layers(self.token_states(batch))  # [W, T, H]
        vectors = pool_sentences(mixed, batch, "mean").float()
        logits = self.head(
            vectors, batch.sentence_mask, lengths, premixed=True, centrality=batch.centrality
        )  # [B, S]
        return logits

    def forward_from(
        self, batch: PaddedBatch, frozen: FrozenStates, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Logits [B, S] from cached lower states: the top layers, pooling and the head."""
        top = self.top_states(frozen, batch.attention_mask)
        if self.head_config.layer_mix:
            if frozen.means is None:
                raise ValueError("a layer-mix head needs the frozen states' sentence means")
            top_means = [pool_sentences(h, batch, "mean").float() for h in top]
            vectors = torch.cat([frozen.means, *top_means], dim=-1)  # [B, S, L*H]
        else:
            vectors = pool_sentences(top[-1], batch, self.head_config.pooling).float()
        logits: torch.Tensor = self.head(
            vectors, batch.sentence_mask, lengths, centrality=batch.centrality
        )
        return logits

    @property
    def encoder_is_frozen(self) -> bool:
        """True when only the head trains: sentence vectors then never change during training."""
        return not any(p.requires_grad for p in self.encoder.parameters())


def pad_vectors(vectors: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack per-document sentence vectors [S_i, D] into [B, S, D] plus a mask [B, S]."""
    padded = nn.utils.rnn.pad_sequence(list(vectors), batch_first=True)  # [B, S, D]
    lengths = torch.tensor([len(v) for v in vectors])
    mask = torch.arange(padded.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)  # [B, S]
    return padded, mask


def pad_lengths(documents: Sequence[EncodedDocument]) -> torch.Tensor:
    """Word pieces of each sentence [B, S] as :class:`ExtractiveScorer` counts them (0: padding)."""
    rows = [torch.tensor(doc.sentence_lengths, dtype=torch.long) for doc in documents]
    return nn.utils.rnn.pad_sequence(rows, batch_first=True)


def masked_bce(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy averaged over real sentences only."""
    losses = nn.functional.binary_cross_entropy_with_logits(
        logits.float(), labels, reduction="none"
    )  # [B, S]
    weights = mask.float()
    return (losses * weights).sum() / weights.sum().clamp(min=1.0)
