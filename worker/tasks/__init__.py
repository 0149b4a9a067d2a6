"""Celery tasks: thin shells that unpack ids, call one service and declare their retry policy."""

from worker.tasks import deadlines, notifications  # noqa: F401  (registers the deadline and mail tasks)
from worker.tasks import maintenance  # noqa: F401  (registers tidy_uploads, purge_broker_messages, refresh_medians)
from worker.tasks import ratings  # noqa: F401  (registers close_answered, remind_to_rate)
from worker.tasks import routing  # noqa: F401  (registers route_feedback, reroute_feedback, sweep_received)
from worker.tasks import rules  # noqa: F401  (registers import_routing_rules)
from worker.tasks import watch  # noqa: F401  (registers find_hot_spots, generate_briefing_reports)
