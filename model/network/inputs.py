"""BertSum input encoding: `[CLS] s [SEP]` per sentence, interval segments, long-text windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True, slots=True)
class EncodingConfig:
    """How documents become encoder inputs."""

    max_sentence_tokens: int = 80
    """Word pieces kept per sentence, before [CLS] and [SEP]."""
    window_tokens: int = 512
    """The encoder's input length."""
    overlap_tokens: int = 128
    """Context carried from one window into the next."""


@dataclass(frozen=True, slots=True)
class Window:
    """One encoder input: whole sentences ``first..last-1`` of the document."""

    input_ids: list[int]
    segment_ids: list[int]
    first: int
    last: int
    sentence_starts: list[int]  # token offset of each sentence's [CLS] in this window


@dataclass(frozen=True, slots=True)
class EncodedDocument:
    """A document as encoder windows, and for each sentence the window that scores it."""

    windows: list[Window]
    owner: list[int]  # owner[i]: index of the window in which sentence i is scored
    # Per sentence, features the head reads beside the encoder (model.network.centrality);
    # None for a head that reads none.
    centrality: tuple[tuple[float, ...], ...] | None = None

    @property
    def num_sentences(self) -> int:
        """Number of sentences in the document."""
        return len(self.owner)

    @property
    def num_tokens(self) -> int:
        """Word pieces over all windows: the document's cost in a batch."""
        return sum(len(w.input_ids) for w in self.windows)

    @property
    def sentence_lengths(self) -> list[int]:
        """Word pieces of each sentence, `[CLS]` and `[SEP]` included."""
        return [end - start for _, start, end in map(self.sentence_span, range(self.num_sentences))]

    def sentence_span(self, index: int) -> tuple[int, int, int]:
        """(window, [CLS] offset, end offset after [SEP]) of sentence ``index`` in its window."""
        window_index = self.owner[index]
        window = self.windows[window_index]
        local = index - window.first
        start = window.sentence_starts[local]
        end = (
            window.sentence_starts[local + 1]
            if local + 1 < len(window.sentence_starts)
            else len(window.input_ids)
        )
        return window_index, start, end


def sentence_pieces(
    tokenizer: PreTrainedTokenizerBase, sentences: Sequence[str], config: EncodingConfig
) -> list[list[int]]:
    """`[CLS] pieces [SEP]` ids for each sentence, pieces capped at ``max_sentence_tokens``."""
    if not sentences:
        return []
    cap = min(config.max_sentence_tokens, config.window_tokens - 2)
    encoded = tokenizer(list(sentences), add_special_tokens=False)["input_ids"]
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    return [[cls_id, *ids[:cap], sep_id] for ids in encoded]


def plan_windows(lengths: Sequence[int], config: EncodingConfig) -> list[tuple[int, int]]:
    """Cover sentences with windows of whole sentences; each next window repeats about
    ``overlap_tokens`` of the previous one's tail so boundary sentences keep context."""
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(lengths):
        last, used = first, 0
        while last < len(lengths) and used + lengths[last] <= config.window_tokens:
            used += lengths[last]
            last += 1
        windows.append((first, last))
        if last == len(lengths):
            break
        # Step back over whole sentences worth at most `overlap_tokens`, but always advance.
        next_first, carried = last, 0
        while next_first - 1 > first and carried + lengths[next_first - 1] <= config.overlap_tokens:
            next_first -= 1
            carried += lengths[next_first]
        first = next_first
    return windows


def assign_owners(lengths: Sequence[int], windows: Sequence[tuple[int, int]]) -> list[int]:
    """For each sentence, the window where it has the most context on its shorter side.

    A document edge counts as full context: nothing is missing there.
    """
    prefix = [0]
    for length in lengths:
        prefix.append(prefix[-1] + length)
    owners = [-1] * len(lengths)
    best_context = [-1.0] * len(lengths)
    for window_index, (first, last) in enumerate(windows):
        for index in range(first, last):
            left = float("inf") if first == 0 else prefix[index] - prefix[first]
            right = float("inf") if last == len(lengths) else prefix[last] - prefix[index + 1]
            if min(left, right) > best_context[index]:
                owners[index], best_context[index] = window_index, min(left, right)
    return owners


def encode_document(
    tokenizer: PreTrainedTokenizerBase, sentences: Sequence[str], config: EncodingConfig
) -> EncodedDocument:
    """Encode a document's sentences into windows with interval segment ids (A, B, A, ...)."""
    pieces = sentence_pieces(tokenizer, sentences, config)
    lengths = [len(p) for p in pieces]
    spans = plan_windows(lengths, config)
    windows = []
    for first, last in spans:
        input_ids: list[int] = []
        segment_ids: list[int] = []
        starts: list[int] = []
        for index in range(first, last):
            starts.append(len(input_ids))
            input_ids.extend(pieces[index])
            # Segments alternate with the sentence's index in the document, so a sentence keeps
            # its segment in every window it appears in.
            segment_ids.extend([index % 2] * lengths[index])
        windows.append(Window(input_ids, segment_ids, first, last, starts))
    return EncodedDocument(windows, assign_owners(lengths, spans))
