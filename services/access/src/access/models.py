"""Every table of the service, imported once so the metadata knows them all."""

from access.catalog_refs.models import DatasetRef, VariableRef
from access.documents.models import Document
from access.grants.models import Grant
from access.notifications.models import Contact, Email, OverdueNotice, Webhook, WebhookDelivery
from access.projects.models import Project, ProjectMember
from access.register.models import RegisterEntry
from access.requests.models import AccessRequest, RequestDataset, RequestTransition
from access.reviews.models import ConflictDeclaration, Decision, Message

__all__ = [
    "AccessRequest",
    "ConflictDeclaration",
    "Contact",
    "DatasetRef",
    "Decision",
    "Document",
    "Email",
    "Grant",
    "Message",
    "OverdueNotice",
    "Project",
    "ProjectMember",
    "RegisterEntry",
    "RequestDataset",
    "RequestTransition",
    "VariableRef",
    "Webhook",
    "WebhookDelivery",
]
