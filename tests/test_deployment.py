"""The deployment files, checked where no Docker engine and no Helm binary run.

docker-compose.yml, helm/hdh and the Dockerfile are parsed and compared with the parts'
own settings classes: a variable, a port or an image that drifts from the code fails here.
Each check is a function returning the problems it finds, so the tests below also feed it a
broken copy and expect a complaint (a check that passes everything proves nothing).

Helm templates are not rendered: their template actions are replaced by a placeholder,
the rest is parsed as YAML and validated against the Kubernetes schemas (kubernetes-validate),
tolerating only the errors a placeholder causes. Starting the containers, and rendering and
applying the chart, are for a machine with Docker and a cluster (see the README).
"""

import importlib
import json
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from referencing import Registry, Resource

from access.config import Settings as AccessSettings
from audit.config import Settings as AuditSettings
from catalog.config import Settings as CatalogSettings
from gateway.config import Settings as GatewaySettings
from hdh_common.settings import ServiceSettings
from linkage.config import Settings as LinkageSettings
from workspace.config import Settings as WorkspaceSettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
CHART = ROOT / "helm" / "hdh"
KUBERNETES_VERSION = "v1.30.0-local-strict"
K8S_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
PLACEHOLDER = "TPL"
# Words of a variable name that make it a secret (fails fast in compose, secretKeyRef in Helm).
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY")


@dataclass(frozen=True)
class Part:
    name: str
    folder: str
    settings: type[BaseSettings]
    proxy_headers: bool = True

    @property
    def port(self) -> int:
        return int(self.settings.model_fields["port"].default)

    @property
    def is_service(self) -> bool:
        return issubclass(self.settings, ServiceSettings)

    def variables(self) -> set[str]:
        return {f"HDH_{name.upper()}" for name in self.settings.model_fields}

    @property
    def build_args(self) -> dict[str, str]:
        """What the one Dockerfile needs to build this part's image."""
        args = {"PART": self.folder, "APP": self.name, "PORT": str(self.port)}
        return args if self.proxy_headers else {**args, "PROXY_HEADERS": "false"}


PARTS = {
    part.name: part
    for part in (
        Part("gateway", "gateway", GatewaySettings, proxy_headers=False),
        Part("catalog", "services/catalog", CatalogSettings),
        Part("access", "services/access", AccessSettings),
        Part("linkage", "services/linkage", LinkageSettings),
        Part("audit", "services/audit", AuditSettings),
        Part("workspace", "services/workspace", WorkspaceSettings),
    )
}
SERVICES = [part for part in PARTS.values() if part.is_service]


# ------------------------------------------------------------------ docker-compose.yml


def compose_problems(compose: dict[str, Any], env_example: str) -> list[str]:
    services = compose.get("services") or {}
    problems = [f"{name}: missing" for name in PARTS if name not in services]
    for name, service in services.items():
        if service.get("ports") and name not in ("gateway", "keycloak"):
            problems.append(f"{name}: publishes ports; only the gateway and keycloak may")
    for part in PARTS.values():
        if part.name in services:
            problems += _part_problems(part, services[part.name], services)
    for part in SERVICES:
        problems += _migration_problems(part, services)
    problems += _infrastructure_problems(services)
    problems += _secret_problems(compose, env_example)
    return problems


def _part_problems(part: Part, service: dict[str, Any], services: dict[str, Any]) -> list[str]:
    problems = _image_problems(part, service, part.name)
    problems += _env_problems(part, service, part.name)
    ports = [str(port) for port in service.get("expose", [])]
    ports += [str(port).rsplit(":", 1)[-1] for port in service.get("ports", [])]
    if ports != [str(part.port)]:
        problems.append(f"{part.name}: exposes {ports}, its settings listen on {part.port}")
    if part.is_service:
        condition = (service.get("depends_on") or {}).get(f"migrate-{part.name}", {})
        if condition.get("condition") != "service_completed_successfully":
            problems.append(f"{part.name}: does not wait for migrate-{part.name} to complete")
    else:
        env = service.get("environment") or {}
        for target in SERVICES:
            url = f"http://{target.name}:{target.port}"
            if env.get(f"HDH_{target.name.upper()}_URL") != url:
                problems.append(f"{part.name}: HDH_{target.name.upper()}_URL is not {url}")
    return problems


