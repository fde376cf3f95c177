"""Request and response bodies of the HTTP API, with the examples shown on /docs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from model.types import Budget

EXAMPLE_TEXT = (
    "The city council approved the new budget on Monday after a long debate. "
    "The plan raises spending on schools by ten percent. "
    "Critics said the increase was not paid for. "
    "The mayor will sign it this week."
)


class BudgetFields(BaseModel):
    """How long the summary may be: at most one of the three; 3 sentences when none is given."""

    model_config = ConfigDict(extra="forbid", strict=True)

    num_sentences: int | None = Field(
        default=None, ge=1, le=1000, description="number of sentences (default 3)"
    )
    ratio: float | None = Field(
        default=None, gt=0, le=1, description="share of the document's sentences, in (0, 1]"
    )
    max_words: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="most words in the summary: words are separated by whitespace, and each "
        "Chinese or Japanese character (Han, kana) counts as one word",
    )
    trigram_blocking: bool = Field(
        default=True,
        description="skip sentences sharing a trigram with one already chosen, in summaries that "
        "take at most 35% of the document's sentences or words (longer ones are not blocked)",
    )

    @model_validator(mode="after")
    def _one_budget(self) -> BudgetFields:
        given = [self.num_sentences, self.ratio, self.max_words]
        if sum(value is not None for value in given) > 1:
            raise ValueError("give at most one of num_sentences, ratio and max_words")
        return self

    def budget(self) -> Budget:
        """The model's budget type."""
        return Budget(num_sentences=self.num_sentences, ratio=self.ratio, max_words=self.max_words)


class SummarizeRequest(BudgetFields):
    """One document to summarize."""

    text: str = Field(min_length=1, description="the document, plain text")
    include_all_sentences: bool = Field(
        default=False,
        description="also return every sentence of the document, with offsets and score",
    )

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"text": EXAMPLE_TEXT, "num_sentences": 2}]},
    )


class BatchDocument(SummarizeRequest):
    """One document of a batch request, with an optional id echoed in its result."""

    id: str | None = Field(default=None, max_length=200, description="echoed in the result")


class BatchRequest(BaseModel):
    """Several documents, summarized together; results come back in the same order."""

    model_config = ConfigDict(extra="forbid", strict=True)

    documents: list[BatchDocument] = Field(min_length=1, description="the documents")


class SentenceOut(BaseModel):
    """A sentence of the document; `text[start:end]` of the request is the sentence."""

    index: int = Field(description="position of the sentence in the document, from 0")
    text: str
    start: int = Field(description="character offset of the first character")
    end: int = Field(description="character offset after the last character")
    score: float = Field(description="relevance score in [0, 1]")


class ModelRef(BaseModel):
    """Which model produced a summary."""

    id: str
    version: str


class Timings(BaseModel):
    """Where the time went, in milliseconds."""

    prepare_ms: float = Field(description="sentence splitting and tokenization")
    queue_ms: float = Field(description="waiting for a batch")
    inference_ms: float = Field(description="the forward pass of the batch")
    total_ms: float = Field(description="all of the above plus selection")


class SummaryOut(BaseModel):
    """A summary of one document."""

    summary: str = Field(description="the chosen sentences joined with a space")
    sentences: list[SentenceOut] = Field(description="the chosen sentences, in document order")
    num_document_sentences: int
    all_sentences: list[SentenceOut] | None = Field(
        default=None,
        description="every sentence in document order, when include_all_sentences was set",
    )
    fewer_sentences_than_requested: bool = Field(
        description="the document has fewer sentences than asked for, so all are returned"
    )
    method: Literal["model", "textrank-fallback"] = Field(
        description="what chose the sentences: the model, or TextRank over characters "
        "when most of the text's word pieces are unknown to the model (BERTSUM_MAX_UNKNOWN_RATIO)"
    )
    warning: str | None = Field(
        default=None, description="for people: why the model did not choose, when it did not"
    )


class SummarizeResponse(SummaryOut):
    """The answer to POST /summarize."""

    model: ModelRef
    timings: Timings


class BatchResult(SummaryOut):
    """One document's result in a batch answer."""

    id: str | None
    timings: Timings


class BatchResponse(BaseModel):
    """The answer to POST /summarize/batch, results in request order."""

    results: list[BatchResult]
    model: ModelRef


class ErrorDetail(BaseModel):
    type: str = Field(description="machine-readable kind, e.g. invalid_request, overloaded")
    message: str = Field(description="what went wrong, for people")


class ErrorResponse(BaseModel):
    """The shape of every error response."""

    error: ErrorDetail


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"])


class InfoResponse(BaseModel):
    """The model card and the settings in force."""

    model: dict[str, Any] = Field(description="model card: id, version, base encoder, scores")
    settings: dict[str, Any] = Field(description="the service settings in force (no secrets)")


SUMMARIZE_EXAMPLES: dict[str, Any] = {
    "sentences": {
        "summary": "Two sentences",
        "value": {"text": EXAMPLE_TEXT, "num_sentences": 2},
    },
    "ratio": {
        "summary": "Half of the sentences",
        "value": {"text": EXAMPLE_TEXT, "ratio": 0.5},
    },
    "words": {
        "summary": "At most 25 words, no trigram blocking",
        "value": {"text": EXAMPLE_TEXT, "max_words": 25, "trigram_blocking": False},
    },
}

BATCH_EXAMPLES: dict[str, Any] = {
    "two": {
        "summary": "Two documents",
        "value": {
            "documents": [
                {"id": "a", "text": EXAMPLE_TEXT, "num_sentences": 1},
                {"id": "b", "text": EXAMPLE_TEXT, "ratio": 0.5},
            ]
        },
    }
}
