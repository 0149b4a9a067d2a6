"""The records of the Open311 API, field by field as GeoReport v2 names them, built from the
services' read models; the same dictionaries become JSON or XML (``xml.document``).

Times are ISO 8601 in the deployment's time zone (``2026-03-02T09:00:00+07:00``). A request never
carries personal data nor the resident's own text: ``description`` and ``media_url`` are always
null, like the title and the files on the public tracking page; a complaint or a denunciation
carries only its id, status, the status in words and the unit (``RestrictedItem``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from feedback.domain.deadlines import Clock
from feedback.domain.open311 import open311_status
from feedback.domain.status import Kind, Status
from feedback.services.intake import PublicItem, RestrictedItem
from feedback.services.open311 import (
    KIND_ATTRIBUTE, VILLAGE_ATTRIBUTE, ApiError, Service, ServiceDefinition,
)
from feedback.web.labels import event_label, kind_label, local_name, routing_sentence, status_label

# The fields of a request, in the specification's order, then the ``notes`` extension.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "notes",
)


def w3c(moment: datetime | None) -> str | None:
    """``moment`` in the deployment's time zone, to the second, with its offset (+07:00)."""
    if moment is None:
        return None
    zone = ZoneInfo(str(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return moment.astimezone(zone).isoformat(timespec="seconds")


def service_record(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": local_name(service),
        "description": _("Góp ý, phản ánh, kiến nghị, khiếu nại, tố cáo về lĩnh vực %(topic)s.",
                         topic=local_name(service)),
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(service.keywords),
        "group": local_name(service.group),
    }


def definition_record(definition: ServiceDefinition) -> dict[str, Any]:
    default = definition.service.default_kind
    kind_description = (_("Loại ý kiến. Mặc định của lĩnh vực này: %(kind)s.", kind=kind_label(default))
                        if default is not None else _("Loại ý kiến."))
    return {
        "service_code": definition.service.code,
        "attributes": [
            {
                "variable": True,
                "code": KIND_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": definition.kind_required,
                "datatype_description": _("Khiếu nại, tố cáo phải ghi họ tên (first_name, last_name) và số điện "
                                          "thoại hoặc thư điện tử của người gửi."),
                "order": 1,
                "description": kind_description,
                "values": [{"key": kind.value, "name": kind_label(kind)} for kind in definition.kinds],
            },
            {
                "variable": True,
                "code": VILLAGE_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("Mã thôn, bản, khu phố thuộc xã, phường, đặc khu ghi ở address_id."),
                "order": 2,
                "description": _("Thôn, bản, khu phố nơi xảy ra sự việc (không bắt buộc)."),
                "values": [{"key": v.code, "name": _("%(village)s, %(commune)s", village=v.name, commune=v.commune_name)}
                           for v in definition.villages],
            },
        ],
    }


def request_record(view: PublicItem | RestrictedItem) -> dict[str, Any]:
    """One request: every field of ``REQUEST_FIELDS`` (null when there is nothing to say)."""
    record: dict[str, Any] = dict.fromkeys(REQUEST_FIELDS)
    record["service_request_id"] = view.code
    record["status"] = open311_status(view.status)
    record["agency_responsible"] = view.unit.name if view.unit is not None else None
    if isinstance(view, RestrictedItem):
        record["status_notes"] = status_label(view.status)
        record["notes"] = []
        return record
    record["status_notes"] = _status_notes(view)
    record["service_name"] = local_name(view.topic)
    record["service_code"] = view.topic.code
    if view.answered_by_unit is not None and view.status is not Status.IN_PROGRESS:
        record["agency_responsible"] = view.answered_by_unit.name
    record["service_notice"] = routing_sentence(view.routing) if view.routing is not None else None
    record["requested_datetime"] = w3c(view.received_at)
    record["updated_datetime"] = w3c(max([view.received_at, *(event.at for event in view.events)]))
    record["expected_datetime"] = w3c(_resolution_due(view))
    record["address"] = ", ".join(place.name for place in (view.village, view.commune) if place is not None)
    record["address_id"] = view.locality.code
    record["notes"] = [{"datetime": w3c(event.at), "type": event.action, "description": event_label(event.action)}
                       for event in view.events]
    return record


def receipt_record(code: str, notice: str) -> dict[str, Any]:
    return {"service_request_id": code, "service_notice": notice, "account_id": None}


def token_record(code: str, token: str) -> dict[str, Any]:
    return {"service_request_id": code, "token": token}


def error_records(errors: list[ApiError]) -> list[dict[str, Any]]:
    return [{"code": error.code, "description": error.description} for error in errors]


def _status_notes(view: PublicItem) -> str:
    """The published answer once there is one (and the item is not back in progress after a
    reopening), else the status in words."""
    if view.answer and view.status in (Status.ANSWERED, Status.CLOSED):
        return view.answer
    return status_label(view.status)


def _resolution_due(view: PublicItem) -> datetime | None:
    """The resolution deadline in force (the latest resolution clock), else None (not started)."""
    return next((d.due_at for d in view.deadlines if d.clock == Clock.RESOLUTION.value), None)


__all__ = ["REQUEST_FIELDS", "Kind", "definition_record", "error_records", "receipt_record", "request_record",
           "service_record", "token_record", "w3c"]
