"""The deployment files, checked where no Docker engine and no Helm binary run.

docker-compose.yml, helm/hdh and the Dockerfile are parsed and compared with the parts'
own settings classes: a variable, a port or an image that drifts from the code fails here.
Each check is a function returning the problems it finds, so the tests below also feed it a
broken copy and expect a complaint (a check that passes everything proves nothing).

The values are checked here against the parts; the chart itself is rendered, linted and its
manifests validated by the real tools in tests/test_chart.py. Starting the containers and
applying the chart are for a machine with Docker and a cluster (see the README).
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
    ]


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
        (("parts", "catalog", "s3Credentials", "secretKey"), "inlined-secret"),
    ],
)
def test_values_check_catches_a_broken_copy(path: tuple[Any, ...], value: Any) -> None:
    values = load_values()
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert values_problems(values)


# ------------------------------------------------------------------ Dockerfiles


def dockerfile_problems(part: Part, text: str) -> list[str]:
    """The problems of the Dockerfile's image of ``part``, built with its build args."""
    instructions = _instructions(_with_args(text, part.build_args))
    problems = []
    stages = [args for op, args in instructions if op == "FROM"]
    if len(stages) < 2 or not re.search(
        r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?\n", text
    ):
        problems.append("not a multi-stage build on a pinned python:3.11.<patch>-slim-<suite>")
    if "-c /src/constraints.txt" not in text or "COPY constraints.txt" not in text:
        problems.append("does not install with the lock (pip -c constraints.txt)")
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
    spark = {name for name, service in images.items() if service.get("profiles") == ["spark"]}
    assert sorted(set(images) - spark) == sorted(
        [*PARTS, *(f"migrate-{part.name}" for part in SERVICES)]
    )
    for name in set(images) - spark:
        part = PARTS[name.removeprefix("migrate-")]
        assert images[name]["build"] == {"context": ".", "args": part.build_args}
    assert spark == {"spark-master", "spark-worker"}  # the linkage image's `spark` stage
    for name in spark:
        build = images[name]["build"]
        assert build["target"] == "spark" and build["context"] == "."
        assert build["args"] | {"COMMON_EXTRAS": ""} == PARTS["linkage"].build_args | {
            "COMMON_EXTRAS": ""
        }


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("USER 10001:10001", "USER root"),
        ("EXPOSE ${PORT}", "EXPOSE 8000"),
        ("/healthz", "/health"),
        ("ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm", "ARG PYTHON_IMAGE=python:3.11-slim"),
        ("pip install -c /src/constraints.txt", "pip install"),
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
    realm = json.loads((ROOT / "gateway" / "keycloak" / "demo" / "realm-hdh.json").read_text())[
        "realm"
    ]
    gateway = load_compose(compose_text())["services"]["gateway"]["environment"]
    assert _interpolated(gateway["HDH_OIDC_ISSUER"]).endswith(f"/realms/{realm}")
    assert load_values()["external"]["oidc"]["issuer"].endswith(f"/realms/{realm}")


# ------------------------------------------------------------------ helm/hdh: notebook sessions
