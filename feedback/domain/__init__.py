"""Pure rules of the platform: values in, values out, time passed in.

Nothing here imports Flask, SQLAlchemy, Celery or any other part of the project.
"""
