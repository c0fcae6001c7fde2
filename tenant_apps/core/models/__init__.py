from tenant_apps.core.models.api_keys import ApiKey, ApiKeyScope, IdempotencyRecord
from tenant_apps.core.models.audit import TenantAuditEntry
from tenant_apps.core.models.invitations import Invitation
from tenant_apps.core.models.jobs import Job, JobStatus
from tenant_apps.core.models.workspace import WorkspaceSettings

__all__ = ["ApiKey", "ApiKeyScope", "IdempotencyRecord", "Invitation", "Job", "JobStatus",
           "TenantAuditEntry", "WorkspaceSettings"]
