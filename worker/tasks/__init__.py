"""Celery tasks: thin shells that unpack ids, call one service and declare their retry policy."""
