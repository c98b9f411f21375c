"""Every mapped class, imported so the metadata is complete (migrations, tests)."""

from linkage.extracts.models import ExtractFile, Grant
from linkage.jobs.models import CentralObject, Job, PseudonymisedVersion, ValidatedVersion
from linkage.keys.models import DomainKey, DomainKeyDestruction
from linkage.objections.models import Objection
from linkage.project_data.models import ProjectData
from linkage.requested.models import LinkTable

__all__ = [
    "CentralObject",
    "DomainKey",
    "DomainKeyDestruction",
    "ExtractFile",
    "Grant",
    "Job",
    "LinkTable",
    "Objection",
    "ProjectData",
    "PseudonymisedVersion",
    "ValidatedVersion",
]
