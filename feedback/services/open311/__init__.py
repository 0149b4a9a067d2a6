"""Open311 GeoReport v2: the platform as a citizen-reporting peer (``/open311/v2/``).

Owns the API keys (issued and revoked by administrators, only their digest stored), the catalog
of services (topics) and their definitions, the submission of a request through the same intake
as the web form, and the public read side of requests (the tracking read model, without personal
data). The rules of the specification (statuses, windows, dates, names) are
``feedback.domain.open311``. Shells import from here, not from the inner modules.
"""

from feedback.services.open311.catalog import (
    KIND_ATTRIBUTE, VILLAGE_ATTRIBUTE, Named, Service, ServiceDefinition, Village, service, service_definition, services,
)
from feedback.services.open311.intake import ApiError, RequestRefused, begin_request, submit_request
from feedback.services.open311.keys import (
    ApiKeyError, IssuedKey, KeyHolder, KeyRow, find_key, issue_key, list_keys, revoke_key, revoke_key_by_id,
    valid_rate_limit,
)
from feedback.services.open311.requests import RequestView, Search, code_for_token, find_request, search

__all__ = [
    "KIND_ATTRIBUTE", "VILLAGE_ATTRIBUTE", "ApiError", "ApiKeyError", "IssuedKey", "KeyHolder", "KeyRow", "Named",
    "RequestRefused", "RequestView", "Search", "Service", "ServiceDefinition", "Village", "begin_request", "code_for_token",
    "find_key", "find_request", "issue_key", "list_keys", "revoke_key", "revoke_key_by_id", "search", "service",
    "service_definition", "services", "submit_request", "valid_rate_limit",
]
