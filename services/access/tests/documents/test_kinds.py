"""Each document kind has the roles allowed to upload it: applicants file theirs, reviewers
theirs; nobody files a document in another's name."""

KIND_REFUSED = "/problems/document-kind-not-allowed"
CASES = [
    ("researcher", "alice", "protocol", 201),
    ("researcher", "alice", "data_management_plan", 201),
    ("researcher", "alice", "cv", 201),
    ("researcher", "alice", "other", 201),
    ("researcher", "alice", "committee_opinion", 403),
    ("researcher", "alice", "regulator_decision", 403),
    ("researcher", "alice", "signed_agreement", 403),
    ("committee_member", "carl", "committee_opinion", 201),
    ("committee_member", "carl", "regulator_decision", 403),
    ("committee_member", "carl", "protocol", 403),
    ("regulator", "rita", "regulator_decision", 201),
    ("regulator", "rita", "committee_opinion", 403),
    ("regulator", "rita", "data_management_plan", 403),
    ("hub_staff", "sam", "signed_agreement", 201),
    ("hub_staff", "sam", "committee_opinion", 403),
    ("hub_staff", "sam", "protocol", 403),
]


async def test_who_uploads_which_kind(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "committee_review")
    failures = []
    for role, sub, kind, status in CASES:
        response = await hub.upload(request["id"], kind, role=role, sub=sub)
        problem = response.json().get("type") if status == 403 else None
        if response.status_code != status or problem not in (None, KIND_REFUSED):
            failures.append((role, kind, response.status_code, problem))
    assert failures == []


async def test_a_member_with_a_reviewer_role_uploads_only_applicant_kinds(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.client.post(
        f"/access/projects/{request['project_id']}/members",
        json={"subject": "bob", "role": "member"},
        headers=hub.as_("researcher", "alice"),
    )
    await hub.drive_to(rid, "committee_review")
    assert (await hub.upload(rid, "signed_agreement", "hub_staff", "bob")).status_code == 403
    assert (await hub.upload(rid, "cv", "hub_staff", "bob")).status_code == 201
