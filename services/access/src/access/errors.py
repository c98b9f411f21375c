"""Problems of this service, beyond the common tree; each has a stable ``type``."""

from hdh_common.errors import BadRequest, Conflict, Forbidden, PayloadTooLarge, ValidationFailed


class UnknownDataset(Conflict):
    slug, title = "unknown-dataset", "Unknown dataset"


class UnknownVariable(Conflict):
    slug, title = "unknown-variable", "Unknown variable"


class LinkageColumnNotAsked(Conflict):
    slug, title = "linkage-column-not-asked", "A linkage reads a variable not asked for"


class LinkageKeyNotPseudonymised(Conflict):
    slug, title = "linkage-key-not-pseudonymised", "A linkage key is no pseudonymised identifier"


class InvalidRequestContent(Conflict):
    slug, title = "invalid-request-content", "Invalid request content"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Transition not allowed in this state"


class GuardFailed(Conflict):
    slug, title = "transition-guard-failed", "A condition of the transition is not met"


class StaleVersion(Conflict):
    slug, title = "stale-version", "The resource changed since you read it"


class ReasonRequired(ValidationFailed):
    slug, title = "reason-required", "A reason is required"


class DocumentTooLarge(PayloadTooLarge):
    slug, title = "document-too-large", "Document too large"


class UnsupportedDocumentType(BadRequest):
    status = 415
    slug, title = "unsupported-document-type", "Unsupported document type"


class FourEyes(Forbidden):
    slug, title = "four-eyes-rule", "Nobody decides on a request they filed or belong to"


class ConflictOfInterest(Forbidden):
    slug, title = "conflict-of-interest", "Excluded by a declared conflict of interest"


class NotApplicant(Forbidden):
    slug, title = "not-applicant", "Only the project's members may do this"


class DocumentKindNotAllowed(Forbidden):
    slug, title = "document-kind-not-allowed", "Not a kind of document one may upload"


class OrganisationMismatch(Forbidden):
    slug, title = "organisation-mismatch", "A project is filed under one's own organisation"


class OpinionFinal(Conflict):
    slug, title = "opinion-already-recorded", "The committee's opinion for this round is recorded"


class WrongState(Conflict):
    slug, title = "wrong-state", "Not possible in the request's current state"


class WebhookUrlNotAllowed(BadRequest):
    slug, title = "webhook-url-not-allowed", "Webhook endpoint not allowed"
