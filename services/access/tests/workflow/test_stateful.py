"""Random sequences of actions by random roles never leave the design's graph.

Checked after every step: the state is one of the design's; every state change followed an
edge of the transitions table and has exactly one ``hdh.access.request.*`` event; a grant
exists exactly when data preparation was reached (the linkage service builds the extract
from it); and neither a grant nor ``active`` is ever reached without a favourable opinion,
a legal basis (the regulator's authorisation number, or a reference methodology) and a
signed data-use agreement.
"""

import asyncio
import contextlib
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.ext.asyncio import create_async_engine

from access.workflow.machine import TRANSITIONS, State, edges
from hdh_dev.testing import running

ACTORS = {  # subject: role; bob is hub staff *and* a member of the project
    "alice": "researcher",
    "mallory": "researcher",
    "sam": "hub_staff",
    "bob": "hub_staff",
    "carl": "committee_member",
    "rita": "regulator",
    "ann": "auditor",
    "sys": "system",
    "paul": "producer",
}
LEGIT = {  # who normally takes each transition
    "submit": "alice",
    "resubmit": "alice",
    "withdraw": "alice",
    "reject": "carl",
    "authorise": "rita",
    "refuse": "rita",
    "activate": "sys",
}
NEXT = {
    "draft": "submit",
    "submitted": "declare_admissible",
    "info_requested": "resubmit",
    "admissible": "refer_to_committee",
    "agreement_signed": "start_preparation",
    "data_preparation": "activate",
}
KINDS = [
    "protocol",
    "data_management_plan",
    "signed_agreement",
    "final_report",
    "destruction_certificate",
]
EDGES = {(a.value, b.value) for a, b in edges()}
ACTIVE_EVIDENCE = """
SELECT
  EXISTS (SELECT 1 FROM access.decision WHERE request_id = :r AND kind = 'opinion'
          AND outcome IN ('favourable', 'favourable_with_reservations')) AS opinion,
  (SELECT legal_basis = 'reference_methodology' AND methodology IS NOT NULL
     FROM access.access_request WHERE id = :r)
  OR EXISTS (SELECT 1 FROM access.decision WHERE request_id = :r AND kind = 'regulator'
             AND outcome = 'authorised' AND reference <> '') AS basis,
  EXISTS (SELECT 1 FROM access.decision WHERE request_id = :r
          AND kind = 'data_use_agreement') AS agreement
"""


