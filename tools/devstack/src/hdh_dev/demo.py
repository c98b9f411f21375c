"""``make demo``: the whole journey through the gateway, as the demo accounts.

With the platform up (``make up``), a producer registers a dataset from the SNDS schemas and
uploads a generated file; it is validated and pseudonymised; a researcher files a request
for some of its variables; it goes through hub staff, the committee, the regulator and the
agreement; the grant produces the project's extract; the researcher sees it listed but
cannot download it (row-level data stays in the project space); the auditor finds the
project's trail and verifies an inclusion and a consistency proof against signed tree heads.
Each step is printed with its result; the first that fails stops the demo with exit code 1.
The end-to-end test runs the same :class:`Journey`.
"""

import argparse
import hashlib
import io
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow.csv as pa_csv

from audit.canonical import canonical_json
from audit.merkle.verify import ProofError, verify_consistency, verify_inclusion
from audit.verifier.checks import check_head, public_keys

SNDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "snds"
TABLE = "IR_BEN_R"
ASKED = {
    "BEN_NIR_PSA": "Chaîner les soins d'un même bénéficiaire.",
    "BEN_NAI_ANN": "Ajuster sur l'âge.",
    "BEN_SEX_COD": "Ajuster sur le sexe.",
    "BEN_RES_DPT": "Décrire la répartition géographique.",
}
ROWS = 2_000
PDF = b"%PDF-1.4\n% demo document\n%%EOF\n"
WEB_CLIENT = "hdh-web"
ROW_LEVEL_REFUSED = "/problems/row-level-data-stays-inside"


class JourneyFailed(Exception):
    """A step did not give what it should: the message says which and why."""


class Broken(JourneyFailed):
    """A failure that waiting longer cannot mend (a job failed)."""


