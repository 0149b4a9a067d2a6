"""Open311 GeoReport v2 under /open311/v2/: a shell over ``feedback.services.open311``."""
