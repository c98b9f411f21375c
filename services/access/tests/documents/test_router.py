"""Documents: in the object store with their sha256, versioned, read by who sees the request."""

import hashlib
from urllib.parse import quote, unquote

PDF = b"%PDF-1.4 other"


async def test_versions_sha256_and_download(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    first = (await hub.upload(rid, "protocol", content=b"%PDF v1")).json()
    second = (await hub.upload(rid, "protocol", content=b"%PDF v2")).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert second["sha256"] == hashlib.sha256(b"%PDF v2").hexdigest()
    alice = hub.as_("researcher", "alice")
    listed = await hub.client.get(f"/access/requests/{rid}/documents", headers=alice)
    assert [(d["kind"], d["version"]) for d in listed.json()["items"]] == [
        ("protocol", 1),
        ("protocol", 2),
    ]
    url = f"/access/requests/{rid}/documents/{first['id']}/content"
    download = await hub.client.get(url, headers=alice)
    assert download.status_code == 200 and download.content == b"%PDF v1"
    assert download.headers["etag"] == f'"{first["sha256"]}"'
    assert (await hub.client.get(url, headers=hub.as_("researcher", "mallory"))).status_code == 404
    assert (await hub.client.get(url, headers=hub.as_("hub_staff"))).status_code == 404  # a draft


async def test_reviewers_read_documents_once_submitted(hub) -> None:
    request = await hub.draft()
    await hub.drive_to(request["id"], "submitted")
    listed = await hub.client.get(
        f"/access/requests/{request['id']}/documents", headers=hub.as_("committee_member", "carl")
    )
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2
    producer = await hub.upload(request["id"], "other", role="producer", sub="paul")
    assert producer.status_code == 404


async def test_any_unicode_filename_downloads_with_rfc_6266_names(hub) -> None:
    request = await hub.draft()
    alice = hub.as_("researcher", "alice")
    for name, fallback in [
        ("Протокол 研究 ✓.pdf", "________ __ _.pdf"),
        ("Étude; 100% d'accord.pdf", "Etude; 100_ d'accord.pdf"),
    ]:
        uploaded = await hub.client.post(
            f"/access/requests/{request['id']}/documents",
            params={"kind": "other", "filename": name},
            content=PDF,
            headers=alice | {"Content-Type": "application/pdf"},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["filename"] == name
        download = await hub.client.get(
            f"/access/requests/{request['id']}/documents/{uploaded.json()['id']}/content",
            headers=alice,
        )
        assert download.status_code == 200
        disposition = download.headers["content-disposition"]
        assert disposition.isascii()
        assert disposition == (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        assert unquote(disposition.split("UTF-8''")[1]) == name