def _migration_problems(part: Part, services: dict[str, Any]) -> list[str]:
    name = f"migrate-{part.name}"
    job = services.get(name)
    if job is None:
        return [f"{name}: missing"]
    problems = _image_problems(part, job, name) + _env_problems(part, job, name)
    if job.get("command") != ["python", "-m", "hdh_common.migrations", part.name, "upgrade"]:
        problems.append(f"{name}: does not run `python -m hdh_common.migrations {part.name}`")
    owner = f"//hdh_{part.name}_owner:"
    runtime = f"//hdh_{part.name}:"
    if owner not in str((job.get("environment") or {}).get("HDH_DATABASE_URL")):
        problems.append(f"{name}: does not connect as the schema owner hdh_{part.name}_owner")
    service_url = str(
        (services.get(part.name, {}).get("environment") or {}).get("HDH_DATABASE_URL")
    )
    if runtime not in service_url:
        problems.append(f"{part.name}: does not connect as its restricted role hdh_{part.name}")
    return problems


def _image_problems(part: Part, service: dict[str, Any], name: str) -> list[str]:
    problems = []
    build = service.get("build") or {}
    if build.get("context") != "." or build.get("dockerfile", "Dockerfile") != "Dockerfile":
        problems.append(f"{name}: not built from the root with the one Dockerfile")
    if build.get("args") != part.build_args:
        problems.append(f"{name}: not built with the args {part.build_args}")
    if not str(service.get("image", "")).startswith(f"hdh/{part.name}:"):
        problems.append(f"{name}: image is not hdh/{part.name}:<tag>")
    return problems


def _env_problems(part: Part, service: dict[str, Any], name: str) -> list[str]:
    env = {str(key): str(value) for key, value in (service.get("environment") or {}).items()}
    unknown = sorted(key for key in env if key.startswith("HDH_") and key not in part.variables())
    problems = [f"{name}: {key} is no setting of {part.name}" for key in unknown]
    return problems + _settings_load_problems(part, env, name)


def _settings_load_problems(part: Part, env: dict[str, str], name: str) -> list[str]:
    """The values, interpolation defaults or a placeholder in, must load into the settings."""
    values = {key: _interpolated(value) for key, value in env.items() if key.startswith("HDH_")}
    with mock.patch.dict(os.environ, values):
        for key in set(os.environ) - set(values):
            if key.startswith("HDH_"):
                del os.environ[key]
        try:
            part.settings()
        except ValidationError as error:
            return [f"{name}: its environment does not load: {error}"]
    return []


