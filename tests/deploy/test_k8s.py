"""Kubernetes manifests: the base and the GPU overlay render, and validate against the schemas."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.kustomize_lite import Manifest, normalized, render

kubernetes_validate = pytest.importorskip("kubernetes_validate")

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
BASE = K8S / "base"
GPU = K8S / "overlays" / "gpu"
# `bertsum serve` drains for BERTSUM_REQUEST_TIMEOUT_S + 5 s (app/serve_command.py).
DRAIN_MARGIN_S = 5


def by_kind(objects: list[Manifest], kind: str) -> Manifest:
    """The one object of a kind."""
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container(objects: list[Manifest]) -> dict[str, Any]:
    """The service's container in the Deployment."""
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["bertsum"]
    return dict(pod["containers"][0])


def env(objects: list[Manifest]) -> dict[str, Any]:
    """The container's environment, name to plain value (or valueFrom)."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(objects)["env"]}


@pytest.fixture(scope="module", params=["base", "gpu"])
def rendered(request: pytest.FixtureRequest) -> list[Manifest]:
    """Each kustomization, rendered."""
    return render(BASE if request.param == "base" else GPU)


def validate(manifest: Manifest) -> None:
    """Validate one object, strictly (no unknown fields), against the newest schemas."""
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


def test_every_object_is_valid(rendered: list[Manifest]) -> None:
    kinds = sorted(o["kind"] for o in rendered)
    for kind in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"):
        assert kind in kinds
    for manifest in rendered:
        validate(manifest)


def test_the_validator_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(by_kind(render(BASE), "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
    unknown = copy.deepcopy(by_kind(render(BASE), "Service"))
    unknown["spec"]["targetPorts"] = [8000]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("directory", [BASE, GPU], ids=["base", "gpu"])
def test_kustomize_renders_the_same(directory: Path) -> None:
    done = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    objects = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    assert normalized(objects) == normalized(render(directory))


def test_port_is_set_once(rendered: list[Manifest]) -> None:
    main = container(rendered)
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    assert ports == {"http": int(env(rendered)["BERTSUM_PORT"])}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert main[probe]["httpGet"]["port"] == "http"
    service = by_kind(rendered, "Service")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    template = by_kind(rendered, "Deployment")["spec"]["template"]["metadata"]
    assert template["annotations"]["prometheus.io/port"] == env(rendered)["BERTSUM_PORT"]
    assert "command" not in main and "args" not in main  # the image's `bertsum serve` reads env


def test_probes_use_health_and_ready(rendered: list[Manifest]) -> None:
    main = container(rendered)
    assert main["livenessProbe"]["httpGet"]["path"] == "/health"
    assert main["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert main["startupProbe"]["httpGet"]["path"] == "/ready"
    startup = main["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120  # room to load a model


def test_runs_non_root_on_a_read_only_root(rendered: list[Manifest]) -> None:
    pod = by_kind(rendered, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's user (Dockerfile)
    assert pod["automountServiceAccountToken"] is False
    security = container(rendered)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container(rendered)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    for variable in ("HF_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
        assert env(rendered)[variable].startswith("/tmp/")


def test_termination_grace_outlasts_the_drain(rendered: list[Manifest]) -> None:
    pod = by_kind(rendered, "Deployment")["spec"]["template"]["spec"]
    pre_stop = container(rendered)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    drain = int(pre_stop[1]) + int(env(rendered)["BERTSUM_REQUEST_TIMEOUT_S"]) + DRAIN_MARGIN_S
    assert pod["terminationGracePeriodSeconds"] > drain


def test_resources_are_requested(rendered: list[Manifest]) -> None:
    resources = container(rendered)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]
    threads = env(rendered)["OMP_NUM_THREADS"]["resourceFieldRef"]
    assert threads["resource"] == "requests.cpu"


def test_selectors_match_the_pods(rendered: list[Manifest]) -> None:
    deployment = by_kind(rendered, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = [
        deployment["spec"]["selector"]["matchLabels"],
        by_kind(rendered, "Service")["spec"]["selector"],
        by_kind(rendered, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= pod_labels.items()
    target = by_kind(rendered, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    assert account == by_kind(rendered, "ServiceAccount")["metadata"]["name"]


def test_base_bakes_the_checkpoint_in() -> None:
    objects = render(BASE)
    assert "BERTSUM_CHECKPOINT" not in env(objects)
    assert env(objects)["BERTSUM_DEVICE"] == "cpu"
    assert container(objects)["image"] == "bertsum-service:latest"


def test_gpu_overlay() -> None:
    objects = render(GPU)
    main = container(objects)
    assert main["image"] == "bertsum-service:cuda"
    assert main["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert env(objects)["BERTSUM_DEVICE"] == "cuda"
    mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
    checkpoint = mounts[env(objects)["BERTSUM_CHECKPOINT"]]
    assert checkpoint["readOnly"] is True
    pod = by_kind(objects, "Deployment")["spec"]["template"]["spec"]
    claim = {v["name"]: v for v in pod["volumes"]}[checkpoint["name"]]["persistentVolumeClaim"]
    assert claim["claimName"] == by_kind(objects, "PersistentVolumeClaim")["metadata"]["name"]
    metrics = by_kind(objects, "HorizontalPodAutoscaler")["spec"]["metrics"]
    assert metrics[0]["pods"]["metric"]["name"] == "bertsum_queue_size"
    assert "/tmp" in {m["mountPath"] for m in main["volumeMounts"]}  # the base's mounts survive
