"""Settings from the environment, and start-up refusing bad ones with the setting's name."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from app import serve_command
from app.settings import Settings, SettingsError, load_settings


def test_environment_variables_are_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BERTSUM_PORT", "9001")
    monkeypatch.setenv("BERTSUM_API_KEYS", "one, two,,")
    monkeypatch.setenv("BERTSUM_CORS_ORIGINS", "https://a.example,https://b.example")
    monkeypatch.setenv("BERTSUM_LOG_LEVEL", "debug")
    monkeypatch.setenv("BERTSUM_JSON_LOGS", "true")
    settings = load_settings()
    assert settings.port == 9001
    assert [key.get_secret_value() for key in settings.api_keys] == ["one", "two"]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG" and settings.json_logs is True


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BERTSUM_PORT", "9001")
    assert load_settings(port=9002).port == 9002


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("BERTSUM_PORT", "70000", "BERTSUM_PORT"),
        ("BERTSUM_PORT", "eighty", "BERTSUM_PORT"),
        ("BERTSUM_DEVICE", "gpu", "BERTSUM_DEVICE"),
        ("BERTSUM_DTYPE", "int4", "BERTSUM_DTYPE"),
        ("BERTSUM_QUEUE_SIZE", "0", "BERTSUM_QUEUE_SIZE"),
        ("BERTSUM_PREPARE_THREADS", "0", "BERTSUM_PREPARE_THREADS"),
        ("BERTSUM_MAX_WAIT_MS", "-1", "BERTSUM_MAX_WAIT_MS"),
        ("BERTSUM_REQUEST_TIMEOUT_S", "0", "BERTSUM_REQUEST_TIMEOUT_S"),
        ("BERTSUM_CHECKPOINT", "/no/such/dir", "BERTSUM_CHECKPOINT"),
        ("BERTSUM_LOG_LEVEL", "chatty", "BERTSUM_LOG_LEVEL"),
        ("BERTSUM_MAX_BODY_BYTES", "2000", "BERTSUM_MAX_TEXT_CHARS"),
    ],
)
def test_invalid_settings_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=named):
        load_settings()


def test_public_settings_hide_the_keys_and_paths(tmp_path: Path) -> None:
    shown = Settings(api_keys="alpha,beta").public()  # type: ignore[arg-type]
    assert shown["api_keys"] == "2 configured"
    assert "alpha" not in str(shown)
    assert shown["checkpoint"] == "default (shipped)"
    checkpoint = tmp_path / "cnndm-v3"
    checkpoint.mkdir()
    assert Settings(checkpoint=str(checkpoint)).public()["checkpoint"] == "cnndm-v3"


def test_serve_stops_at_a_bad_setting_with_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BERTSUM_MAX_BATCH_DOCUMENTS", "0")
    args = argparse.Namespace(host=None, port=None, checkpoint=None)
    assert serve_command.run(args) == 2
    error = capsys.readouterr().err
    assert "invalid setting BERTSUM_MAX_BATCH_DOCUMENTS" in error


def test_serve_flags_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BERTSUM_PORT", "9001")
    monkeypatch.setenv("BERTSUM_HOST", "127.0.0.2")
    monkeypatch.setenv("BERTSUM_MAX_WAIT_MS", "7")
    ckpt = str(tmp_path)
    parser = argparse.ArgumentParser()
    serve_command.add_arguments(parser)
    args = parser.parse_args(["--host", "0.0.0.0", "--port", "8123", "--checkpoint", ckpt])
    settings = serve_command.settings_from_args(args)
    assert (settings.host, settings.port, settings.checkpoint) == ("0.0.0.0", 8123, ckpt)
    assert settings.max_wait_ms == 7  # what no flag sets still comes from the environment


def test_every_float_precision_is_a_dtype_setting_and_int8_not_yet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from model.inference import DTYPES

    for dtype in ("auto", *DTYPES):
        monkeypatch.setenv("BERTSUM_DTYPE", dtype)
        assert load_settings().dtype == dtype
    # int8 is served once its paired R-1 interval against fp32 lies within 0.2 R-1 below on
    # both CNN/DM dev sets; at 200 documents each it did not (bench/paired_precision.py).
    monkeypatch.setenv("BERTSUM_DTYPE", "int8")
    with pytest.raises(SettingsError, match="BERTSUM_DTYPE"):
        load_settings()