def _interpolated(value: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        operator, default = match.group(2), match.group(3)
        return default if operator in (":-", "-") else "placeholder"

    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", substitute, value)


def _infrastructure_problems(services: dict[str, Any]) -> list[str]:
    problems = []
    kafka = services.get("kafka") or {}
    roles = str((kafka.get("environment") or {}).get("KAFKA_PROCESS_ROLES", ""))
    if "controller" not in roles or any("zookeeper" in name for name in services):
        problems.append("kafka: not a KRaft node (broker,controller, no ZooKeeper)")
    if not any(
        "deploy/postgres/init" in str(v) for v in services.get("postgres", {}).get("volumes", [])
    ):
        problems.append("postgres: deploy/postgres/init script not mounted")
    buckets = str(services.get("minio-buckets", {}).get("command"))
    if not all(f"hub/{bucket}" in buckets for bucket in ("landing", "central", "projects")):
        problems.append("minio-buckets: does not create landing, central and projects")
    keycloak = services.get("keycloak") or {}
    if "--import-realm" not in str(keycloak.get("command")) or "gateway/keycloak" not in str(
        keycloak.get("volumes")
    ):
        problems.append("keycloak: does not import the realm export of gateway/keycloak")
    return problems


def _secret_problems(compose: dict[str, Any], env_example: str) -> list[str]:
    problems = []
    for string in _strings(compose):
        # A lone `$` is interpolated by compose itself: commands must write `$$`.
        for bad in re.findall(r"(?<!\$)\$(?![{$])\w*", string.replace("$$", "")):
            problems.append(f"bare {bad!r}: write $${bad[1:]} or ${{{bad[1:]}}}")
        for variable, operator in re.findall(r"\$\{(\w+)(:?[-?])?", string):
            if set(variable.split("_")) & set(SECRET_WORDS) and operator != ":?":
                problems.append(f"${{{variable}}}: a secret must fail fast (${{{variable}:?...}})")
            if operator == ":?" and not re.search(rf"^{variable}=", env_example, re.MULTILINE):
                problems.append(f"${{{variable}}}: required but not listed in .env.example")
    return sorted(set(problems))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@cache
def compose_text() -> str:
    return COMPOSE.read_text()


def load_compose(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def env_example() -> str:
    return (ROOT / ".env.example").read_text()


def test_compose_is_consistent_with_the_parts() -> None:
    assert compose_problems(load_compose(compose_text()), env_example()) == []


def _break_compose(compose: dict[str, Any], how: str) -> None:
    services = compose["services"]
    if how == "published service":
        services["catalog"]["ports"] = ["8001:8001"]
    elif how == "unknown variable":
        services["audit"]["environment"]["HDH_AUDIT_SIGNIN_KEY"] = "typo"
    elif how == "bad value":
        services["catalog"]["environment"]["HDH_STORAGE_BACKEND"] = "tape"
    elif how == "no migration wait":
        services["linkage"]["depends_on"].pop("migrate-linkage")
    elif how == "wrong port":
        services["access"]["expose"] = ["8000"]
    elif how == "secret with a default":
        services["postgres"]["environment"]["POSTGRES_PASSWORD"] = "${POSTGRES_PASSWORD:-postgres}"
    elif how == "bare dollar":
        services["minio-buckets"]["command"] = [
            "mc alias set hub http://minio:9000 $MINIO_ROOT_USER"
        ]
    elif how == "missing part":
        services.pop("gateway")
    elif how == "another part's image":
        services["migrate-linkage"]["build"]["args"]["APP"] = "audit"
    elif how == "own dockerfile":
        services["catalog"]["build"]["dockerfile"] = "services/catalog/Dockerfile"


@pytest.mark.parametrize(
    "how",
    [
        "published service",
        "unknown variable",
        "bad value",
        "no migration wait",
        "wrong port",
        "secret with a default",
        "bare dollar",
        "missing part",
        "another part's image",
        "own dockerfile",
    ],
)
def test_compose_check_catches_a_broken_copy(how: str) -> None:
    compose = load_compose(compose_text())
    _break_compose(compose, how)
    assert compose_problems(compose, env_example())


# ------------------------------------------------------------------ Kubernetes schemas


@cache
def k8s_schema(name: str) -> dict[str, Any]:
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema" / KUBERNETES_VERSION
    return json.loads((folder / name).read_text())


@cache
def k8s_registry() -> Registry:
    return Resource.from_contents(k8s_schema("_definitions.json")) @ Registry()


def k8s_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, registry=k8s_registry())
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
        if not _caused_by_a_placeholder(error)
    ]


def _caused_by_a_placeholder(error: jsonschema.ValidationError) -> bool:
    """A templated value (`TPL`) or a templated block (`null`) is unknown here, not wrong."""
    instance = error.instance
    return instance is None or (isinstance(instance, str) and PLACEHOLDER in instance)


def resource_errors(document: dict[str, Any]) -> list[str]:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(document.get("apiVersion")))
    try:
        schema = k8s_schema(f"{str(document.get('kind')).lower()}-{group_version}.json")
    except FileNotFoundError:
        return [f"no Kubernetes schema for {document.get('kind')} {document.get('apiVersion')}"]
    return k8s_errors(document, schema)


def definition_errors(instance: Any, definition: str) -> list[str]:
    return k8s_errors(instance, {"$ref": f"{K8S_DEFINITIONS}#/$defs/io.k8s.api.{definition}"})


# ------------------------------------------------------------------ helm/hdh: values


def load_values(text: str | None = None) -> dict[str, Any]:
    return yaml.safe_load(text if text is not None else (CHART / "values.yaml").read_text())


