"""A deterministic stand-in for the model: regex sentences, scores by length, timing on demand."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

from model.text.languages import has_cjk
from model.text.sentences import split_sentences
from model.types import Budget, ModelCard, PreparedDocument, Sentence

_SENTENCE = re.compile(r"[^\s.!?][^.!?]*[.!?]*")
MAX_TOKENS = 512


def split(text: str) -> list[Sentence]:
    """Sentences end at . ! or ?; a piece without a letter or digit is not a sentence."""
    found = [m for m in _SENTENCE.finditer(text) if any(c.isalnum() for c in m.group())]
    sentences = []
    for index, match in enumerate(found):
        piece = match.group().rstrip()
        sentences.append(Sentence(index, piece, match.start(), match.start() + len(piece)))
    return sentences


def length_scores(document: PreparedDocument) -> list[float]:
    """Longer sentences score higher: deterministic, and not simply document order."""
    return [min(1.0, len(s.text.split()) / 20) for s in document.sentences]


class FakePredictor:
    """Implements `app.predictor.Predictor` without torch; the service picks the sentences
    with the product's own rule (`model.selection.summarize_scores`).

    `delay` seconds per `score` call; `gate` (if set) must be set before `score` returns;
    texts containing `fail_marker` make their whole batch raise. Calls and the budgets the
    documents were prepared for are recorded.
    """

    def __init__(
        self,
        delay: float = 0.0,
        gate: threading.Event | None = None,
        fail_marker: str = "EXPLODE",
        fail_warmup: bool = False,
    ) -> None:
        self.delay = delay
        self.gate = gate
        self.fail_marker = fail_marker
        self.fail_warmup = fail_warmup
        self.batches: list[list[str]] = []  # texts of each scored batch
        self.prepared_for: list[Budget | None] = []  # the budget of each prepare call
        self.score_threads: set[str] = set()
        self.started_batches = 0
        self._lock = threading.Lock()

    @property
    def card(self) -> ModelCard:
        """A card with a path, which clients must never see."""
        return ModelCard(
            id="fake-model",
            version="1.0",
            base_encoder="none",
            device="cpu",
            path="/secret/place/checkpoint",
            training_data=["none"],
            dev_scores={"rouge1": 0.5},
        )

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        with self._lock:
            self.prepared_for.append(budget)
        sentences = split(text)
        if not sentences:
            raise ValueError("the text contains no sentences")
        tokens = sum(len(s.text.split()) + 2 for s in sentences)
        return PreparedDocument(text, sentences, min(tokens, MAX_TOKENS), budget=budget or Budget())

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        with self._lock:
            self.started_batches += 1
            self.score_threads.add(threading.current_thread().name)
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.batches.append([d.text for d in documents])
        if any(self.fail_marker in d.text for d in documents):
            raise RuntimeError("the fake model broke on purpose")
        return [length_scores(d) for d in documents]

    def warmup(self) -> None:
        if self.fail_warmup:
            raise RuntimeError("no weights here")
        length_scores(self.prepare("Warm up. Twice."))  # not via score: the gate may be shut


class EnglishOnlyPredictor(FakePredictor):
    """The fake model with the real splitter, reading every CJK character as ``[UNK]``."""

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        document = super().prepare(text, budget)
        sentences = split_sentences(text)
        return PreparedDocument(
            text, sentences, document.num_tokens, None, has_cjk(text) * 1.0, document.budget
        )
