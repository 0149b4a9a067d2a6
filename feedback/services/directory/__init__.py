"""Directory: localities (provinces and communes from ``vietnam-provinces``, villages from CSV).
Topics and units are data loaded by the demo or entered by administrators.

Shells import from here, not from the inner modules.
"""

from feedback.services.directory.places import communes_of_villages, place_names
from feedback.services.directory.provinces import DirectoryError, ImportCounts, import_provinces, source_size
from feedback.services.directory.villages import CsvImportError, import_villages

__all__ = ["CsvImportError", "DirectoryError", "ImportCounts", "communes_of_villages", "place_names", "import_provinces",
           "import_villages", "source_size"]
