"""The OpenAPI 3.1 document of the Open311 endpoints (served at ``/open311/v2/openapi.json``).

It describes exactly the routes of ``views`` and the fields of ``records``:
tests/open311/test_openapi.py checks that its paths and methods are the application's routes and
validates real responses of every endpoint against its schemas. Schemas are JSON Schema 2020-12,
as OpenAPI 3.1 uses it.
"""

from __future__ import annotations

from typing import Any

from feedback.domain.open311 import FORMATS, MAX_DESCRIPTION, MAX_MEDIA_URL
from feedback.domain.status import Kind

STRING_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
DATETIME_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "integer", "description": "The HTTP status the error stands for."},
            "description": {"type": "string", "description": "What went wrong, naming the field, for the user."},
        },
    },
    "Errors": _array_of("Error"),
    "Discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "additionalProperties": False,
        "properties": {
            "changeset": {"type": "string"},
            "contact": {"type": "string"},
            "key_service": {"type": "string"},
            "endpoints": {"type": "array", "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "additionalProperties": False,
                "properties": {
                    "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                    "url": {"type": "string"},
                    "changeset": {"type": "string"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                },
            }},
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": {"type": "string", "description": "The topic's code."},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean", "description": "Always true: every service has attributes."},
            "type": {"const": "realtime", "description": "The tracking code is returned at once."},
            "keywords": {"type": "string"},
            "group": {"type": "string", "description": "The top-level topic."},
        },
    },
    "Services": _array_of("Service"),
    "AttributeValue": {
        "type": "object",
        "required": ["key", "name"],
        "additionalProperties": False,
        "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
    },
    "Attribute": {
        "type": "object",
        "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                     "values"],
        "additionalProperties": False,
        "properties": {
            "variable": {"type": "boolean"},
            "code": {"enum": ["kind", "village"]},
            "datatype": {"const": "singlevaluelist"},
            "required": {"type": "boolean"},
            "datatype_description": STRING_OR_NULL,
            "order": {"type": "integer", "minimum": 1},
            "description": {"type": "string"},
            "values": _array_of("AttributeValue"),
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "additionalProperties": False,
        "properties": {"service_code": {"type": "string"}, "attributes": _array_of("Attribute")},
    },
    "Note": {
        "type": "object",
        "required": ["datetime", "type", "description"],
        "additionalProperties": False,
        "properties": {
            "datetime": {"type": "string", "format": "date-time"},
            "type": {"type": "string", "description": "The audit action (received, assigned, accepted, ...)."},
            "description": {"type": "string"},
        },
    },
    "ServiceRequest": {
        "type": "object",
        "description": "A request as anyone may see it: never personal data nor the sender's own text "
                       "(description and media_url are always null). A complaint or a denunciation carries "
                       "only its id, status, status_notes and agency_responsible.",
        "required": ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                     "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                     "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url", "notes"],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "description": "The tracking code."},
            "status": {"enum": ["open", "closed"]},
            "status_notes": {"type": ["string", "null"], "description": "The published answer, else the status "
                                                                        "in words."},
            "service_name": STRING_OR_NULL,
            "service_code": STRING_OR_NULL,
            "description": {"type": "null"},
            "agency_responsible": {"type": ["string", "null"], "description": "The unit."},
            "service_notice": STRING_OR_NULL,
            "requested_datetime": DATETIME_OR_NULL,
            "updated_datetime": DATETIME_OR_NULL,
            "expected_datetime": {"type": ["string", "null"], "format": "date-time",
                                  "description": "The resolution deadline in force."},
            "address": STRING_OR_NULL,
            "address_id": {"type": ["string", "null"], "description": "The commune or village code."},
            "zipcode": {"type": "null"},
            "lat": {"type": "null"},
            "long": {"type": "null"},
            "media_url": {"type": "null"},
            "notes": {"description": "The public history (the widely used notes extension).", **_array_of("Note")},
        },
    },
    "ServiceRequests": _array_of("ServiceRequest"),
    "Receipt": {
        "type": "object",
        "required": ["service_request_id", "service_notice", "account_id"],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "description": "The tracking code."},
            "service_notice": {"type": "string", "description": "Holds the sender's private link: show it to "
                                                                "the sender only."},
            "account_id": {"type": "null"},
        },
    },
    "Receipts": _array_of("Receipt"),
    "TokenRecord": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "additionalProperties": False,
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
    "TokenRecords": _array_of("TokenRecord"),
    "NewRequest": {
        "type": "object",
        "required": ["api_key", "service_code"],
        "properties": {
            "api_key": {"type": "string"},
            "jurisdiction_id": {"type": "string"},
            "service_code": {"type": "string"},
            "lat": {"type": "string", "description": "Accepted, not used: give address_id."},
            "long": {"type": "string", "description": "Accepted, not used: give address_id."},
            "address_string": {"type": "string", "description": "Kept in the text after the description."},
            "address_id": {"type": "string", "description": "Code of a commune or a village (required)."},
            "email": {"type": "string"},
            "device_id": {"type": "string"},
            "account_id": {"type": "string"},
            "first_name": {"type": "string", "description": "Given name."},
            "last_name": {"type": "string", "description": "Family name (written first)."},
            "phone": {"type": "string"},
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION + 1000},
            "media_url": {"type": "string", "maxLength": MAX_MEDIA_URL},
            "attribute[kind]": {"enum": [kind.value for kind in Kind]},
            "attribute[village]": {"type": "string"},
        },
    },
}

