"""Prometheus config, alert rules and the Grafana dashboard name metrics the service serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.metrics import Metrics
from app.settings import Settings

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "bertsum.json"
SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"],
            "info": ["_info"]}  # fmt: skip
# PromQL words that look like metric names but are functions, keywords or labels.
PROMQL_WORDS = {
    "sum", "by", "rate", "max_over_time", "histogram_quantile", "le", "instance", "endpoint",
    "status", "job", "bool", "and", "or", "unless", "on", "ignoring",
}  # fmt: skip


def served_series() -> set[str]:
    """Every series name the app's /metrics can carry, from its registry's TYPE lines."""
    text = Metrics().render().decode()
    names: set[str] = set()
    for kind_name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        base = kind_name.removesuffix("_total") if kind == "counter" else kind_name
        names.update(base + suffix for suffix in SUFFIXES.get(kind, [""]))
    return names | {"up"}


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression (words not inside braces, quotes or functions)."""
    bare = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]', " ", expr)
    words = set(re.findall(r"\b[a-zA-Z_][a-zA-Z0-9_]*\b(?!\s*\()", bare))
    return {w for w in words if w not in PROMQL_WORDS}


def alert_rules() -> dict[str, dict[str, Any]]:
    """The alert rules by name."""
    groups = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def dashboard_exprs() -> list[str]:
    """Every query of the dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def test_the_issue_s_alerts_exist() -> None:
    rules = alert_rules()
    for name in ("BertsumNotReady", "BertsumHighErrorRate", "BertsumQueueNearFull",
                 "BertsumHighLatencyP95"):  # fmt: skip
        assert name in rules
    for rule in rules.values():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["for"]


def test_alerts_and_dashboard_use_served_metrics() -> None:
    served = served_series()
    exprs = [rule["expr"] for rule in alert_rules().values()] + dashboard_exprs()
    assert len(exprs) > 10
    for expr in exprs:
        unknown = metric_names(expr) - served
        assert not unknown, f"{expr!r} names {unknown}, not among {sorted(served)}"


def test_name_checker_catches_a_typo() -> None:
    assert metric_names('rate(bertsum_request_total{status="5.."}[5m])') == {
        "bertsum_request_total"
    }
    assert "bertsum_request_total" not in served_series()
    assert "bertsum_requests_total" in served_series()


def test_queue_alert_is_80_percent_of_the_default_queue() -> None:
    expr = alert_rules()["BertsumQueueNearFull"]["expr"]
    threshold = int(expr.rsplit(">", 1)[1])
    assert threshold == int(0.8 * Settings.model_fields["queue_size"].default)


def test_dashboard_is_provisioned_with_its_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasources = yaml.safe_load(
        (MONITORING / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    uids = {d["uid"] for d in datasources}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids
        assert panel["targets"], panel["title"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    cells = [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in dashboard["panels"]]
    assert len(set(cells)) == len(cells)  # no two panels at the same place


@pytest.mark.parametrize(("what", "path"), [("config", "prometheus.yml"), ("rules", "alerts.yml")])
def test_promtool_checks(what: str, path: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("no promtool (Debian package prometheus)")
    target = MONITORING / path
    if what == "config":  # the config names the rules by their path inside the container
        (tmp_path / "alerts.yml").write_text((MONITORING / "alerts.yml").read_text())
        text = target.read_text().replace(
            "/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml")
        )
        target = tmp_path / "prometheus.yml"
        target.write_text(text)
    done = subprocess.run([promtool, "check", what, str(target)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_unit_tests() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("no promtool (Debian package prometheus)")
    done = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        capture_output=True,
        text=True,
        cwd=MONITORING,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
