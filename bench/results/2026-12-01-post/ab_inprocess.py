"""Issue #11, 01/12/2026: CPU per submission POST with this branch's two changes switched off and on in
ONE process (same app, same database, same load), in alternating batches, so that the machine's
load, which moved between 7 and 13 during these runs, falls on both sides alike.

    .venv/bin/python bench/results/2026-12-01-post/ab_inprocess.py [BATCH] [ROUNDS]

Needs the database feedback_bench_post (bench/profile_post.py --database feedback_bench_post
--redis-db 14 --keep made it) and Redis db 14. Modes: "main" = send_task and SubmitForm (main's
code paths), "publisher" = jobs.RedisPublisher only, "both" = the publisher and posted_submission.
The Open311 POST has the publisher only ("main" / "publisher").
"""
import os, re, sys, time, secrets, statistics
from pathlib import Path
ROOT = str(Path(__file__).resolve().parents[3])
db_url = 'postgresql+psycopg://postgres@127.0.0.1:5432/feedback_bench_post'
os.environ.update(FEEDBACK_ENV='production', SECRET_KEY=secrets.token_hex(32), DATABASE_URL=db_url, REDIS_URL='redis://127.0.0.1:6379/14',
                  CELERY_BROKER_URL='redis://127.0.0.1:6379/14', UPLOAD_DIR='/tmp/uploads-post', SUBMIT_RATE_LIMIT='100000000 per minute')
sys.path.insert(0, ROOT)
from feedback import create_app, jobs
from feedback.extensions import db
from sqlalchemy import select
from feedback.models import Locality, LocalityLevel, Topic
app = create_app(SESSION_COOKIE_SECURE=False)
with app.app_context():
    village = db.session.scalars(select(Locality).where(Locality.level == LocalityLevel.VILLAGE).order_by(Locality.code)).first()
    commune = db.session.get(Locality, village.parent_id)
    topic = db.session.scalars(select(Topic).where(Topic.active.is_(True), Topic.parent_id.is_not(None)).order_by(Topic.code)).first()
    cc, vc, tc = commune.code, village.code, topic.code
    db.session.remove()
client = app.test_client()
page = client.get('/submit').get_data(as_text=True)
csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
b = "----benchBoundary7MA4YWxkTrZu0gW"
n = iter(range(10**9))
nonce = secrets.token_hex(4)
def post():
    fields = {"csrf_token": csrf, "submission_key": key, "kind": "report", "commune": cc, "village": vc, "topic": tc,
              "title": f"Rác tồn đọng ở đầu ngõ {nonce}-{next(n)}", "body": "Rác không được thu gom ba ngày nay, bốc mùi khó chịu cho cả khu phố.", "name": "", "phone": "", "email": ""}
    parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{b}--\r\n')
    r = client.post('/submit', content_type=f'multipart/form-data; boundary={b}', data=''.join(parts).encode())
    assert r.status_code == 303, r.status_code
from feedback.public import views
from feedback.domain.events import Actor
from feedback.services import open311
from datetime import UTC, datetime
real_publisher, real_posted = jobs.redis_publisher_for, views.posted_submission
with app.app_context():
    api_key = str(open311.issue_key(f"ab-{secrets.token_hex(4)}", actor=Actor.system(), now=datetime.now(UTC),
                                    rate_limit="100000000 per minute").key)
api = app.test_client()

def open311_post():
    r = api.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": tc, "address_id": cc, "attribute[village]": vc, "attribute[kind]": "report",
        "description": f"Rác tồn đọng ở đầu ngõ {nonce}-{next(n)}. Rác không được thu gom ba ngày nay."})
    assert r.status_code == 200, r.status_code

def mode(name):
    jobs.redis_publisher_for = real_publisher if name in ("publisher", "both") else (lambda c: False)
    views.posted_submission = real_posted if name == "both" else (lambda: None)
    app.extensions.pop('feedback_redis_publisher', None)

BATCH, ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 50, int(sys.argv[2]) if len(sys.argv) > 2 else 10
plans = {"form": (post, ["main", "publisher", "both"]), "open311": (open311_post, ["main", "publisher"])}
loads = [os.getloadavg()[0]]
for kind, (fn, modes) in plans.items():
    for m in modes:
        mode(m)
        for _ in range(20): fn()
    res = {m: [] for m in modes}
    for r in range(ROUNDS):
        for m in (modes if r % 2 == 0 else modes[::-1]):
            mode(m); fn()
            t = time.process_time()
            for _ in range(BATCH): fn()
            res[m].append((time.process_time() - t) / BATCH * 1000)
        loads.append(os.getloadavg()[0])
    for m in modes:
        v = res[m]
        print(f"{kind} {m:9s}: median {statistics.median(v):.2f} ms CPU per POST "
              f"(batches of {BATCH}: {', '.join(f'{x:.2f}' for x in v)})")
print(f"load average (1 min) from {min(loads):.1f} to {max(loads):.1f}")
