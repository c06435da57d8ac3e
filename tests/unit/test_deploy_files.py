"""deploy/ parses, and every metric the dashboard and the Prometheus rules read is one the monitor exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry, generate_latest

from monitor.metrics import Metrics
from monitor.rules_engine.metrics import rule_metrics
from monitor.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _load_all(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def test_every_yaml_file_in_deploy_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yml")) + sorted(DEPLOY.rglob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        assert _load_all(path), path


def test_compose_has_the_whole_stack_and_mounts_existing_files() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"kafka", "cct-monitor", "prometheus", "alertmanager", "grafana"}
    assert (DEPLOY / compose["services"]["cct-monitor"]["build"]["dockerfile"].removeprefix("deploy/")).exists()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if not host.endswith("secrets"):
                assert (DEPLOY / host).exists(), volume


def test_kubernetes_deployment_has_probes_and_scrape_port() -> None:
    docs = {d["kind"]: d for f in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in _load_all(f) if "kind" in d}
    assert {"Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "Kustomization"} <= set(docs)
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    paths = {probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert paths == {"startupProbe": "/readyz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    assert container["ports"][0]["containerPort"] == 9464
    assert docs["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["external"]["metric"]["name"] == "cct_kafka_consumer_lag"
    kustomized = {r for r in docs["Kustomization"]["resources"]}
    assert kustomized == {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}


def test_shipped_monitor_settings_validate() -> None:
    settings = load_settings(DEPLOY / "config" / "monitor.yaml")
    assert [c.type for c in settings.alerts.channels] == ["kafka", "alertmanager", "console"]
    configmap = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())
    in_cluster = Settings(**yaml.safe_load(configmap["data"]["monitor.yaml"]))
    assert {c.type for c in in_cluster.alerts.channels} == {"kafka", "alertmanager", "webhook"}


def test_grafana_provisioning_points_at_the_dashboard() -> None:
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert ds["datasources"][0]["type"] == "prometheus"
    prov = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/cct.yml").read_text())
    assert prov["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    dash = json.loads((DEPLOY / "grafana/dashboards/cct-monitor.json").read_text())
    titles = " ".join(p["title"] for p in dash["panels"]).lower()
    for topic in ("chunks per second", "lag per partition", "p50/p90/p99", "alerts by rule", "dsa category",
                  "score distribution", "deliveries", "circuit breaker", "reload status"):
        assert topic in titles, topic
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def _exported_names() -> set[str]:
    m = Metrics(CollectorRegistry())
    rule_metrics(m)
    m.kafka.assigned([("t", 0)])
    m.kafka.high_watermarks({("t", 0): 1})
    m.kafka.committed({("t", 0): 1})
    m.init_channel("kafka", True)
    m.alerts_raised.labels("r", "high", "c").inc()
    m.alerts_routed.labels("r", "high", "c", "kafka").inc()
    text = generate_latest(m.registry).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_dashboard_and_rules_read_only_exported_or_recorded_metrics() -> None:
    exported = _exported_names()
    recorded = set()
    exprs = []
    for path in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                recorded.add(rule.get("record", ""))
                exprs.append(rule["expr"])
    dash = json.loads((DEPLOY / "grafana/dashboards/cct-monitor.json").read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    used = {name for e in exprs for name in re.findall(r"\b((?:cct|process)[_:][a-z0-9_:]+)", e)}
    unknown = sorted(used - exported - recorded)
    assert not unknown, unknown