def values_problems(values: dict[str, Any]) -> list[str]:
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    problems = [
        f"values.schema.json: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(values)
    ]
    return problems + _values_k8s_problems(values) + _values_part_problems(values)


def _values_k8s_problems(values: dict[str, Any]) -> list[str]:
    """The values that templates paste into manifests, against their Kubernetes types."""
    fragments: list[tuple[str, Any, str]] = [
        ("podSecurityContext", values.get("podSecurityContext"), "core.v1.PodSecurityContext"),
        (
            "containerSecurityContext",
            values.get("containerSecurityContext"),
            "core.v1.SecurityContext",
        ),
        (
            "migrations.resources",
            values.get("migrations", {}).get("resources"),
            "core.v1.ResourceRequirements",
        ),
    ]
    fragments += [
        (f"probes.{name}", probe, "core.v1.Probe")
        for name, probe in values.get("probes", {}).items()
    ]
    fragments += [
        (f"parts.{name}.resources", part.get("resources"), "core.v1.ResourceRequirements")
        for name, part in values.get("parts", {}).items()
    ]
    peers = [("networkPolicy.dnsPeers", values.get("networkPolicy", {}).get("dnsPeers"))]
    peers += [
        (
            "networkPolicy.gatewayIngressFrom",
            values.get("networkPolicy", {}).get("gatewayIngressFrom"),
        )
    ]
    peers += [
        (f"external.{name}.networkPolicyPeers", component.get("networkPolicyPeers"))
        for name, component in values.get("external", {}).items()
    ]
    fragments += [
        (f"{where}[{index}]", peer, "networking.v1.NetworkPolicyPeer")
        for where, items in peers
        for index, peer in enumerate(items or [])
    ]
    return [
        f"values {where}: {error}"
        for where, fragment, definition in fragments
        for error in definition_errors(fragment, definition)
    ]


def _values_part_problems(values: dict[str, Any]) -> list[str]:
    parts = values.get("parts", {})
    problems = [f"values parts: {name} missing" for name in PARTS if name not in parts]
    for name, part in parts.items():
        if name not in PARTS:
            problems.append(f"values parts: {name} is no part")
            continue
        if part.get("port") != PARTS[name].port:
            problems.append(f"values parts.{name}.port is not {PARTS[name].port}")
        for key in {**part.get("env", {}), **part.get("secretEnv", {})}:
            if key not in PARTS[name].variables():
                problems.append(f"values parts.{name}: {key} is no setting of {name}")
    if values.get("image", {}).get("repository") != "hdh":
        problems.append("values image.repository is not hdh (compose builds hdh/<part>)")
    security = values.get("containerSecurityContext", {})
    if not security.get("readOnlyRootFilesystem") or not values.get("podSecurityContext", {}).get(
        "runAsNonRoot"
    ):
        problems.append("values: pods must run as non-root on a read-only root filesystem")
    return problems


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "hdh"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"]


def test_values_match_the_schema_kubernetes_and_the_parts() -> None:
    assert values_problems(load_values()) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("parts", "catalog", "port"), "8001"),
        (("parts", "audit", "port"), 9000),
        (("parts", "gateway", "resources", "limit"), {"memory": "1Gi"}),
        (("parts", "linkage", "env", "HDH_LINKAGE_WORKER"), "2"),
        (("podSecurityContext", "runAsNonRoot"), False),
        (("external", "postgres", "networkPolicyPeers", 0, "ipBlock", "cidr"), 10),
        (("secrets", "s3", "secretKey"), "inlined-secret"),
    ],
)
def test_values_check_catches_a_broken_copy(path: tuple[Any, ...], value: Any) -> None:
    values = load_values()
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert values_problems(values)


# ------------------------------------------------------------------ helm/hdh: templates

ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
BLOCK_OPEN = re.compile(r"^\s*(if|range|with|define|block)\b")
BLOCK_END = re.compile(r"^\s*end\b")


def template_texts() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted((CHART / "templates").iterdir())}


def strip_templates(text: str) -> str:
    """Lines holding only actions go; an action inside a line becomes the placeholder."""
    lines = []
    for line in COMMENT.sub("", text).splitlines():
        if ACTION.sub("", line).strip() == "" and ACTION.search(line):
            continue
        lines.append(ACTION.sub(PLACEHOLDER, line))
    return "\n".join(lines)


