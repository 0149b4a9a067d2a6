"""Blueprint package: the unit workspace (/unit/) for officers and unit heads."""

from feedback.units import files as files  # noqa: F401  (adds the inline file route to ``views.bp``)
