"""The names of the kinds of items (góp ý, phản ánh, ...) in the current locale: one table for
the pages (``feedback.web.labels``), the routing rules' descriptions and the notifications.

The domain's ``routing.kind_label`` gives the same Vietnamese words untranslated, for the
routing explanations that are stored."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from feedback.domain.status import Kind

KIND_LABELS: dict[str, LazyString] = {
    Kind.COMMENT: _l("Góp ý"),
    Kind.REPORT: _l("Phản ánh"),
    Kind.PETITION: _l("Kiến nghị"),
    Kind.COMPLAINT: _l("Khiếu nại"),
    Kind.DENUNCIATION: _l("Tố cáo"),
}


def kind_name(kind: Kind) -> str:
    """The kind's name in the current locale ("Tố cáo"); an unknown kind as its code."""
    found = KIND_LABELS.get(kind)
    return str(found) if found is not None else kind.value