def template_problems(templates: dict[str, str], values: dict[str, Any]) -> list[str]:
    defined = {
        name for text in templates.values() for name in re.findall(r'define "([^"]+)"', text)
    }
    problems = []
    for file, text in templates.items():
        problems += [f"{file}: {problem}" for problem in _action_problems(text, values, defined)]
        if file.endswith(".yaml"):
            problems += [f"{file}: {problem}" for problem in _manifest_problems(text)]
    return problems


def _action_problems(text: str, values: dict[str, Any], defined: set[str]) -> list[str]:
    actions = [action.strip() for action in ACTION.findall(COMMENT.sub("", text))]
    depth, problems = 0, []
    for action in actions:
        depth += 1 if BLOCK_OPEN.match(action) else -1 if BLOCK_END.match(action) else 0
        if depth < 0:
            problems.append("an `end` without its block")
            depth = 0
    if depth:
        problems.append(f"{depth} block(s) never closed with `end`")
    for action in actions:
        problems += [
            f'include "{n}" is never defined'
            for n in re.findall(r'include "([^"]+)"', action)
            if n not in defined
        ]
        problems += _values_path_problems(action, values)
    return problems


def _values_path_problems(action: str, values: dict[str, Any]) -> list[str]:
    """`.Values.a.b`, `$values.a.b` and `$part.a` must name something values.yaml has."""
    problems = []
    for path in re.findall(r"(?:\.Values|\$values)((?:\.\w+)+)", action):
        if not _has_path(values, path.strip(".").split(".")):
            problems.append(f"{path.strip('.')} is not in values.yaml")
    parts = values.get("parts", {}).values()
    for path in re.findall(r"\$part((?:\.\w+)+)", action):
        if not any(_has_path(part, path.strip(".").split(".")) for part in parts):
            problems.append(f"parts.<part>{path} is in no part of values.yaml")
    return problems


def _has_path(node: Any, keys: list[str]) -> bool:
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _manifest_problems(text: str) -> list[str]:
    try:
        documents = [doc for doc in yaml.safe_load_all(strip_templates(text)) if doc is not None]
    except yaml.YAMLError as error:
        return [f"not YAML once its actions are stripped: {error}"]
    problems = []
    for document in documents:
        if not isinstance(document, dict) or not {"apiVersion", "kind", "metadata"} <= set(
            document
        ):
            problems.append(f"a document without apiVersion, kind and metadata: {document!r:.80}")
            continue
        problems += [f"{document['kind']}: {error}" for error in resource_errors(document)]
        problems += _secret_env_problems(document)
    return problems


def _secret_env_problems(document: dict[str, Any]) -> list[str]:
    if document.get("kind") == "Secret":
        return ["the chart creates a Secret: secrets are referenced, never inlined"]
    pod = document.get("spec", {}).get("template", {}).get("spec", {})
    return env_secret_problems(
        [item for container in pod.get("containers", []) for item in container.get("env", [])]
    )


def env_secret_problems(env: list[dict[str, Any]]) -> list[str]:
    """A secret setting is never given a value, only a secretKeyRef."""
    return [
        f"{item['name']} is set inline; use valueFrom.secretKeyRef"
        for item in env
        if set(str(item.get("name")).split("_")) & {*SECRET_WORDS, "PGPASSWORD"}
        and "secretKeyRef" not in str(item.get("valueFrom"))
    ]


def env_helpers() -> dict[str, str]:
    helpers = template_texts()["_helpers.tpl"] + "\n\n"
    return dict(re.findall(r'define "([^"]+)" -\}\}(.*?)\{\{- end \}\}\n\n', helpers, re.S))


def rendered_documents() -> list[dict[str, Any]]:
    documents = []
    for file, text in template_texts().items():
        if file.endswith(".yaml"):
            documents += [d for d in yaml.safe_load_all(strip_templates(text)) if d is not None]
    return documents


def test_templates_are_balanced_and_valid_kubernetes() -> None:
    assert template_problems(template_texts(), load_values()) == []


