"""What the service needs from a model (the `Predictor` protocol) and how the real one is loaded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from model.types import Budget, ModelCard, PreparedDocument

if TYPE_CHECKING:
    from app.settings import Settings


class Predictor(Protocol):
    """The model side of the service; `model.inference.Summarizer` satisfies it structurally.

    Choosing sentences from the scores is not the model's business: the service applies
    `model.selection.summarize_scores`, the rule every other caller uses too.
    """

    @property
    def card(self) -> ModelCard:
        """What the model is (id, version, base encoder, device, training data, dev scores)."""
        ...

    def prepare(self, text: str, budget: Budget | None = None) -> PreparedDocument:
        """Split and tokenize for a summary under ``budget`` (thread-safe, no forward pass; a
        model may read how much of the document the budget takes); `ValueError` if no sentences."""
        ...

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        """One padded forward pass over all documents; one score per sentence of each."""
        ...

    def warmup(self) -> None:
        """A tiny forward pass, so readiness means the model really runs."""
        ...


PredictorFactory = Callable[["Settings"], Predictor]


def load_predictor(settings: Settings) -> Predictor:
    """Load the checkpoint named by the settings (the shipped one by default)."""
    # Imported here so that importing the app loads neither torch nor weights.
    from model.inference import load_summarizer

    predictor: Predictor = load_summarizer(
        settings.checkpoint, device=settings.device, dtype=settings.dtype
    )
    return predictor
