"""``jobs.enqueue`` on Redis pushes the very message Celery's ``send_task`` would push (issue #11:
the same message for a quarter of the CPU), and leaves to Celery what it does not build itself."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import signals
from flask import Flask

from feedback import jobs
from tests.conftest import TEST_REDIS_URL

QUEUE = "celery"


@pytest.fixture
def broker(app: Flask) -> Iterator[redis.Redis]:
    """The suite's Redis broker; the messages a test pushes are taken off again (LPUSH puts the
    newest at the head: LPOP takes it back)."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


def newest(client: redis.Redis) -> dict[str, Any]:
    raw = client.lpop(QUEUE)
    assert raw is not None, "no message was pushed"
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def without_ids(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with its task id and delivery tag (new for each message) named, not valued."""
    task_id = message["headers"]["id"]
    assert message["headers"]["root_id"] == task_id and message["properties"]["correlation_id"] == task_id
    headers = {**message["headers"], "id": "<id>", "root_id": "<id>"}
    properties = {**message["properties"], "correlation_id": "<id>", "delivery_tag": "<tag>"}
    assert message["properties"]["delivery_tag"] not in ("", task_id)
    return {**message, "headers": headers, "properties": properties}


def test_enqueue_pushes_the_message_celery_sends(app: Flask, broker: redis.Redis) -> None:
    """Proves: the message ``enqueue`` pushes itself is Celery's own, field for field (the task's
    name, its arguments in the body, the headers a worker reads, the delivery properties), ids
    apart; both on the default queue's list; and it did not go through Celery's publishing."""
    celery_app = app.extensions["celery"]
    published: list[str] = []

    def count(**kwargs: Any) -> None:
        published.append(str(kwargs.get("sender")))

    with app.app_context():
        celery_app.send_task(jobs.ROUTE_FEEDBACK, args=[4217], retry=False)
        theirs = newest(broker)
        signals.after_task_publish.connect(count)  # only while Celery is watched
        try:
            assert jobs.enqueue(jobs.ROUTE_FEEDBACK, 4217)
            assert published == [jobs.ROUTE_FEEDBACK], "with a publish signal listened to, Celery sends"
            via_celery = newest(broker)
        finally:
            signals.after_task_publish.disconnect(count)
        assert jobs.enqueue(jobs.ROUTE_FEEDBACK, 4217)
        ours = newest(broker)
        assert published == [jobs.ROUTE_FEEDBACK], "the message went through Celery's publishing"
        assert isinstance(app.extensions["feedback_redis_publisher"][2], jobs.RedisPublisher)

    assert ours["body"] == [[4217], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    assert ours["headers"]["task"] == jobs.ROUTE_FEEDBACK and ours["headers"]["argsrepr"] == "[4217]"
    assert ours["headers"]["id"] != theirs["headers"]["id"]
    assert without_ids(ours) == without_ids(theirs) == without_ids(via_celery)


def test_enqueue_leaves_to_celery_what_it_does_not_build(app: Flask, broker: redis.Redis) -> None:
    """Proves: an argument JSON does not write as it is (a float, a list) goes through Celery, and the
    worker still gets it; a task without arguments and one with a text go the short way."""
    with app.app_context():
        assert jobs.enqueue(jobs.SWEEP_RECEIVED)
        assert newest(broker)["body"][0] == []
        assert jobs.enqueue(jobs.IMPORT_ROUTING_RULES, "job-7", None)
        assert newest(broker)["headers"]["argsrepr"] == "['job-7', None]"
        assert not jobs.RedisPublisher.takes((1.5,)) and not jobs.RedisPublisher.takes(([1],))
        assert jobs.enqueue(jobs.REROUTE_FEEDBACK, 1.5, [1])
        assert newest(broker)["body"][0] == [1.5, [1]]


def test_enqueue_on_the_sqlite_broker_goes_through_celery(app: Flask, tmp_path: Any) -> None:
    """Proves: the short way is for Redis only; the embedded SQLite broker gets Celery's messages."""
    from config import TestConfig
    from feedback import create_app

    sqlite = create_app(TestConfig, CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
                        UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()  # create_app made the other Celery app the default
    assert not jobs.redis_publisher_for(sqlite.extensions["celery"])
    assert jobs.redis_publisher_for(app.extensions["celery"])
    with sqlite.app_context():
        assert jobs.enqueue(jobs.SWEEP_RECEIVED)
        assert sqlite.extensions["feedback_redis_publisher"][2] is None
    sqlite.extensions["celery"].close()


def test_enqueue_with_the_broker_down_returns_false_and_raises_nothing(app: Flask) -> None:
    """Proves: a broker that cannot be reached (nothing listens on its port) makes ``enqueue``
    answer False (the item is left for the sweep), whether or not a publisher was made before."""
    from config import TestConfig
    from feedback import create_app
    from tests.integration.processes import free_port

    down = create_app(TestConfig, CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",
                      UPLOAD_DIR=app.config["UPLOAD_DIR"])
    app.extensions["celery"].set_default()
    with down.app_context():
        assert jobs.enqueue(jobs.ROUTE_FEEDBACK, 1) is False
        assert jobs.enqueue(jobs.ROUTE_FEEDBACK, 2) is False
