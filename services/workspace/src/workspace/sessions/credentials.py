"""A session's S3 credentials: STS AssumeRole with a session policy that lets them read the
objects of the project's live grants and nothing else, each grant until its own end, and
expire with the session (STS keeps at least 15 minutes: the policy's time condition ends a
grant's objects at its end to the second)."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import httpx
from minio.credentials.credentials import Credentials
from minio.helpers import sha256_hash
from minio.signer import sign_v4_sts
from minio.time import to_amz_date

from hdh_common.errors import ServiceUnavailable
from hdh_common.tracing import Tracing

STS_SHORTEST = timedelta(minutes=15)
STS_NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


class CredentialsUnavailable(ServiceUnavailable):
    slug, title = "credentials-unavailable", "Session credentials could not be issued"


@dataclass(frozen=True)
class GrantPrefix:
    grant_id: uuid.UUID
    prefix: str
    ends_at: datetime


@dataclass(frozen=True)
class SessionCredentials:
    access_key: str
    secret_key: str
    session_token: str
    expires_at: datetime


def grant_prefix(project_id: uuid.UUID, grant_id: uuid.UUID) -> str:
    """Where the linkage service writes a grant's extract in the projects bucket."""
    return f"{project_id}/grants/{grant_id}/"


def session_policy(bucket: str, grants: list[GrantPrefix]) -> dict[str, Any]:
    """Read-only, on the grants' prefixes, each until its grant ends."""
    statements: list[dict[str, Any]] = []
    for grant in grants:
        until = {"DateLessThan": {"aws:CurrentTime": _iso(grant.ends_at)}}
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/{grant.prefix}*"],
                "Condition": until,
            }
        )
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [f"{grant.prefix}*"]}} | until,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def duration(*, now: datetime, longest: timedelta, grants: list[GrantPrefix]) -> timedelta:
    """The session's life: its longest, cut at the last grant's end (STS's shortest at least)."""
    last_end = max(g.ends_at for g in grants)
    return max(STS_SHORTEST, min(longest, last_end - now))


class CredentialIssuer:
    """Asks the STS API for temporary credentials, signing as the workspace's own S3 user."""

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        region: str,
        role_arn: str,
        timeout: float,
        tracing: Tracing,
    ) -> None:
        self._endpoint = endpoint
        self._keys = (access_key, secret_key)
        self._region = region
        self._role_arn = role_arn
        self._http = tracing.client(timeout=timeout)

    async def issue(
        self, *, name: str, policy: dict[str, Any], lifetime: timedelta
    ) -> SessionCredentials:
        form = {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "DurationSeconds": str(int(lifetime.total_seconds())),
            "RoleSessionName": name[:64],
            "Policy": json.dumps(policy, separators=(",", ":")),
        }
        if self._role_arn:
            form["RoleArn"] = self._role_arn
        body = urlencode(form)
        if not all(self._keys):
            raise CredentialsUnavailable("This service has no S3 keys to ask for credentials.")
        try:
            answer = await self._http.post(self._endpoint, content=body, headers=self._sign(body))
            answer.raise_for_status()
            return _parse(answer.text)
        except (httpx.HTTPError, ElementTree.ParseError, AttributeError, ValueError) as exc:
            raise CredentialsUnavailable(
                f"The object store issued no session credentials ({type(exc).__name__})."
            ) from exc

    def _sign(self, body: str) -> dict[str, str]:
        url = urlsplit(self._endpoint)
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": url.netloc,
            "X-Amz-Date": to_amz_date(now),
        }
        signed = sign_v4_sts(
            method="POST",
            url=url,
            region=self._region,
            headers=dict(headers),
            credentials=Credentials(access_key=self._keys[0], secret_key=self._keys[1]),
            content_sha256=sha256_hash(body),
            date=now,
        )
        return {k: str(v) for k, v in signed.items()}

    async def aclose(self) -> None:
        await self._http.aclose()


def _parse(xml: str) -> SessionCredentials:
    root = ElementTree.fromstring(xml)  # noqa: S314 (the configured STS API's answer)
    found = root.find("sts:AssumeRoleResult/sts:Credentials", STS_NS)
    if found is None:
        raise ValueError("no credentials in the STS answer")

    def text(name: str) -> str:
        return str(found.findtext(f"sts:{name}", namespaces=STS_NS) or "")

    expires = datetime.fromisoformat(text("Expiration").replace("Z", "+00:00"))
    return SessionCredentials(
        access_key=text("AccessKeyId"),
        secret_key=text("SecretAccessKey"),
        session_token=text("SessionToken"),
        expires_at=expires if expires.tzinfo else expires.replace(tzinfo=UTC),
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