def test_random_actions_stay_in_the_graph(hub_parts) -> None:
    app, clock, make_token, database_url, hub_class = hub_parts
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    client = loop.run_until_complete(stack.enter_async_context(running(app)))
    engine = create_async_engine(database_url)
    hub = hub_class(client=client, make_token=make_token, engine=engine, clock=clock)
    reached: set[str] = set()

    class Workflow(RuleBasedStateMachine):
        rid = ""

        @initialize(
            basis=st.sampled_from(
                [
                    {"kind": "cnil_authorisation"},
                    {"kind": "reference_methodology", "methodology": "MR-003"},
                ]
            )
        )
        def file_a_draft(self, basis: dict[str, str]) -> None:
            self.rid = loop.run_until_complete(self._setup(basis))

        async def _setup(self, basis: dict[str, str]) -> str:
            request = await hub.draft("alice", legal_basis=basis)
            await hub.client.post(
                f"/access/projects/{request['project_id']}/members",
                json={"subject": "bob", "role": "member"},
                headers=hub.as_("researcher", "alice"),
            )
            for kind in ("protocol", "data_management_plan"):
                await hub.upload(request["id"], kind)
            return str(request["id"])

        @rule()
        def advance(self) -> None:
            """The next step of a favourable path, whatever the state (it may be refused)."""
            self.call(self._advance())

        async def _advance(self) -> None:
            request = await hub.get(self.rid, "researcher", "alice")
            state, rid = request["state"], self.rid
            if state == "committee_review":
                body = {
                    "outcome": "favourable",
                    "reference": "C",
                    "decided_on": "2026-01-05",
                    "text": "t",
                }
                await hub.record(rid, "opinions", body, "committee_member", "carl")
                await hub.act(rid, "forward_to_regulator", "hub_staff", "sam")
                await hub.act(rid, "authorise_under_methodology", "hub_staff", "sam")
            elif state == "regulator_review":
                body = {"outcome": "authorised", "reference": "DR-7", "decided_on": "2026-02-01"}
                await hub.record(rid, "decisions", body, "regulator", "rita")
                await hub.act(rid, "authorise", "regulator", "rita")
            elif state == "authorised":
                await self._agreement("sam")
                await hub.act(rid, "sign_agreement", "hub_staff", "sam")
            elif state == "active":
                for kind in ("final_report", "destruction_certificate"):
                    await hub.upload(rid, kind, "hub_staff", "sam")
                await hub.act(rid, "close", "hub_staff", "sam")
            elif state in NEXT:
                name = NEXT[state]
                actor = LEGIT.get(name, "sam")
                await hub.act(rid, name, ACTORS[actor], actor)

        def call(self, coroutine: Any) -> Any:
            return loop.run_until_complete(coroutine)

        @rule(
            name=st.sampled_from(sorted(TRANSITIONS)),
            actor=st.sampled_from(sorted(ACTORS)),
            reason=st.sampled_from([None, "Because."]),
        )
        def anyone_tries(self, name: str, actor: str, reason: str | None) -> None:
            self.call(hub.act(self.rid, name, ACTORS[actor], actor, reason=reason))

        @rule(name=st.sampled_from(sorted(TRANSITIONS)))
        def the_right_person_tries(self, name: str) -> None:
            actor = LEGIT.get(name, "sam")
            self.call(hub.act(self.rid, name, ACTORS[actor], actor, reason="Because."))

        @rule(kind=st.sampled_from(KINDS), actor=st.sampled_from(["alice", "sam", "mallory"]))
        def upload(self, kind: str, actor: str) -> None:
            self.call(hub.upload(self.rid, kind, ACTORS[actor], actor))

        @rule(
            outcome=st.sampled_from(["favourable", "favourable_with_reservations", "unfavourable"]),
            actor=st.sampled_from(["carl", "alice", "sam"]),
        )
        def opinion(self, outcome: str, actor: str) -> None:
            body = {"outcome": outcome, "reference": "C", "decided_on": "2026-01-05", "text": "t"}
            self.call(hub.record(self.rid, "opinions", body, ACTORS[actor], actor))

        @rule(
            outcome=st.sampled_from(["authorised", "refused"]),
            actor=st.sampled_from(["rita", "carl"]),
        )
        def decision(self, outcome: str, actor: str) -> None:
            body = {"outcome": outcome, "reference": "DR-7", "decided_on": "2026-02-01"}
            self.call(hub.record(self.rid, "decisions", body, ACTORS[actor], actor))

        @rule(actor=st.sampled_from(["sam", "bob", "alice"]))
        def agreement(self, actor: str) -> None:
            self.call(self._agreement(actor))

        async def _agreement(self, actor: str) -> None:
            uploaded = await hub.upload(self.rid, "signed_agreement", "hub_staff", "sam")
            if uploaded.status_code != 201:
                return
            body = {
                "kind": "data_use_agreement",
                "reference": "DUA",
                "signed_on": "2026-03-01",
                "document_id": uploaded.json()["id"],
            }
            await hub.record(self.rid, "agreements", body, ACTORS[actor], actor)

        @rule()
        def conflict(self) -> None:
            self.call(
                hub.record(self.rid, "conflicts", {"statement": "s"}, "committee_member", "carl")
            )

        @invariant()
        def stays_in_the_graph(self) -> None:
            self.call(self._check())

        async def _check(self) -> None:
            if not self.rid:
                return
            async with engine.connect() as connection:
                state = await connection.scalar(
                    sa.text("SELECT state FROM access.access_request WHERE id = :r"),
                    {"r": self.rid},
                )
                moves = (
                    await connection.execute(
                        sa.text(
                            "SELECT from_state, to_state FROM access.request_transition"
                            " WHERE request_id = :r ORDER BY id"
                        ),
                        {"r": self.rid},
                    )
                ).all()
                events = (
                    await connection.scalars(
                        sa.text(
                            "SELECT payload->'data'->>'to_state' FROM access.outbox"
                            " WHERE payload->>'subject' = :r"
                            " AND payload->>'type' LIKE 'hdh.access.request.%' ORDER BY id"
                        ),
                        {"r": self.rid},
                    )
                ).all()
                grants = await connection.scalar(
                    sa.text("SELECT count(*) FROM access.grant WHERE request_id = :r"),
                    {"r": self.rid},
                )
                evidence = (
                    await connection.execute(sa.text(ACTIVE_EVIDENCE), {"r": self.rid})
                ).one()
            assert state in set(State)
            path = ["draft"] + [to for _, to in moves]
            assert all((a, b) in EDGES for a, b in moves)
            assert [a for a, _ in moves] == path[:-1] and path[-1] == state
            assert events == [to for _, to in moves]
            if "data_preparation" in path:
                assert evidence.opinion and evidence.basis and evidence.agreement
            assert grants == (1 if "data_preparation" in path else 0)
            reached.add(state)

    try:
        run_state_machine_as_test(
            Workflow,
            settings=settings(
                database=None,
                max_examples=10,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.run_until_complete(stack.aclose())
        loop.close()
    assert {"draft", "submitted", "admissible"} <= reached, reached