FORMAT_PARAMETER = {"name": "format", "in": "path", "required": True, "schema": {"enum": list(FORMATS)}}
JURISDICTION_PARAMETER = {"name": "jurisdiction_id", "in": "query", "required": False, "schema": {"type": "string"},
                          "description": "Optional: one jurisdiction is served."}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "pattern": r"^[^/]+$"}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Invalid request", 403: "Missing, unknown or revoked api_key", 404: "Not found",
             413: "Request too large", 429: "Rate limit exceeded", 503: "Temporarily unavailable"}
    return {str(code): {"description": words[code], "content": {
        "application/json": {"schema": _ref("Errors")}, "text/xml": {"schema": {"type": "string"}}}}
        for code in codes}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {
        "application/json": {"schema": _ref(schema)}, "text/xml": {"schema": {"type": "string"}}}}}


def _get(operation_id: str, summary: str, schema: str, parameters: list[dict[str, Any]],
         errors: tuple[int, ...] = (400, 404, 429, 503)) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary,
                    "parameters": [FORMAT_PARAMETER, JURISDICTION_PARAMETER, *parameters],
                    "responses": {**_ok(schema, summary), **_errors(*errors)}}}


def document() -> dict[str, Any]:
    """The document, a new dictionary each call."""
    prefix = "/open311/v2"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Open311 GeoReport v2",
            "version": "2",
            "description": "Góp ý, phản ánh, kiến nghị, khiếu nại, tố cáo as Open311 service requests "
                           "(http://wiki.open311.org/GeoReport_v2). Every endpoint answers in .json and .xml; "
                           "errors are the specification's list of code and description.",
        },
        # Every endpoint may answer 400: a NUL anywhere in the URL (feedback.web.args.refuse_nul_in_url).
        "paths": {
            f"{prefix}/discovery.{{format}}": _get("discovery", "Service discovery", "Discovery", [], (400, 404, 429, 503)),
            f"{prefix}/services.{{format}}": _get("services", "Services (topics)", "Services", [], (400, 404, 429, 503)),
            f"{prefix}/services/{{service_code}}.{{format}}": _get(
                "serviceDefinition", "Service definition", "ServiceDefinition", [_path("service_code")]),
            f"{prefix}/requests.{{format}}": {
                **_get("requests", "Service requests (the last 90 days, at most 1,000)", "ServiceRequests", [
                    _query("service_request_id", "Tracking codes, comma separated; overrides all other filters."),
                    _query("service_code", "Service codes, comma separated."),
                    _query("start_date", "ISO 8601; with end_date at most 90 days apart."),
                    _query("end_date", "ISO 8601; with start_date at most 90 days apart."),
                    _query("status", "open, closed, or both comma separated."),
                ]),
                "post": {
                    "operationId": "createRequest",
                    "summary": "Send a service request (needs an api_key)",
                    "parameters": [FORMAT_PARAMETER],
                    "requestBody": {"required": True, "content": {
                        "application/x-www-form-urlencoded": {"schema": _ref("NewRequest")}}},
                    "responses": {**_ok("Receipts", "The request was saved: its tracking code"),
                                  **_errors(400, 403, 404, 413, 429, 503)},
                },
            },
            f"{prefix}/requests/{{service_request_id}}.{{format}}": _get(
                "request", "One service request", "ServiceRequests", [_path("service_request_id")]),
            f"{prefix}/tokens/{{token}}.{{format}}": _get(
                "token", "The service request of a token (the sender's secret token)", "TokenRecords",
                [_path("token")]),
            f"{prefix}/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document",
                "responses": {"200": {"description": "This document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              **{k: v for k, v in _errors(429, 503).items()}}}},
        },
        "components": {"schemas": SCHEMAS},
    }
