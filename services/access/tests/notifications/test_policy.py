"""The pure rules: retry schedule, dead-lettering, which subscriptions want an event."""

from datetime import UTC, datetime, timedelta

from access.config import Settings
from access.notifications.models import DeliveryStatus, Webhook
from access.notifications.service import new_secret, wants
from access.notifications.worker import backoff, outcome

SETTINGS = Settings(
    notification_backoff_base=5.0, notification_backoff_max=60.0, notification_max_attempts=4
)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_backoff_doubles_up_to_its_cap() -> None:
    waits = [backoff(SETTINGS, n).total_seconds() for n in range(1, 7)]
    assert waits == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_an_attempt_delivers_retries_or_dead_letters() -> None:
    assert outcome(SETTINGS, attempts=1, error=None, now=NOW)["status"] == "delivered"
    retry = outcome(SETTINGS, attempts=2, error="HTTP 503", now=NOW)
    assert retry["status"] == DeliveryStatus.PENDING
    assert retry["next_attempt_at"] == NOW + timedelta(seconds=10)
    assert outcome(SETTINGS, attempts=4, error="HTTP 503", now=NOW)["status"] == "dead"


def test_subscriptions_match_types_and_prefixes() -> None:
    hook = Webhook(event_types=["hdh.access.request.*", "hdh.access.grant.issued.v1"])
    assert wants(hook, "hdh.access.request.submitted.v1")
    assert wants(hook, "hdh.access.grant.issued.v1")
    assert not wants(hook, "hdh.access.grant.revoked.v1")
    assert not wants(hook, "hdh.access.document.uploaded.v1")


def test_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert secret != new_secret()
