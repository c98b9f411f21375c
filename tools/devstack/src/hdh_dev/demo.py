"""``make demo``: the whole journey through the gateway, as the demo accounts.

With the platform up (``make up``), a producer registers a dataset from the SNDS schemas
(beneficiaries and their care) and uploads a generated file for each table; they are
validated and pseudonymised; a researcher files a request for some of their variables; it
goes through hub staff, the committee, the regulator and the agreement; the grant produces
the project's extract; the researcher sees it listed but cannot download it (row-level data
stays in the project space); in the project space she asks for persons and spending by sex
and birth cohort and gets only safe cells, while another researcher finds no such space;
the auditor finds the project's trail and verifies an inclusion and a consistency proof
against signed tree heads; staff revoke the grant and the next query is refused.
Each step is printed with its result; the first that fails stops the demo with exit code 1.
The end-to-end test runs the same :class:`Journey`.
"""

import argparse
import csv
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
from audit.verifier.checks import check_head, public_keys
from hdh_tlog.merkle import ProofError, verify_consistency, verify_inclusion

SNDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "snds"
TABLE = "IR_BEN_R"
ASKED = {
    "BEN_NIR_PSA": "Chaîner les soins d'un même bénéficiaire.",
    "BEN_NAI_ANN": "Ajuster sur l'âge.",
    "BEN_SEX_COD": "Ajuster sur le sexe.",
    "BEN_RES_DPT": "Décrire la répartition géographique.",
}
CARE = "ER_PRS_F"
CARE_ASKED = {
    "BEN_NIR_PSA": "Rattacher les soins au bénéficiaire.",
    "PRS_PAI_MNT": "Mesurer la dépense.",
}
ROWS = 2_000
CARE_DATE = "EXE_SOI_DTD"
BEFORE = 20
"""Care lines of 2018, before the period asked for: the extract leaves them out."""
OLDEST = 8
"""Persons born in the 1920s in the demo file (4 of each sex): too few to be shown."""
BIG_SPENDER = 10
"""The row of the person whose spending dominates the cell of their sex and cohort."""
BY_COHORT = (
    "SELECT BEN_SEX_COD AS sex, BEN_NAI_ANN // 20 * 20 AS cohort,"
    " count(DISTINCT BEN_NIR_PSA) AS persons FROM IR_BEN_R GROUP BY ALL ORDER BY ALL"
)
BEFORE_AFTER_1960 = (
    "SELECT BEN_SEX_COD AS sex, CASE WHEN BEN_NAI_ANN < 1960 THEN 'before 1960'"
    " ELSE 'from 1960' END AS cohort, count(DISTINCT BEN_NIR_PSA) AS persons"
    " FROM IR_BEN_R GROUP BY ALL ORDER BY ALL"
)
COHORTS = {
    "tables": [TABLE, CARE],
    "group_by": [
        {"table": TABLE, "column": "BEN_SEX_COD"},
        {"table": TABLE, "column": "BEN_NAI_ANN", "bins": {"width": 20}},
    ],
    "measures": [{"kind": "persons"}, {"kind": "sum", "column": "PRS_PAI_MNT"}],
}
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
    """The variables of the beneficiaries' table requested, each with its justification."""
    ends_with_revocation: bool = True
    """Whether the journey ends with the grant's revocation (tests that read on leave it)."""
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
        self.step("the producer uploads a generated file per table", self.upload)
        self.step("the versions are pseudonymised into the central zone", self.pseudonymised)
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
        self.step(
            "in the project space, persons and spending by sex and birth cohort: only safe "
            "cells; another researcher finds no such space",
            self.query,
        )
        self.step(
            "alice saves the table of a free SQL analysis and asks for its release; the "
            "automatic check flags a cell of 4 persons",
            self.release_request,
        )
        self.step(
            "olga and omar reject it with a comment; alice aggregates further and resubmits; "
            "both approve",
            self.release_review,
        )
        self.step(
            "alice downloads the released table, bruno cannot; the public register counts it",
            self.released,
        )
        self.step("the auditor finds the project's trail", self.trail)
        self.step("the auditor verifies an inclusion proof", self.inclusion)
        self.step("the auditor verifies a consistency proof", self.consistency)
        if self.ends_with_revocation:
            self.step("staff revoke the grant; the next query is refused", self.revocation)
        self.say("journey complete")
        return self.facts

    def log_in_everyone(self) -> str:
        users = ("paul", "alice", "bruno", "sara", "carl", "rita", "odile", "olga", "omar")
        for user in users:
            self.login(user)
        return ", ".join(users)

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
        schemas = {TABLE: self.schema(), CARE: self.care_schema()}
        for schema in schemas.values():
            self.call(
                "paul",
                "POST",
                "/catalog/import/table-schema",
                params={"dataset_id": dataset["id"]},
                json=schema,
            )
        self.facts["dataset_id"] = dataset["id"]
        tables = ", ".join(f"{name}: {len(s['fields'])} variables" for name, s in schemas.items())
        return f"dataset {dataset['slug']} ({dataset['id']}), tables {tables}"

    def snds_schema(self, table: str) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads(
            next(self.snds.glob(f"schemas/*/{table}.json")).read_text()
        )
        return schema

    def schema(self) -> dict[str, Any]:
        """The beneficiaries' Table Schema the producer registers (the SNDS one)."""
        return self.snds_schema(TABLE)

    def care_schema(self) -> dict[str, Any]:
        """The care table's SNDS schema, with only the references to a table it sends, and
        its care date declared as its event date: the grant's period applies to it."""
        schema = self.snds_schema(CARE)
        schema["foreignKeys"] = [
            key for key in schema.get("foreignKeys", []) if key["reference"]["resource"] == TABLE
        ]
        schema["eventDates"] = [CARE_DATE]
        return schema

    def generated(self, dataset_id: str, table: str) -> list[dict[str, str]]:
        """A synthetic sample the catalogue generates, as the rows of its CSV."""
        content = self.call(
            "paul",
            "GET",
            f"/catalog/datasets/{dataset_id}/tables/{table}/sample",
            params={"rows": ROWS, "format": "csv", "seed": 7},
        ).text
        return list(csv.DictReader(io.StringIO(content)))

    @staticmethod
    def as_csv(rows: list[dict[str, str]]) -> bytes:
        sink = io.StringIO()
        writer = csv.DictWriter(sink, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return sink.getvalue().encode()

    def sample(self, dataset_id: str) -> bytes:
        """The beneficiaries' file: the catalogue's sample, with both sexes and birth years
        from 1940 on, but for a few persons born in the 1920s."""
        rows = self.generated(dataset_id, TABLE)
        for i, row in enumerate(rows):
            row["BEN_SEX_COD"] = "12"[i % 2]
            row["BEN_NAI_ANN"] = str(1925 + i if i < OLDEST else 1940 + i % 70)
        self.facts["persons"] = [(row["BEN_NIR_PSA"], row["BEN_RNG_GEM"]) for row in rows]
        return self.as_csv(rows)

    def care_sample(self, dataset_id: str) -> bytes:
        """The care file: one line per beneficiary in the period asked for, with modest spending
        but for one person, and a few lines of 2018 the extract leaves out."""
        rows = self.generated(dataset_id, CARE)
        persons = self.facts["persons"]
        for i, row in enumerate(rows):
            row["BEN_NIR_PSA"], row["BEN_RNG_GEM"] = persons[i % len(persons)]
            row["PRS_PAI_MNT"] = "250000.00" if i == BIG_SPENDER else f"{20 + i % 50}.00"
            row[CARE_DATE] = f"{2019 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        before = [
            row | {CARE_DATE: "2018-12-31", "PRS_ORD_NUM": str(99_999 - k)}
            for k, row in enumerate(rows[OLDEST : OLDEST + BEFORE])
        ]
        return self.as_csv(rows + before)

    def upload(self) -> str:
        dataset_id = self.facts["dataset_id"]
        sample = self.sample(dataset_id)
        self.facts["uploaded"] = pa_csv.read_csv(io.BytesIO(sample)).to_pydict()
        self.facts["version_id"] = self.upload_file(dataset_id, TABLE, sample)
        care = self.care_sample(dataset_id)
        self.facts["care_version_id"] = self.upload_file(dataset_id, CARE, care)
        return (
            f"{TABLE}: {len(sample):,} bytes, {CARE}: {len(care):,} bytes, 2 parts each, validated"
        )

    def upload_file(self, dataset_id: str, table: str, sample: bytes) -> str:
        """The file uploaded in two parts; the id of the validated version."""
        base = f"/catalog/datasets/{dataset_id}/uploads"
        body = {"table": table, "size": len(sample), "sha256": hashlib.sha256(sample).hexdigest()}
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
            raise JourneyFailed(f"the {table} file was {version['status']}: {version}")
        return str(version["id"])

    def pseudonymised(self) -> str:
        rows = [
            self.pseudonymised_version(self.facts[v]) for v in ("version_id", "care_version_id")
        ]
        return f"{rows[0]:,} + {rows[1]:,} rows, key version {self.facts['central_key_version']}"

    def pseudonymised_version(self, version_id: str) -> int:
        def job() -> dict[str, Any] | None:
            params = {"version_id": version_id, "kind": "pseudonymise", "limit": 1}
            newest = self.call("sara", "GET", "/linkage/jobs", params=params).json()["items"]
            if not newest:
                return None
            [found] = newest
            if found["state"] == "failed":
                raise Broken(f"pseudonymisation failed: {found['error']}")
            return found if found["state"] == "succeeded" else None

        done = self.wait("pseudonymisation", job)
        report = self.call("sara", "GET", f"/linkage/jobs/{done['id']}/report").json()
        self.facts["central_key_version"] = report["key_version"]
        rows: int = report["rows_in"]
        return rows

    def file_request(self) -> str:
        project = self.call(
            "alice",
            "POST",
            "/access/projects",
            201,
            json={
                "title": "Parcours de soins des bénéficiaires",
                "summary": "Démographie des bénéficiaires et recours aux soins.",
                "lay_summary": "Qui sont les bénéficiaires de l'assurance maladie et comment "
                "recourent-ils aux soins, pour mieux planifier l'offre de soins.",
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
                        {"table": table, "name": name, "justification": why}
                        for table, asked in ((TABLE, self.asked), (CARE, CARE_ASKED))
                        for name, why in asked.items()
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
        variables = len(self.asked) + len(CARE_ASKED)
        return f"project {project['id']}, request {request['id']}: {variables} variables"

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
        by_table = {f["table"]: f for f in files}
        if sorted(by_table) != sorted([TABLE, CARE]) or len(files) != 2:
            raise JourneyFailed(f"expected one extract file per table, got {files}")
        for table, asked in ((TABLE, self.asked), (CARE, CARE_ASKED)):
            if sorted(by_table[table]["columns"]) != sorted(asked):
                held = by_table[table]["columns"]
                raise JourneyFailed(f"the {table} extract holds {held}, granted {list(asked)}")
        if by_table[CARE]["rows"] != ROWS:
            held = by_table[CARE]["rows"]
            raise JourneyFailed(f"the {CARE} extract holds {held} rows, {ROWS} in the period")
        extract = by_table[TABLE]
        url = f"/linkage/extracts/{extract['id']}/download"
        refused = self.call("alice", "GET", url, 403).json()
        if refused["type"] != ROW_LEVEL_REFUSED:
            raise JourneyFailed(f"the download was refused as {refused['type']}")
        self.facts["extract"] = extract
        return (
            f"{extract['rows']:,} rows x {len(extract['columns'])} columns (only the granted "
            f"ones), key version {extract['key_version']}; download: 403 {refused['type']}"
        )

    def query(self) -> str:
        space = f"/workspace/projects/{self.facts['project_id']}"

        def listed() -> list[dict[str, Any]] | None:
            tables: list[dict[str, Any]] = self.call("alice", "GET", f"{space}/tables").json()[
                "items"
            ]
            return tables if len(tables) == 2 else None

        tables = self.wait("the extract's tables in the project space", listed)
        answer = self.call("alice", "POST", f"{space}/queries", json=COHORTS).json()
        cells = answer["cells"]
        small = [c for c in cells if "threshold" in c["reasons"]]
        complements = [c for c in cells if "secondary" in c["reasons"]]
        dominated = [c for c in cells if {"dominance-p", "dominance-nk"} & set(c["reasons"])]
        shown = [c for c in cells if not c["suppressed"]]
        if not (small and complements and dominated and shown):
            raise JourneyFailed(f"expected small, complementary and dominated cells: {cells}")
        if any(c["persons"] is not None for c in small + complements + dominated):
            raise JourneyFailed("a suppressed cell shows its persons")
        stranger = self.call("bruno", "POST", f"{space}/queries", 404, json=COHORTS).json()
        return (
            f"{len(tables)} tables; {len(cells)} cells: {len(shown)} shown, {len(small)} under "
            f"{answer['threshold']} persons, {len(complements)} complements, {len(dominated)} "
            f"dominated sums, all suppressed; bruno: 404 {stranger['type']}"
        )

    def analysis(self, sql: str, name: str) -> dict[str, Any]:
        """A free SQL analysis of alice's, run to its end in the project space."""
        url = f"/workspace/projects/{self.facts['project_id']}/analyses"
        body = {"sql": sql, "name": name}
        location = self.call("alice", "POST", url, 202, json=body).headers["location"]

        def done() -> dict[str, Any] | None:
            analysis: dict[str, Any] = self.call("alice", "GET", location).json()
            if analysis["state"] in ("failed", "cancelled"):
                raise Broken(f"the analysis {name} {analysis['state']}: {analysis['problem']}")
            return analysis if analysis["state"] == "succeeded" else None

        result: dict[str, Any] = self.wait(f"the analysis {name}", done)
        return result

    def submit_output(self, sql: str, name: str) -> dict[str, Any]:
        """The analysis's table saved as (a new version of) the output, asked for release."""
        analysis = self.analysis(sql, name)
        space = f"/workspace/projects/{self.facts['project_id']}"
        body = {"name": "cohorts", "analysis_id": analysis["id"], "persons_column": "persons"}
        output = self.call("alice", "POST", f"{space}/outputs", 201, json=body).json()
        request = {
            "output_ids": [output["id"]],
            "description": "Bénéficiaires par sexe et cohorte de naissance.",
            "justification": "Tableau 1 de l'article.",
        }
        asked: dict[str, Any] = self.call(
            "alice", "POST", f"{space}/release-requests", 201, json=request
        ).json()
        return asked

    def release_request(self) -> str:
        request = self.submit_output(BY_COHORT, "COHORTS")
        [requested] = request["outputs"]
        check = requested["check"]
        small = [f for f in check["findings"] if f["rule"] == "threshold"]
        if check["status"] != "fail" or not small:
            raise JourneyFailed(f"the automatic check let a small cell through: {check}")
        self.facts["release_request"] = request
        return (
            f"output {requested['output']['name']} v{requested['output']['version']}: check "
            f"{check['status']}, {len(small)} rows under {check['threshold']} persons "
            f"(row {small[0]['row']}), due {request['due_on']}"
        )

    def decide_all(self, request: dict[str, Any], decision: str, comment: str) -> None:
        [requested] = request["outputs"]
        queue = self.call("olga", "GET", "/workspace/checks").json()["items"]
        if request["id"] not in {r["id"] for r in queue}:
            raise JourneyFailed("the request is not in olga's queue")
        for checker in ("olga", "omar"):
            url = f"/workspace/checks/{request['id']}/outputs/{requested['output']['id']}"
            self.call(checker, "GET", url)  # the output, seen in the platform
            body = {"decision": decision, "comment": f"{comment} ({checker})"}
            self.call(checker, "POST", f"{url}/reviews", json=body)

    def release_review(self) -> str:
        first = self.facts["release_request"]
        self.decide_all(first, "reject", "Deux cellules de 4 personnes : regroupez les cohortes.")
        url = f"/workspace/projects/{self.facts['project_id']}/release-requests/{first['id']}"
        rejected = self.call("alice", "GET", url).json()["outputs"][0]
        if rejected["outcome"] != "rejected" or len(rejected["reviews"]) != 2:
            raise JourneyFailed(f"the output was not rejected with reasons: {rejected}")
        second = self.submit_output(BEFORE_AFTER_1960, "COHORTS_1960")
        [requested] = second["outputs"]
        if requested["check"]["status"] != "pass":
            raise JourneyFailed(f"the aggregated table fails its check: {requested['check']}")
        self.decide_all(second, "approve", "Toutes les cellules ont au moins 10 personnes.")
        approved = self.call("alice", "GET", url.replace(first["id"], second["id"])).json()
        if approved["outputs"][0]["outcome"] != "released":
            raise JourneyFailed(f"the aggregated table was not released: {approved}")
        self.facts["released"] = approved["outputs"][0]["output"]
        return (
            f"v1 rejected ({rejected['reviews'][0]['comment']}); v2 check pass, approved by "
            "olga and omar, released"
        )

    def released(self) -> str:
        output = self.facts["released"]
        url = f"/workspace/projects/{self.facts['project_id']}/outputs/{output['id']}/download"
        content = self.call("alice", "GET", url).content
        if hashlib.sha256(content).hexdigest() != output["sha256"]:
            raise JourneyFailed("the released file is not the approved one")
        refused = self.call("bruno", "GET", url, 404).json()

        def registered() -> dict[str, Any] | None:
            entries = self.client.get("/access/register", params={"limit": 100}).json()["items"]
            [entry] = [e for e in entries if e["request_id"] == self.facts["request_id"]]
            return entry if entry["outputs_released"] == 1 else None

        entry = self.wait("the release in the public register", registered)
        return (
            f"{len(content):,} bytes, sha256 {output['sha256'][:12]}…; bruno: 404 "
            f"{refused['type']}; public register: {entry['outputs_released']} output released"
            f" on {entry['last_output_released_at'][:10]}"
        )

    def revocation(self) -> str:
        grant = self.facts["grant_id"]
        reason = {"reason": "Fin anticipée du projet (démo)."}
        self.call("sara", "POST", f"/access/grants/{grant}/revocation", json=reason)
        space = f"/workspace/projects/{self.facts['project_id']}"
        refused = self.call("alice", "POST", f"{space}/queries", 403, json=COHORTS).json()
        return f"grant {grant} revoked; alice's next query: 403 {refused['type']}"

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
                old_size=first["tree_size"],
                new_size=second["tree_size"],
                old_root=bytes.fromhex(first["root_hash"]),
                new_root=bytes.fromhex(second["root_hash"]),
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
