"""Start gunicorn (2 sync workers) on CHECKOUT with feedback_bench_post, drive /submit or Open311 with wrk,
report req/s and CPU ms per request of: gunicorn workers, PG backends of the db, redis-server, wrk."""
import os, sys, time, subprocess, secrets, json, re, socket, urllib.request, urllib.parse
from pathlib import Path
checkout = Path(sys.argv[1]); kind = sys.argv[2]; seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
ROOT = Path('/work/wt/post')
DB = 'feedback_bench_post'
env = dict(os.environ, FEEDBACK_ENV='production', SECRET_KEY='k'*64, DATABASE_URL=f'postgresql+psycopg://postgres@127.0.0.1:5432/{DB}',
           REDIS_URL='redis://127.0.0.1:6379/14', CELERY_BROKER_URL='redis://127.0.0.1:6379/14', UPLOAD_DIR='/tmp/uploads-post',
           SUBMIT_RATE_LIMIT='100000000 per minute', LOGIN_RATE_LIMIT='100000 per minute', TRACK_RATE_LIMIT='100000000 per minute',
           PYTHONPATH=str(checkout))
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
gun = subprocess.Popen([str(ROOT/'.venv/bin/gunicorn'), '--workers', '2', '--worker-class', 'sync', '--log-level', 'warning',
                        '--bind', f'127.0.0.1:{port}', 'wsgi:app'], cwd=checkout, env=env, start_new_session=True)
def ticks(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return int(f[11]) + int(f[12])
    except FileNotFoundError:
        return 0
try:
    for _ in range(600):
        try:
            socket.create_connection(('127.0.0.1', port), 1).close(); break
        except OSError: time.sleep(0.2)
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/submit', timeout=120) as r:
        html = r.read().decode(); cookie = '; '.join(h.split(';', 1)[0] for h in r.headers.get_all('Set-Cookie') or [])
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', html).group(1)
    import psycopg
    with psycopg.connect(f'postgresql://postgres@127.0.0.1:5432/{DB}', autocommit=True) as c:
        commune, village = c.execute("SELECT c.code, v.code FROM unit u JOIN locality c ON c.id=u.locality_id JOIN locality v ON v.parent_id=c.id WHERE u.kind='commune_committee' ORDER BY (u.code LIKE '%%hatu%%' OR u.name LIKE '%%Hà Tu%%') DESC, c.code, v.code LIMIT 1").fetchone()
        topic = c.execute("SELECT code FROM topic WHERE active AND parent_id IS NOT NULL ORDER BY code LIMIT 1").fetchone()[0]
    form = {'kind': 'report', 'commune': commune, 'village': village, 'topic': topic, 'title': 'Rác tồn đọng ở đầu ngõ',
            'body': 'Rác không được thu gom ba ngày nay, bốc mùi khó chịu cho cả khu phố.', 'name': '', 'phone': '', 'email': ''}
    if kind == 'form':
        path, fields, enc, ck = '/submit', {**form, 'csrf_token': csrf, 'submission_key': key}, 'multipart', cookie
    else:
        apikey = open('/tmp/post-work/apikey').read().strip()
        path = '/open311/v2/requests.json'
        fields = {'api_key': apikey, 'service_code': topic, 'address_id': commune, 'attribute[village]': village,
                  'attribute[kind]': 'report', 'description': f"{form['title']}. {form['body']}"}
        enc, ck = 'urlencoded', ''
    def wrk(sec):
        e = {**os.environ, 'BENCH_PATH': path, 'BENCH_COOKIE': ck, 'BENCH_ENCODING': enc, 'BENCH_NONCE': secrets.token_hex(4) + '-',
             'BENCH_FIELDS': '\n'.join(f'{k}={v}' for k, v in fields.items())}
        p = subprocess.Popen(['wrk', '-t2', '-c8', f'-d{sec}s', '--timeout', '10s', '-s', str(ROOT/'bench/post.lua'), f'http://127.0.0.1:{port}'],
                             env=e, stdout=subprocess.PIPE, text=True)
        return p
    p = wrk(3); p.communicate()
    workers = [int(x) for x in subprocess.run(['pgrep', '-P', str(gun.pid)], capture_output=True, text=True).stdout.split()]
    with psycopg.connect(f'postgresql://postgres@127.0.0.1:5432/{DB}', autocommit=True) as c:
        backends = [r[0] for r in c.execute("SELECT pid FROM pg_stat_activity WHERE datname=%s AND pid <> pg_backend_pid()", (DB,))]
    redis_pid = int(subprocess.run(['pgrep', '-x', 'redis-server'], capture_output=True, text=True).stdout.split()[0])
    groups = {'workers': workers, 'pg': backends, 'redis': [redis_pid]}
    before = {g: sum(ticks(x) for x in pids) for g, pids in groups.items()}
    load = os.getloadavg()[0]
    spy = None
    if os.environ.get('SPY'):
        spy = subprocess.Popen(['/tmp/pyspy-venv-post/bin/py-spy', 'record', '--pid', str(workers[0]), '-d', str(seconds - 1), '-r', '200', '--format', 'raw', '-o', os.environ['SPY']], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = wrk(seconds); w0 = ticks(p.pid); out, _ = p.communicate()
    if spy: spy.wait()
    after = {g: sum(ticks(x) for x in pids) for g, pids in groups.items()}
    data = json.loads(next(l for l in out.splitlines() if l.startswith('BENCH '))[6:])
    n = data['requests'] - data['errors_status']
    hz = os.sysconf('SC_CLK_TCK')
    res = {g: round((after[g] - before[g]) / hz * 1000 / n, 2) for g in groups}
    print(json.dumps({'checkout': str(checkout), 'kind': kind, 'rps': round(n / (data['duration_us'] / 1e6), 1), 'p50_ms': data['p50_us']/1000,
                      'errors': data['errors_status'], 'load': round(load, 2), 'cpu_ms_per_req': res, 'n_backends': len(backends)}))
finally:
    os.killpg(gun.pid, 15); gun.wait()
