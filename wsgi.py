"""WSGI entry point: ``gunicorn wsgi:app``."""

import gc

from feedback import create_app

app = create_app()

# The objects that live as long as the web process (the app, its models, templates, compiled
# statements, translations) are left out of the garbage collector's full collections, as the
# worker's are (``worker.app``): an Open311 search of 1,000 items makes enough objects that a full
# collection walked the whole heap in the middle of it (about 290 -> 200 ms of CPU at 1,000,000
# items, issue #11). They are still freed by reference counting. gunicorn imports this module in
# each worker after forking it (no ``--preload``), so each worker freezes its own heap.
gc.freeze()
