-- The drill-down's count (bench page "drill-down: received, province, this_month"), as paginate
-- sends it (a join) and with one lookup per id forced (LATERAL ... LIMIT 1); then this year's.
\timing off
\set communes '''{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55}'''
\echo '== this month, join (paginate)'
EXPLAIN (ANALYZE, COSTS off) SELECT count(*) FROM (SELECT feedback.id FROM feedback JOIN (SELECT DISTINCT feedback_id FROM stat_fact WHERE measure = 'received' AND commune_id = ANY (:communes::int[]) AND day BETWEEN '2026-11-01' AND '2026-11-30') behind ON behind.feedback_id = feedback.id WHERE feedback.locality_id IN (SELECT id FROM locality WHERE path LIKE '/1/%')) s;
\echo '== this month, lateral'
EXPLAIN (ANALYZE, COSTS off) SELECT count(*) FROM (SELECT DISTINCT feedback_id FROM stat_fact WHERE measure = 'received' AND commune_id = ANY (:communes::int[]) AND day BETWEEN '2026-11-01' AND '2026-11-30') behind CROSS JOIN LATERAL (SELECT 1 FROM feedback WHERE feedback.id = behind.feedback_id AND feedback.locality_id IN (SELECT id FROM locality WHERE path LIKE '/1/%') LIMIT 1) seen;
\echo '== this year, join (paginate)'
EXPLAIN (ANALYZE, COSTS off) SELECT count(*) FROM (SELECT feedback.id FROM feedback JOIN (SELECT DISTINCT feedback_id FROM stat_fact WHERE measure = 'received' AND commune_id = ANY (:communes::int[]) AND day BETWEEN '2026-01-01' AND '2026-11-30') behind ON behind.feedback_id = feedback.id WHERE feedback.locality_id IN (SELECT id FROM locality WHERE path LIKE '/1/%')) s;
\echo '== this year, lateral'
EXPLAIN (ANALYZE, COSTS off) SELECT count(*) FROM (SELECT DISTINCT feedback_id FROM stat_fact WHERE measure = 'received' AND commune_id = ANY (:communes::int[]) AND day BETWEEN '2026-01-01' AND '2026-11-30') behind CROSS JOIN LATERAL (SELECT 1 FROM feedback WHERE feedback.id = behind.feedback_id AND feedback.locality_id IN (SELECT id FROM locality WHERE path LIKE '/1/%') LIMIT 1) seen;