def test_chart_deploys_every_kind_the_platform_needs() -> None:
    kinds = {document["kind"] for document in rendered_documents()}
    expected = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert expected | {"NetworkPolicy", "Job", "ServiceAccount"} <= kinds
    hooks = [
        d["metadata"].get("annotations", {}).get("helm.sh/hook", "")
        for d in rendered_documents()
        if d["kind"] == "Job"
    ]
    assert hooks and all({"pre-install", "pre-upgrade"} <= set(hook.split(",")) for hook in hooks)


def test_deployment_template_probes_runs_safely_and_listens_on_the_part_port() -> None:
    parts = yaml.safe_load_all(strip_templates(template_texts()["deployment.yaml"]))
    (deployment,) = [d for d in parts if d is not None and d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "resources" in container and "securityContext" in container
    source = template_texts()["deployment.yaml"]
    assert "containerPort: {{ $part.port }}" in source
    assert "toYaml $.Values.containerSecurityContext" in source
    assert '"{{ $name }}.main:create_app"' in source


def test_gateway_and_service_env_templates_name_real_settings() -> None:
    blocks = env_helpers()
    expected = {
        "hdh.gatewayEnv": {p for p in PARTS.values() if not p.is_service},
        "hdh.serviceEnv": set(SERVICES),
        "hdh.databaseEnv": set(SERVICES),
    }
    for block, parts in expected.items():
        names = set(re.findall(r"- name: (HDH_\w+)", blocks[block]))
        assert names, block
        for part in parts:
            assert names <= part.variables(), (block, part.name, names - part.variables())


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("hpa.yaml", "{{- end }}\n{{- end }}", "{{- end }}"),
        ("service.yaml", ".Values.parts", ".Values.partz"),
        ("pdb.yaml", '"hdh.selectorLabels"', '"hdh.selectorLabel"'),
        ("deployment.yaml", "containerPort:", "containerPorts:"),
        ("networkpolicy.yaml", "policyTypes: [Ingress, Egress]", "policyTypes: Ingress: x"),
        (
            "deployment.yaml",
            "secretKeyRef:\n                  name:",
            "value:\n                  name:",
        ),
    ],
)
def test_template_check_catches_a_broken_copy(file: str, old: str, new: str) -> None:
    templates = template_texts()
    assert old in templates[file]
    templates[file] = templates[file].replace(old, new, 1)
    assert template_problems(templates, load_values())


@pytest.mark.parametrize("block", ["hdh.gatewayEnv", "hdh.serviceEnv", "hdh.databaseEnv"])
def test_env_helpers_are_kubernetes_env_vars_with_secrets_referenced(block: str) -> None:
    env = yaml.safe_load(strip_templates(env_helpers()[block]))
    errors = [error for item in env for error in definition_errors(item, "core.v1.EnvVar")]
    assert errors == []
    assert env_secret_problems(env) == []


def test_env_check_refuses_an_inlined_secret() -> None:
    assert env_secret_problems([{"name": "HDH_S3_SECRET_KEY", "value": "x"}])
    assert env_secret_problems([{"name": "PGPASSWORD", "value": "x"}])


# ------------------------------------------------------------------ Dockerfiles


