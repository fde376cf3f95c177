"""The service's one settings object: environment variables `BERTSUM_*`, validated at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from model.fallback import DEFAULT_MAX_UNKNOWN_RATIO
from model.types import DtypeName

ENV_PREFIX = "BERTSUM_"
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class SettingsError(ValueError):
    """A setting is invalid; the message names it by its environment variable."""


class Settings(BaseSettings):
    """Everything the service can be configured with; see the README for the table."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    checkpoint: str | None = Field(
        default=None, description="checkpoint directory; unset means the shipped default model"
    )
    host: str = Field(default="127.0.0.1", min_length=1, description="address to listen on")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port")
    device: str = Field(default="auto", description="auto (CUDA when present), cpu, cuda, cuda:N")
    dtype: Literal["auto"] | DtypeName = Field(
        default="auto",
        description="inference precision; auto: bf16 where the GPU or CPU computes it natively",
    )
    max_batch_documents: int = Field(
        default=16, ge=1, le=1024, description="most documents in one forward pass"
    )
    max_batch_tokens: int = Field(
        default=8192,
        ge=1,
        description="most padded tokens (longest document x documents) in one forward pass",
    )
    max_wait_ms: float = Field(
        default=5.0, ge=0, le=10_000, description="longest a batch waits to fill up"
    )
    prepare_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="threads that split and tokenize texts; more contend with the inference "
        "thread for the GIL",
    )
    queue_size: int = Field(
        default=128, ge=1, description="documents waiting for the model before 429"
    )
    max_text_chars: int = Field(default=100_000, ge=1, description="longest text, in characters")
    max_request_documents: int = Field(
        default=32, ge=1, description="most documents in one /summarize/batch request"
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="largest request body, in bytes"
    )
    request_timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="longest a request may wait for its summary"
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="comma-separated keys; when set, `Authorization: Bearer <key>` is required",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated origins allowed by CORS; none by default"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="logging level"
    )
    json_logs: bool = Field(default=False, description="one JSON object per log line")
    max_unknown_ratio: float = Field(
        default=DEFAULT_MAX_UNKNOWN_RATIO,
        ge=0,
        le=1,
        description="above this share of word pieces unknown to the model's vocabulary, a text's "
        "sentences are chosen by TextRank over characters instead of the model",
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        # Environment variables are flat strings; a comma list reads better than JSON there.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        if not _DEVICE_PATTERN.match(value):
            raise ValueError("must be auto, cpu, mps, cuda or cuda:N")
        return value

    @field_validator("checkpoint")
    @classmethod
    def _check_checkpoint(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_dir():
            raise ValueError(f"no such directory: {value}")
        return value

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        if self.max_body_bytes < self.max_text_chars:
            raise ValueError(
                f"{ENV_PREFIX}MAX_BODY_BYTES ({self.max_body_bytes}) is smaller than "
                f"{ENV_PREFIX}MAX_TEXT_CHARS ({self.max_text_chars}): the longest text could "
                "never be sent"
            )
        return self

    def public(self) -> dict[str, Any]:
        """The settings in force, safe to show to clients: keys by their count, the checkpoint
        by its directory name (no paths of this machine)."""
        shown = self.model_dump(exclude={"api_keys"})
        shown["checkpoint"] = Path(self.checkpoint).name if self.checkpoint else "default (shipped)"
        shown["api_keys"] = f"{len(self.api_keys)} configured"
        return shown


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (overrides win) or raise `SettingsError` naming each bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable, never echoing secrets."""
    lines = []
    for problem in error.errors(include_url=False):
        loc = problem["loc"]
        message = problem["msg"].removeprefix("Value error, ")
        if loc:
            lines.append(f"invalid setting {ENV_PREFIX}{str(loc[0]).upper()}: {message}")
        else:  # a check across settings names them in its message
            lines.append(f"invalid settings: {message}")
    return "; ".join(lines)
