"""Plain data types that cross from model/ to app/: sentences, budgets, documents, summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from model.network.inputs import EncodedDocument

DEFAULT_NUM_SENTENCES = 3
# Inference precisions by torch's names; "auto" (the default) picks one for the device.
DtypeName = Literal["float32", "bfloat16", "float16"]

# What chose a summary's sentences: the model, or TextRank when the model cannot read the text.
Method = Literal["model", "textrank-fallback"]
MODEL: Method = "model"
FALLBACK: Method = "textrank-fallback"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a document: ``document[start:end] == text``."""

    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Budget:
    """How long a summary may be: a sentence count, a ratio of the document's sentences, or words.

    At most one field is set; with none set the budget is ``DEFAULT_NUM_SENTENCES`` sentences.
    """

    num_sentences: int | None = None
    ratio: float | None = None
    max_words: int | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.num_sentences, self.ratio, self.max_words) if v is not None]
        if len(given) > 1:
            raise ValueError("give at most one of num_sentences, ratio and max_words")
        if self.num_sentences is not None and self.num_sentences < 1:
            raise ValueError("num_sentences must be at least 1")
        if self.ratio is not None and not 0.0 < self.ratio <= 1.0:
            raise ValueError("ratio must be in (0, 1]")
        if self.max_words is not None and self.max_words < 1:
            raise ValueError("max_words must be at least 1")

    def max_sentences(self, num_document_sentences: int) -> int:
        """Largest number of sentences this budget allows for a document of that many sentences."""
        if self.ratio is not None:
            return max(1, round(self.ratio * num_document_sentences))
        if self.max_words is not None:
            return num_document_sentences
        return self.num_sentences or DEFAULT_NUM_SENTENCES

    def asks_for_more_than(self, num_document_sentences: int) -> bool:
        """True when a sentence-count budget wants more sentences than the document has."""
        counting = self.ratio is None and self.max_words is None
        return counting and num_document_sentences < self.max_sentences(num_document_sentences)


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A chosen sentence with its relevance score in [0, 1]."""

    index: int
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Summary:
    """The chosen sentences in document order, plus the score of every sentence."""

    sentences: list[ScoredSentence]
    scores: list[float]
    num_document_sentences: int
    fewer_sentences_than_requested: bool  # the budget asked for more: the whole document
    method: Method = MODEL  # what chose the sentences
    warning: str | None = None  # for people: why the model did not choose, when it did not

    @property
    def text(self) -> str:
        """The chosen sentences joined with a space."""
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A split and tokenized document ready for batching; ``num_tokens`` is its batch cost.

    ``encoded`` is what the encoder reads; ``None`` only for stand-in models that score the
    sentences themselves (the test fakes).
    """

    text: str
    sentences: list[Sentence]
    num_tokens: int
    encoded: EncodedDocument | None = field(default=None, repr=False)
    unknown_ratio: float = 0.0  # share of its word pieces the model's vocabulary does not know
    budget: Budget = field(default_factory=Budget)  # prepared, so summarized, for this budget


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What a loaded model is: shown on /info, published as a metric, named in every answer."""

    id: str
    version: str
    base_encoder: str
    device: str | None = None
    dtype: str | None = None
    dtype_reason: str | None = None  # why this precision: asked for, or what `auto` found
    base_encoder_sha256: str | None = None
    finetune: str | None = None
    head: str | None = None
    pooling: str | None = None
    training_data: list[str] = field(default_factory=list)
    dev_scores: dict[str, float] = field(default_factory=dict)
    languages: list[str] = field(default_factory=lambda: ["en"])  # by script; older: English
    created: str | None = None
    path: str | None = None  # where the checkpoint lies on this machine: never shown to clients

    def public(self) -> dict[str, Any]:
        """The card as clients may see it: every field but the path."""
        card = asdict(self)
        del card["path"]
        return card