def dockerfile_problems(part: Part, text: str) -> list[str]:
    """The problems of the Dockerfile's image of ``part``, built with its build args."""
    instructions = _instructions(_with_args(text, part.build_args))
    problems = []
    stages = [args for op, args in instructions if op == "FROM"]
    if len(stages) < 2 or "python:3.11-slim" not in text:
        problems.append("not a multi-stage build on python:3.11-slim")
    users = [args for op, args in instructions if op == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the final stage does not run as a non-root user")
    if [args for op, args in instructions if op == "EXPOSE"] != [str(part.port)]:
        problems.append(f"does not EXPOSE {part.port} alone")
    health = " ".join(args for op, args in instructions if op == "HEALTHCHECK")
    if not all(word in health for word in ("127.0.0.1:", "UVICORN_PORT", "/healthz", "urllib")):
        problems.append("no HEALTHCHECK on 127.0.0.1:$UVICORN_PORT/healthz with urllib")
    return problems + _server_problems(part, instructions)


def image_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    pairs = (pair for op, args in instructions if op == "ENV" for pair in shlex.split(args))
    return dict(pair.split("=", 1) for pair in pairs)


def _server_problems(part: Part, instructions: list[tuple[str, str]]) -> list[str]:
    """uvicorn, configured by its UVICORN_* variables, serving the part's app on its port."""
    env = image_env(instructions)
    wanted = {
        "UVICORN_APP": f"{part.name}.main:create_app",
        "UVICORN_FACTORY": "true",
        "UVICORN_HOST": "0.0.0.0",  # noqa: S104 (inside the container)
        "UVICORN_PORT": str(part.port),
        "UVICORN_SERVER_HEADER": "false",
        "UVICORN_PROXY_HEADERS": str(part.proxy_headers).lower(),
    }
    problems = [f"{key} is not {value}" for key, value in wanted.items() if env.get(key) != value]
    if [json.loads(args) for op, args in instructions if op == "CMD"] != [["uvicorn"]]:
        problems.append('CMD is not ["uvicorn"]')
    copies = " ".join(args for op, args in instructions if op == "COPY")
    if "libs" not in copies.split() or part.folder not in copies:
        problems.append(f"does not install libs and {part.folder}")
    return problems


def _with_args(text: str, args: dict[str, str]) -> str:
    """``text`` with each ``${ARG}`` replaced by its build arg, or else its default."""
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    values = {**defaults, **args}
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    return [
        (
            line.split(None, 1)[0].upper(),
            line.split(None, 1)[1].strip() if " " in line.strip() else "",
        )
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


@pytest.mark.parametrize("part", PARTS.values(), ids=PARTS)
def test_dockerfile(part: Part) -> None:
    assert dockerfile_problems(part, dockerfile()) == []


@pytest.mark.parametrize("part", PARTS.values(), ids=PARTS)
def test_uvicorn_reads_its_options_from_the_image_environment(part: Part) -> None:
    env = image_env(_instructions(_with_args(dockerfile(), part.build_args)))
    uvicorn_cli = importlib.import_module("uvicorn.main")
    started: dict[str, Any] = {}
    uvicorn_env = {key: value for key, value in env.items() if key.startswith("UVICORN_")}
    with (
        mock.patch.dict(os.environ, uvicorn_env),
        mock.patch.object(uvicorn_cli, "run", lambda app, **kw: started.update(app=app, **kw)),
    ):
        uvicorn_cli.main.main(args=[], standalone_mode=False)
    assert started["app"] == f"{part.name}.main:create_app" and started["factory"] is True
    assert (started["host"], started["port"]) == ("0.0.0.0", part.port)  # noqa: S104
    assert started["proxy_headers"] is part.proxy_headers and started["server_header"] is False


def test_every_part_builds_from_the_one_dockerfile() -> None:
    assert [
        part.name for part in PARTS.values() if (ROOT / part.folder / "Dockerfile").exists()
    ] == []
    services = load_compose(compose_text())["services"]
    images = {name: service for name, service in services.items() if "build" in service}
    assert sorted(images) == sorted([*PARTS, *(f"migrate-{part.name}" for part in SERVICES)])
    for name, service in images.items():
        part = PARTS[name.removeprefix("migrate-")]
        assert service["build"] == {"context": ".", "args": part.build_args}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("USER 10001:10001", "USER root"),
        ("EXPOSE ${PORT}", "EXPOSE 8000"),
        ("/healthz", "/health"),
        ("ARG PYTHON_IMAGE=python:3.11-slim", "ARG PYTHON_IMAGE=python:3.11"),
        ("UVICORN_APP=${APP}.main", "UVICORN_APP=gateway.main"),
        ("UVICORN_PROXY_HEADERS=${PROXY_HEADERS}", "UVICORN_PROXY_HEADERS=false"),
        ('CMD ["uvicorn"]', 'CMD ["uvicorn", "--workers", "4"]'),
        ("COPY ${PART} /src/${PART}", "COPY services/audit /src/services/audit"),
    ],
)
def test_dockerfile_check_catches_a_broken_copy(old: str, new: str) -> None:
    part = PARTS["linkage"]
    assert old in dockerfile()
    assert dockerfile_problems(part, dockerfile().replace(old, new))


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".hdh", ".env", "**/tests"} <= set(ignored)


