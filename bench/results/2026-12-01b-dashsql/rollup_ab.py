import sys, time, statistics, psycopg
S = "sum(received), sum(answered), sum(answered_on_time), sum(transfers), sum(reopened), sum(ratings), sum(satisfied), sum(answer_changes)"
C = "commune_id = ANY('{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55}'::int[])"
Q = {
 "sets unit+() Jan-Nov": f"select unit_id, grouping(unit_id), {S} from stat_monthly_unit where month between '2026-01-01' and '2026-11-01' and {C} group by grouping sets ((unit_id), ())",
 "month Dec-Nov": f"select month, {S} from stat_monthly_unit where month between '2025-12-01' and '2026-11-01' and {C} group by month",
 "unit Jan-Nov": f"select unit_id, {S} from stat_monthly_unit where month between '2026-01-01' and '2026-11-01' and {C} group by unit_id",
 "unit,month Dec-Nov": f"select unit_id, month, {S} from stat_monthly_unit where month between '2025-12-01' and '2026-11-01' and {C} group by unit_id, month",
 "unit,month Dec-Nov nofilter": f"select unit_id, month, {S} from stat_monthly_unit where month between '2025-12-01' and '2026-11-01' group by unit_id, month",
}
db = sys.argv[1]; runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={db}") as conn:
    res = {k: [] for k in Q}
    for _ in range(runs):
        for k, q in Q.items():
            t = time.perf_counter(); conn.execute(q).fetchall(); res[k].append((time.perf_counter() - t) * 1000)
    for k, v in res.items():
        print(f"{k:32} min {min(v):6.2f}  median {statistics.median(v):6.2f} ms")
