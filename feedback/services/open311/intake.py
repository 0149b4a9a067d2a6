"""POST requests of the Open311 API: the form-encoded fields of the specification turned into the
same ``Submission`` the web form makes, through the same ``intake.submit_feedback`` (so the item
is validated, saved with its "received" event, routed, clocked and audited exactly alike; its
channel is ``api`` and the event names the key's holder).

Fields: ``service_code`` (a topic), ``address_id`` (the code of a commune or a village; ``lat``/
``long`` alone cannot place an item, since the directory has no coordinates), ``description``
(the item's text; its first line becomes the title), ``address_string`` (kept in the text, after
the description), ``first_name``, ``last_name`` (the name is written family name first),
``email``, ``phone``, ``media_url`` (kept as a link), ``attribute[kind]`` and
``attribute[village]`` (``catalog``). ``device_id`` and ``account_id`` are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from feedback.domain.open311 import full_name, has_control_characters, title_from
from feedback.domain.status import Channel
from feedback.services.database import commit_each_statement
from feedback.services.intake import MAX_TITLE, Receipt, Submission, SubmissionInvalid, submit_feedback
from feedback.services.open311.catalog import KIND_ATTRIBUTE, VILLAGE_ATTRIBUTE, service
from feedback.services.open311.keys import KeyHolder


@dataclass(frozen=True)
class ApiError:
    """One entry of the specification's error list: ``code`` (the HTTP status it stands for) and
    a ``description`` meant for the person using the client, naming the field."""

    code: int
    description: str


class RequestRefused(ValueError):
    """Nothing was saved; ``errors`` lists every problem found, ``status`` is the HTTP status:
    404 when the service does not exist, else 400."""

    def __init__(self, errors: list[ApiError]) -> None:
        super().__init__("; ".join(e.description for e in errors))
        self.errors = errors
        self.status = 404 if any(e.code == 404 for e in errors) else 400


# Submission field → the Open311 argument that carries it.
_FIELDS = {
    "kind": f"attribute[{KIND_ATTRIBUTE}]",
    "locality_code": "address_id",
    "village_code": f"attribute[{VILLAGE_ATTRIBUTE}]",
    "topic_code": "service_code",
    "title": "description",
    "body": "description",
    "name": "first_name",
    "phone": "phone",
    "email": "email",
    "media_url": "media_url",
}


def begin_request() -> bool:
    """Call first thing in a POST of a request, before its key is looked up: on PostgreSQL the
    POST's statements (the key, the service, the places; then the item, its attachments and its
    event in one INSERT) then commit each by itself, without BEGIN and COMMIT, two of its round
    trips (``database.commit_each_statement``; the mode ends with ``submit_request``'s commit or
    with the request). Returns whether it applies."""
    return commit_each_statement()


def submit_request(fields: Mapping[str, str], *, holder: KeyHolder, language: str | None, now: datetime) -> Receipt:
    """Save the request ``fields`` as a new item sent through the API by ``holder``, as
    ``intake.submit_feedback`` does (commits, then asks for routing). Raises ``RequestRefused``
    with every problem (nothing written); a field holding a control character (NUL, ...) is
    refused before anything else. Each POST makes a new item: the specification has no
    idempotency key."""
    garbled = [name for name, value in fields.items() if has_control_characters(name + value)]
    if garbled:
        raise RequestRefused([ApiError(400, _("%(field)s: có ký tự điều khiển không được phép.", field=name))
                              for name in sorted(garbled)])
    code = (fields.get("service_code") or "").strip()
    if not code:
        raise RequestRefused([ApiError(400, _("service_code: hãy cho biết mã lĩnh vực (dịch vụ)."))])
    offered = service(code)
    if offered is None:
        raise RequestRefused([ApiError(404, _("service_code: không có lĩnh vực (dịch vụ) mã %(code)s.", code=code))])
    address_id = (fields.get("address_id") or "").strip()
    kind = (fields.get(f"attribute[{KIND_ATTRIBUTE}]") or "").strip() or (
        offered.default_kind.value if offered.default_kind is not None else "")
    description = (fields.get("description") or "").strip()
    address = " ".join((fields.get("address_string") or "").split())
    body = _("%(description)s\n\nĐịa chỉ: %(address)s", description=description, address=address) \
        if description and address else description
    submission = Submission(
        kind=kind,  # type: ignore[arg-type]  # a raw value: submit_feedback reports it when it is no kind
        locality_code=address_id,
        village_code=(fields.get(f"attribute[{VILLAGE_ATTRIBUTE}]") or "").strip() or None,
        topic_code=code,
        title=title_from(description, MAX_TITLE),
        body=body,
        name=full_name(fields.get("first_name"), fields.get("last_name")) or None,
        phone=fields.get("phone") or None,
        email=fields.get("email") or None,
        media_url=fields.get("media_url") or None,
        channel=Channel.API,
        language=language,
        client=holder.name,
    )
    try:
        return submit_feedback(submission, now=now)
    except SubmissionInvalid as invalid:
        errors: list[ApiError] = []
        for field, message in invalid.errors.items():
            if field == "locality_code" and not address_id:
                message = _("hãy cho biết mã xã, phường, đặc khu hoặc thôn, bản, khu phố; hệ thống không xác "
                            "định được địa bàn từ tọa độ hay địa chỉ.")
            error = ApiError(400, f"{_FIELDS.get(field, field)}: {message}")
            if error not in errors:
                errors.append(error)
        raise RequestRefused(errors) from None
