"""Least privilege on object storage: one S3 identity per service, each with its policy.

A contract test: deploy/minio/policies/<service>.json are evaluated by a small evaluator of
the IAM policy language (Allow/Deny statements, `*` and `?` wildcards in actions and
resources; an explicit Deny wins, nothing allowed is denied), the subset MinIO and AWS agree
on. The buckets the code names are checked against the policies, and compose and the chart
against giving each service its own identity.
"""

import fnmatch
import json
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from access.config import Settings as AccessSettings
from catalog.config import Settings as CatalogSettings
from linkage.extracts.service import PROJECTS
from linkage.jobs.execute import CENTRAL_BUCKET
from workspace.analyses.runner import BUCKET as WORKSPACE_BUCKET

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "deploy" / "minio" / "policies"
STORAGE_SERVICES = ("catalog", "access", "linkage", "workspace")
READ, WRITE, DELETE = "s3:GetObject", "s3:PutObject", "s3:DeleteObject"
LANDING = CatalogSettings.model_fields["catalog_landing_bucket"].default
DOCUMENTS = AccessSettings.model_fields["documents_bucket"].default


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _matches(patterns: str | list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in _listed(patterns))


def allowed(policy: dict[str, Any], action: str, bucket: str, key: str | None = None) -> bool:
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    effects = {
        statement["Effect"]
        for statement in policy["Statement"]
        if _matches(statement["Action"], action) and _matches(statement["Resource"], resource)
    }
    return "Allow" in effects and "Deny" not in effects


@cache
def policy(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((POLICIES / f"{service}.json").read_text())
    return document


def test_every_policy_is_a_versioned_iam_document_without_wildcard_resources() -> None:
    assert sorted(path.stem for path in POLICIES.glob("*.json")) == sorted(STORAGE_SERVICES)
    for service in STORAGE_SERVICES:
        document = policy(service)
        assert document["Version"] == "2012-10-17"
        for statement in document["Statement"]:
            assert statement["Effect"] in ("Allow", "Deny")
            assert all(
                action.startswith("s3:") and action != "s3:*" for action in statement["Action"]
            )
            assert all(
                r.startswith("arn:aws:s3:::") and r != "arn:aws:s3:::*"
                for r in statement["Resource"]
            )


def test_the_catalogue_writes_landing_and_cannot_read_central() -> None:
    catalog = policy("catalog")
    assert allowed(catalog, WRITE, LANDING, "uploads/u1/part-1")
    assert allowed(catalog, READ, LANDING, "uploads/u1/part-1")
    for bucket in (CENTRAL_BUCKET, PROJECTS, DOCUMENTS):
        assert not allowed(catalog, READ, bucket, "datasets/d/versions/v/data.parquet")
        assert not allowed(catalog, "s3:ListBucket", bucket)


def test_only_the_linkage_reads_landing_besides_the_catalogue_and_only_it_writes_central() -> None:
    linkage = policy("linkage")
    assert allowed(linkage, READ, LANDING, "uploads/u1/data.parquet")
    assert not allowed(linkage, WRITE, LANDING, "uploads/u1/data.parquet")
    assert not allowed(linkage, DELETE, LANDING, "uploads/u1/data.parquet")
    # a project's own file: the linkage service deletes it once it has handled it
    assert allowed(linkage, DELETE, LANDING, "projects/p1/u1.parquet")
    assert not allowed(linkage, WRITE, LANDING, "projects/p1/u1.parquet")
    assert allowed(linkage, WRITE, CENTRAL_BUCKET, "datasets/d/versions/v/data.parquet")
    assert allowed(linkage, WRITE, PROJECTS, "p1/extracts/g/t.parquet")
    readers = {s for s in STORAGE_SERVICES if allowed(policy(s), READ, LANDING, "x")}
    writers = {s for s in STORAGE_SERVICES if allowed(policy(s), WRITE, CENTRAL_BUCKET, "x")}
    assert readers == {"catalog", "linkage"} and writers == {"linkage"}


def test_the_workspace_reads_projects_and_writes_only_analyses() -> None:
    workspace = policy("workspace")
    assert allowed(workspace, READ, WORKSPACE_BUCKET, "p1/extracts/g/t.parquet")
    assert allowed(workspace, WRITE, WORKSPACE_BUCKET, "p1/analyses/a1/result.parquet")
    assert allowed(workspace, DELETE, WORKSPACE_BUCKET, "p1/analyses/a1/result.parquet")
    assert not allowed(workspace, WRITE, WORKSPACE_BUCKET, "p1/extracts/g/t.parquet")
    for bucket in (LANDING, CENTRAL_BUCKET, DOCUMENTS):
        assert not allowed(workspace, READ, bucket, "anything")


def test_access_documents_are_the_access_service_s_alone() -> None:
    owners = {s for s in STORAGE_SERVICES if allowed(policy(s), READ, DOCUMENTS, "r/doc.pdf")}
    assert owners == {"access"}


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]},
        {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::central/*"]},
    ],
)
def test_the_evaluator_sees_a_widened_policy(statement: dict[str, Any]) -> None:
    widened = {**policy("catalog"), "Statement": [*policy("catalog")["Statement"], statement]}
    assert allowed(widened, READ, CENTRAL_BUCKET, "datasets/d/data.parquet")
    denied = {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::central/*"]}
    narrowed = {**widened, "Statement": [*widened["Statement"], denied]}
    assert not allowed(narrowed, READ, CENTRAL_BUCKET, "datasets/d/data.parquet")


# ------------------------------------------------------------------ compose and the chart


@cache
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_compose_gives_each_service_its_own_minio_user_and_policy() -> None:
    services = compose()["services"]
    job = services["minio-buckets"]
    script = job["command"][0]
    assert "/policies" in str(job["volumes"]) and "deploy/minio/policies" in str(job["volumes"])
    assert "mc admin policy create" in script and "readwrite" not in script
    for name in STORAGE_SERVICES:
        assert name in script.split("for service in", 1)[1].split(";", 1)[0]
        env = services[name]["environment"]
        assert f"${{{name.upper()}_S3_ACCESS_KEY:?" in env["HDH_S3_ACCESS_KEY"]
        assert f"{name.upper()}_S3_ACCESS_KEY" in job["environment"]
    for name in ("audit", "gateway"):
        assert "HDH_S3_ACCESS_KEY" not in services[name]["environment"]


def test_the_chart_takes_one_s3_secret_per_service() -> None:
    with helm.Chart.load(ROOT / "helm" / "hdh") as chart:
        manifests = chart.render({}, name="hdh", namespace="hdh", is_install=True)
    deployments = [d for d in yaml.safe_load_all(manifests["hdh/templates/deployment.yaml"]) if d]
    secrets = {}
    for deployment in deployments:
        part = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {item["name"]: item for item in container["env"]}
        if "HDH_S3_ACCESS_KEY" in env:
            secrets[part] = env["HDH_S3_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"]
    assert sorted(secrets) == sorted(STORAGE_SERVICES)
    assert len(set(secrets.values())) == len(STORAGE_SERVICES)
