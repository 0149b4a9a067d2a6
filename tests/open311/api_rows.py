"""What the Open311 tests share: a directory with a routing rule, an API key, the POST form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from feedback.domain.events import Actor
from feedback.services.open311 import issue_key
from tests.factories import Directory, make_directory
from tests.services.routing_rows import add_rule

RESIDENT_NAME = "Nguyễn Thị Hoa"
RESIDENT_PHONE = "0912345678"
RESIDENT_EMAIL = "hoa.nguyen@example.vn"
DESCRIPTION = "Rác tồn đọng ở đầu ngõ 12 ba ngày nay\nXe thu gom không đến."


@dataclass
class Api:
    directory: Directory
    key: str


def api_world(rate_limit: str | None = None) -> Api:
    """The test directory, a rule sending environment items of Hà Tu to the department, and a key."""
    directory = make_directory()
    add_rule(directory.environment_dept, locality=directory.ha_tu, topic=directory.environment)
    issued = issue_key("ung-dung-thu", actor=Actor.cli("tester"), now=datetime.now(UTC), rate_limit=rate_limit)
    return Api(directory, issued.key)


def request_form(key: str, **changes: str) -> dict[str, str]:
    """A valid POST of a report about waste in Tổ dân phố 1, by a named resident."""
    form = {
        "api_key": key,
        "service_code": "moi-truong.rac-thai",
        "address_id": "06652",
        "attribute[village]": "06652-001",
        "attribute[kind]": "report",
        "description": DESCRIPTION,
        "address_string": "Đầu ngõ 12, tổ 1",
        "first_name": "Thị Hoa",
        "last_name": "Nguyễn",
        "phone": RESIDENT_PHONE,
        "email": RESIDENT_EMAIL,
        "media_url": "https://anh.example.vn/rac-ngo-12.jpg",
        "lat": "20.95",
        "long": "107.08",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}
