"""What the service needs from a model (the `Predictor` protocol) and how the real one is loaded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from model.types import Budget, PreparedDocument, Summary

if TYPE_CHECKING:
    from app.settings import Settings


@runtime_checkable
class Predictor(Protocol):
    """The model side of the service; `model.inference.Summarizer` satisfies it structurally."""

    @property
    def info(self) -> dict[str, Any]:
        """Model card data (id, version, base_encoder, device, training_data, dev_scores ...)."""
        ...

    def prepare(self, text: str) -> PreparedDocument:
        """Split and tokenize (thread-safe, no forward pass); `ValueError` if no sentences."""
        ...

    def score(self, documents: Sequence[PreparedDocument]) -> list[list[float]]:
        """One padded forward pass over all documents; one score per sentence of each."""
        ...

    def select(
        self,
        document: PreparedDocument,
        scores: Sequence[float],
        budget: Budget,
        trigram_blocking: bool = True,
    ) -> Summary:
        """Choose sentences under the budget, in document order."""
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