def test_keycloak_realm_export_is_the_one_compose_and_the_chart_name() -> None:
    realm = json.loads((ROOT / "gateway" / "keycloak" / "realm-hdh.json").read_text())["realm"]
    gateway = load_compose(compose_text())["services"]["gateway"]["environment"]
    assert _interpolated(gateway["HDH_OIDC_ISSUER"]).endswith(f"/realms/{realm}")
    assert load_values()["external"]["oidc"]["issuer"].endswith(f"/realms/{realm}")


# ------------------------------------------------------------------ helm/hdh: notebook sessions


def _policy_of(component: str) -> str:
    chunks = template_texts()["networkpolicy.yaml"].split("\n---\n")
    (chunk,) = [c for c in chunks if f'include "hdh.partName" ${component} ' in c]
    return chunk


def test_notebook_sessions_reach_only_the_workspace_the_object_store_and_their_hub() -> None:
    policy = _policy_of("sessions")
    document = yaml.safe_load(strip_templates(policy))
    assert document["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert len(document["spec"]["egress"]) == 3
    egress = policy.split("\n  egress:\n", 1)[1]
    assert sorted(re.findall(r"port: \{\{ (\S+) \}\}", egress)) == [
        "$jh.hub.port",
        "$values.external.s3.port",
        "$values.parts.workspace.port",
    ]
    assert egress.count("networkPolicyPeers") == 1 and "external.s3.networkPolicyPeers" in egress
    hub_config = (CHART / "files" / "jupyterhub" / "jupyterhub_config.py").read_text()
    assert '"app.kubernetes.io/component": "notebook-session"' in hub_config
    whole = template_texts()["networkpolicy.yaml"]
    assert '$sessions := dict "root" . "name" "notebook-session"' in whole


def test_the_hub_template_references_its_secrets_and_the_shared_configuration() -> None:
    source = template_texts()["jupyterhub.yaml"]
    for file in ("jupyterhub_config.py", "hdh_hub.py"):
        assert f'.Files.Get "files/jupyterhub/{file}"' in source
        assert (CHART / "files" / "jupyterhub" / file).exists()
    values = load_values()["jupyterhub"]
    for name in ("workspaceToken", "proxyToken", "cookieSecret"):
        assert f"$hubValues.secrets.{name}.name" in source, name
        assert set(values["secrets"][name]) == {"name", "key"}
    assert "$hubValues.hub.oidcClientSecret.name" in source


def test_chart_archives_the_database_continuously_and_copies_the_object_store() -> None:
    """backup.enabled: pgBackRest base backups (full, differential) of the external server,
    whose WAL its archive_command pushes, and the buckets synced to the backup S3."""
    documents = rendered_documents()
    jobs = [
        d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for d in documents
        if d["kind"] == "CronJob"
    ]
    assert len(jobs) == 2  # pgbackrest (full and diff, one range), objects-sync
    containers = [c for pod in jobs for c in pod["containers"]]
    pgbackrest = [c for c in containers if c["name"] == "pgbackrest"]
    assert pgbackrest and pgbackrest[0]["args"][0] == "pgbackrest"
    assert pgbackrest[0]["args"][-1] == "backup"
    env = {item["name"]: item for c in containers for item in c["env"]}
    assert env["PGBACKREST_PG1_HOST_TYPE"]["value"] == "tls"
    assert env["PGBACKREST_REPO1_TYPE"]["value"] == "s3"
    for name in ("PGBACKREST_REPO1_S3_KEY_SECRET", "RCLONE_CONFIG_COPY_SECRET_ACCESS_KEY"):
        assert "secretKeyRef" in env[name]["valueFrom"]
    assert all(not pod["automountServiceAccountToken"] for pod in jobs)
    values = load_values()
    assert values["backup"]["enabled"] is False  # opt-in: it needs the server's side too
    policies = [d for d in documents if d["kind"] == "NetworkPolicy"]
    assert any(p["metadata"]["name"].endswith("-backup") for p in policies)
    broken = load_values()
    broken["backup"]["objects"]["buckets"] = ["Not_A_Bucket"]
    assert values_problems(broken)
