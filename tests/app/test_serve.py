"""The server as a real process (fake model): graceful SIGTERM and JSON logs over real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.cli import COMMANDS, main
from app.testing import free_port
from tests.app.harness import (
    ARTICLE,
    REPO,
    output,
    python_command,
    start_server,
    wait_http_ready,
)


def wait_for_queue(base: str, size: int) -> None:
    """Poll /metrics (answered while the model is busy) until `size` documents wait."""
    for _ in range(300):
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        if f"bertsum_queue_size {size:.1f}" in metrics:
            return
        time.sleep(0.01)
    raise AssertionError(f"the queue never held {size} documents")


def test_sigterm_finishes_accepted_requests_then_exits_0() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(
        python_command("-m", "tests.app.fake_server", "--port", str(port), "--delay", "0.8"),
        env={"BERTSUM_JSON_LOGS": "true", "BERTSUM_MAX_BATCH_DOCUMENTS": "1"},
    )
    try:
        wait_http_ready(base, process, timeout=30)
        with ThreadPoolExecutor(4) as pool:
            pending = [
                pool.submit(httpx.post, f"{base}/summarize", json={"text": ARTICLE}, timeout=30)
                for _ in range(4)
            ]
            # All four accepted: one in its forward pass, three queued behind it.
            wait_for_queue(base, 3)
            process.send_signal(signal.SIGTERM)
            responses = [future.result() for future in pending]
        code = process.wait(timeout=30)
    finally:
        logs = output(process)
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert code == 0, logs
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=2)
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    requests = [r for r in records if r.get("endpoint") == "/summarize"]
    assert len(requests) == 4
    assert all(r["status"] == 200 and r["documents"] == 1 for r in requests)
    assert "flooded" not in logs  # the text never reaches the log


@pytest.mark.parametrize("arguments", [["--help"], ["serve", "--help"]])
def test_help_loads_neither_torch_nor_transformers(arguments: list[str]) -> None:
    probe = (
        "import sys\n"
        "from app.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit as ended:\n"
        "    assert ended.code == 0, ended.code\n"
        "print(sorted({'torch', 'transformers'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        python_command("-c", probe), capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "usage: bertsum" in result.stdout
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_prints_its_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main([command, "--help"])
    assert ended.value.code == 0
    assert f"bertsum {command}" in capsys.readouterr().out