@dataclass
class Journey:
    """The journey, step by step, against a running gateway."""

    gateway: str
    snds: Path = SNDS
    timeout: float = 120.0
    say: Callable[[str], None] = print
    asked: dict[str, str] = field(default_factory=lambda: dict(ASKED))
    """The variables requested, each with its justification."""
    client: httpx.Client = field(init=False)
    tokens: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.gateway, timeout=30.0)

    # -- plumbing ---------------------------------------------------------------------------

    def login(self, username: str) -> None:
        response = self.client.post(
            "/idp/token",
            data={
                "grant_type": "password",
                "client_id": WEB_CLIENT,
                "username": username,
                "password": username,
            },
        )
        self.expect(response, 200, f"log in as {username}")
        self.tokens[username] = response.json()["access_token"]

    def call(
        self, user: str, method: str, path: str, expected: int = 200, **kwargs: Any
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {}) | {"Authorization": f"Bearer {self.tokens[user]}"}
        response = self.client.request(method, path, headers=headers, **kwargs)
        self.expect(response, expected, f"{user}: {method} {path}")
        return response

    @staticmethod
    def expect(response: httpx.Response, status: int, what: str) -> None:
        if response.status_code != status:
            raise JourneyFailed(
                f"{what} answered {response.status_code}, expected {status}: {response.text[:500]}"
            )

    def wait(self, what: str, check: Callable[[], Any], *, timeout: float | None = None) -> Any:
        """Poll ``check`` until it returns something true; its last error explains a timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        last = "never true"
        while time.monotonic() < deadline:
            try:
                result = check()
            except Broken:
                raise
            except JourneyFailed as error:
                result, last = None, str(error)
            if result:
                return result
            time.sleep(0.5)
        raise JourneyFailed(f"{what}: not done after {timeout or self.timeout:.0f} s ({last})")

    def step(self, title: str, action: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            result = action()
        except JourneyFailed as error:
            self.say(f"  FAIL {title}: {error}")
            raise
        self.say(f"  ok   {title} ({time.monotonic() - started:.1f} s): {result}")

    # -- the journey ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.say(f"Health Data Hub journey through {self.gateway}")
        self.step("every demo account logs in", self.log_in_everyone)
        self.step("the auditor saves the signed tree head", self.first_tree_head)
        self.step("a producer registers a dataset from the SNDS schemas", self.register)
        self.step("the producer uploads a generated file", self.upload)
        self.step("the version is pseudonymised into the central zone", self.pseudonymised)
        self.step("a researcher files a request for some variables", self.file_request)
        self.step("staff ask for information, the researcher answers", self.information)
        self.step("staff declare it admissible, the committee is favourable", self.committee)
        self.step("the regulator authorises; the register shows the project", self.regulator)
        self.step("the data-use agreement is signed; preparation starts", self.agreement)
        self.step("the grant produces the extract; the request is active", self.active)
        self.step(
            "the researcher lists the extract; its download is refused "
            "(row-level data stays in the project space)",
            self.extract,
        )
        self.step("the auditor finds the project's trail", self.trail)
        self.step("the auditor verifies an inclusion proof", self.inclusion)
        self.step("the auditor verifies a consistency proof", self.consistency)
        self.say("journey complete")
        return self.facts

    def log_in_everyone(self) -> str:
        for user in ("paul", "alice", "sara", "carl", "rita", "odile"):
            self.login(user)
        return "paul, alice, sara, carl, rita, odile"

    def signed_head(self) -> dict[str, Any]:
        head: dict[str, Any] = self.call("odile", "GET", "/audit/tree-head").json()
        keys = public_keys(self.call("odile", "GET", "/audit/keys").json())
        verdict = check_head(head, keys)
        if not verdict.ok:
            raise JourneyFailed(verdict.message)
        return head

    def first_tree_head(self) -> str:
        head = self.wait("a tree head with entries", lambda: self._non_empty(self.signed_head()))
        self.facts["first_head"] = head
        return f"size {head['tree_size']}, root {head['root_hash'][:16]}…, signature valid"

    @staticmethod
    def _non_empty(head: dict[str, Any]) -> dict[str, Any] | None:
        return head if head["tree_size"] > 0 else None

    def register(self) -> str:
        suffix = uuid.uuid4().hex[:6]
        body = {
            "slug": f"snds-beneficiaires-{suffix}",
            "title": f"Référentiel des bénéficiaires (démo {suffix})",
            "description": "Bénéficiaires de l'Assurance maladie, démographie.",
            "publisher": "aphp",
            "themes": ["HEAL"],
            "keywords": ["bénéficiaires", "démographie"],
        }
        dataset = self.call("paul", "POST", "/catalog/datasets", 201, json=body).json()
        schema = self.schema()
        self.call(
            "paul",
            "POST",
            "/catalog/import/table-schema",
            params={"dataset_id": dataset["id"]},
            json=schema,
        ).json()
        self.facts["dataset_id"] = dataset["id"]
        fields = len(schema["fields"])
        return f"dataset {dataset['slug']} ({dataset['id']}), table {TABLE}: {fields} variables"

    def schema(self) -> dict[str, Any]:
        """The Table Schema the producer registers (the SNDS one)."""
        schema: dict[str, Any] = json.loads(
            next(self.snds.glob(f"schemas/*/{TABLE}.json")).read_text()
        )
        return schema

    def sample(self, dataset_id: str) -> bytes:
        """The file the producer uploads: a synthetic sample the catalogue generates."""
        return self.call(
            "paul",
            "GET",
            f"/catalog/datasets/{dataset_id}/tables/{TABLE}/sample",
            params={"rows": ROWS, "format": "csv", "seed": 7},
        ).content

    def upload(self) -> str:
        dataset_id = self.facts["dataset_id"]
        sample = self.sample(dataset_id)
        self.facts["uploaded"] = pa_csv.read_csv(io.BytesIO(sample)).to_pydict()
        base = f"/catalog/datasets/{dataset_id}/uploads"
        body = {"table": TABLE, "size": len(sample), "sha256": hashlib.sha256(sample).hexdigest()}
        upload = self.call("paul", "POST", base, 201, json=body).json()
        half = len(sample) // 2
        for number, part in enumerate((sample[:half], sample[half:]), start=1):
            self.call(
                "paul",
                "PUT",
                f"{base}/{upload['id']}/parts/{number}",
                content=part,
                headers={"X-Part-SHA256": hashlib.sha256(part).hexdigest()},
            )
        version = self.call("paul", "POST", f"{base}/{upload['id']}/complete", 202).json()
        if version["status"] != "validated":
            raise JourneyFailed(f"the file was {version['status']}: {version}")
        self.facts["version_id"] = version["id"]
        return f"{len(sample):,} bytes in 2 parts, version {version['number']} validated"

    def pseudonymised(self) -> str:
        def job() -> dict[str, Any] | None:
            params = {"version_id": self.facts["version_id"], "kind": "pseudonymise", "limit": 1}
            newest = self.call("sara", "GET", "/linkage/jobs", params=params).json()["items"]
            if not newest:
                return None
            [found] = newest
            if found["state"] == "failed":
                raise Broken(f"pseudonymisation failed: {found['error']}")
            return found if found["state"] == "succeeded" else None

        done = self.wait("pseudonymisation", job)
        report = self.call("sara", "GET", f"/linkage/jobs/{done['id']}/report").json()
        return f"{report['rows_in']:,} rows, key version {report['key_version']}"

    def file_request(self) -> str:
        project = self.call(
            "alice",
            "POST",
            "/access/projects",
            201,
            json={
                "title": "Parcours de soins des bénéficiaires",
                "summary": "Démographie des bénéficiaires et recours aux soins.",
                "purpose": "Décrire la population couverte.",
                "public_interest": "Planifier l'offre de soins.",
                "organisation": "inserm",
            },
        ).json()
        body = {
            "project_id": project["id"],
            "datasets": [
                {
                    "dataset_id": self.facts["dataset_id"],
                    "variables": [
                        {"table": TABLE, "name": name, "justification": why}
                        for name, why in self.asked.items()
                    ],
                }
            ],
            "period_start": "2019-01-01",
            "period_end": "2023-12-31",
            "expected_duration_months": 12,
            "legal_basis": {"kind": "cnil_authorisation"},
        }

        def filed() -> dict[str, Any] | None:
            # the catalogue's events reach the access service a moment after the import
            response = self.client.post("/access/requests", json=body, headers=self.bearer("alice"))
            if response.status_code == 422 and "catalog" in response.text.lower():
                return None
            self.expect(response, 201, "alice: POST /access/requests")
            result: dict[str, Any] = response.json()
            return result

        request = self.wait("the request, once the catalogue is known to access", filed)
        self.facts |= {"project_id": project["id"], "request_id": request["id"]}
        for kind in ("protocol", "data_management_plan"):
            self.document("alice", kind)
        self.transition("alice", "submit")
        return f"project {project['id']}, request {request['id']}: {len(self.asked)} variables"

    def bearer(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def document(self, user: str, kind: str) -> dict[str, Any]:
        response = self.call(
            user,
            "POST",
            f"/access/requests/{self.facts['request_id']}/documents",
            201,
            params={"kind": kind, "filename": f"{kind}.pdf"},
            content=PDF,
            headers={"Content-Type": "application/pdf"},
        )
        result: dict[str, Any] = response.json()
        return result

    def transition(self, user: str, name: str, reason: str | None = None) -> dict[str, Any]:
        url = f"/access/requests/{self.facts['request_id']}"
        version = self.call(user, "GET", url).json()["version"]
        body: dict[str, Any] = {"transition": name, "version": version}
        if reason:
            body["reason"] = reason
        result: dict[str, Any] = self.call(user, "POST", f"{url}/transitions", json=body).json()
        return result

    def record(self, user: str, what: str, body: dict[str, Any]) -> None:
        self.call(
            user, "POST", f"/access/requests/{self.facts['request_id']}/{what}", 201, json=body
        )

    def information(self) -> str:
        self.transition("sara", "request_info", "Quelles années de naissance sont étudiées ?")
        url = f"/access/requests/{self.facts['request_id']}/messages"
        self.call("alice", "POST", url, 201, json={"body": "Toutes, de 1920 à 2023."})
        state = self.transition("alice", "resubmit")["state"]
        return f"2 messages in the thread, request {state}"

    def committee(self) -> str:
        self.transition("sara", "declare_admissible")
        self.transition("sara", "refer_to_committee")
        opinion = {
            "outcome": "favourable",
            "reference": "CESREES-2026-118",
            "decided_on": time.strftime("%Y-%m-%d"),
            "text": "Protocole solide, minimisation respectée.",
        }
        self.record("carl", "opinions", opinion)
        state = self.transition("sara", "forward_to_regulator")["state"]
        return f"favourable opinion recorded, request {state}"

    def regulator(self) -> str:
        decision = {
            "outcome": "authorised",
            "reference": "DR-2026-0427",
            "decided_on": time.strftime("%Y-%m-%d"),
        }
        self.record("rita", "decisions", decision)
        state = self.transition("rita", "authorise")["state"]
        register = self.client.get("/access/register", params={"limit": 100}).json()["items"]
        listed = [e for e in register if e["request_id"] == self.facts["request_id"]]
        if not listed:
            raise JourneyFailed("the authorised project is not in the public register")
        return f"request {state}, register entry {listed[0]['status']}"

    def agreement(self) -> str:
        document = self.document("sara", "signed_agreement")
        agreement = {
            "kind": "data_use_agreement",
            "reference": "DUA-2026-0427",
            "signed_on": time.strftime("%Y-%m-%d"),
            "document_id": document["id"],
        }
        self.record("sara", "agreements", agreement)
        self.transition("sara", "sign_agreement")
        state = self.transition("sara", "start_preparation")["state"]
        return f"request {state}"

    def active(self) -> str:
        url = f"/access/requests/{self.facts['request_id']}"

        def activated() -> dict[str, Any] | None:
            request: dict[str, Any] = self.call("alice", "GET", url).json()
            return request if request["state"] == "active" else None

        self.wait("the extract and the request's activation", activated)
        grants = self.call("alice", "GET", "/access/grants").json()["items"]
        [grant] = [g for g in grants if g["request_id"] == self.facts["request_id"]]
        self.facts["grant_id"] = grant["id"]
        return f"grant {grant['id']} until {grant['expires_on']}"

    def extract(self) -> str:
        project = self.facts["project_id"]
        params = {"project": project}
        files = self.call("alice", "GET", "/linkage/extracts", params=params).json()["items"]
        if len(files) != 1:
            raise JourneyFailed(f"expected one extract file, got {files}")
        [extract] = files
        if sorted(extract["columns"]) != sorted(self.asked):
            raise JourneyFailed(
                f"the extract holds {extract['columns']}, granted {list(self.asked)}"
            )
        url = f"/linkage/extracts/{extract['id']}/download"
        refused = self.call("alice", "GET", url, 403).json()
        if refused["type"] != ROW_LEVEL_REFUSED:
            raise JourneyFailed(f"the download was refused as {refused['type']}")
        self.facts["extract"] = extract
        return (
            f"{extract['rows']:,} rows x {len(extract['columns'])} columns (only the granted "
            f"ones), key version {extract['key_version']}; download: 403 {refused['type']}"
        )

    def trail(self) -> str:
        project = self.facts["project_id"]

        def entries() -> list[dict[str, Any]] | None:
            page = self.call(
                "odile", "GET", "/audit/entries", params={"project": project, "limit": 100}
            ).json()
            items: list[dict[str, Any]] = page["items"]
            actions = {e["entry"]["action"] for e in items}
            return items if "hdh.linkage.extract.completed.v1" in actions else None

        found = self.wait("the extract in the audit trail", entries)
        self.facts["entries"] = found
        actions = sorted({e["entry"]["action"].split(".")[2] for e in found})
        return f"{len(found)} entries ({', '.join(actions)})"

    def inclusion(self) -> str:
        entry = self.facts["entries"][-1]
        index = entry["leaf_index"]
        head = self.wait(
            "a signed tree head covering the entry",
            lambda: (h := self.signed_head())["tree_size"] > index and h,
        )
        proof = self.call(
            "odile",
            "GET",
            "/audit/proofs/inclusion",
            params={"leaf_index": index, "tree_size": head["tree_size"]},
        ).json()
        leaf = hashlib.sha256(b"\x00" + canonical_json(entry["entry"])).digest()
        if leaf.hex() != proof["leaf_hash"]:
            raise JourneyFailed("the entry does not hash to the proof's leaf")
        try:
            verify_inclusion(
                index=index,
                size=head["tree_size"],
                leaf=leaf,
                proof=[bytes.fromhex(h) for h in proof["hashes"]],
                root=bytes.fromhex(head["root_hash"]),
            )
        except ProofError as error:
            raise JourneyFailed(f"inclusion proof refused: {error}") from error
        self.facts["last_head"] = head
        action = entry["entry"]["action"]
        return f"{action} at leaf {index} is in the tree of size {head['tree_size']}"

    def consistency(self) -> str:
        first, second = self.facts["first_head"], self.facts["last_head"]
        proof = self.call(
            "odile",
            "GET",
            "/audit/proofs/consistency",
            params={"first": first["tree_size"], "second": second["tree_size"]},
        ).json()
        try:
            verify_consistency(
                first=first["tree_size"],
                second=second["tree_size"],
                first_root=bytes.fromhex(first["root_hash"]),
                second_root=bytes.fromhex(second["root_hash"]),
                proof=[bytes.fromhex(h) for h in proof["hashes"]],
            )
        except ProofError as error:
            raise JourneyFailed(f"consistency proof refused: {error}") from error
        return (
            f"the log of size {second['tree_size']} extends the one of size "
            f"{first['tree_size']} saved at the start, nothing rewritten"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateway", default="http://localhost:8000")
    parser.add_argument("--snds", type=Path, default=SNDS, help="The SNDS reference folder.")
    args = parser.parse_args(argv)
    try:
        Journey(args.gateway, snds=args.snds).run()
    except JourneyFailed:
        return 1
    except httpx.TransportError as error:
        print(
            f"  FAIL the gateway at {args.gateway} is unreachable ({error}); is `make up` running?"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
