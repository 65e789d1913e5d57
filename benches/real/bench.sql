-- An SQLite workload for the interpreter benchmark (benches/run.py): N is substituted for @N@.
-- Inserts rows from a recursive CTE, indexes them, then joins, groups, sorts and updates.
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < @N@)
  INSERT INTO t SELECT i, (i * 7919) % 1000, 'name-' || (i * 31 % 5000), i * 0.5 FROM c;
CREATE INDEX t_k ON t(k);
CREATE TABLE u AS SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k;
CREATE UNIQUE INDEX u_k ON u(k);
UPDATE t SET v = v * 2 WHERE k % 3 = 0;
SELECT count(*), sum(t.v), max(u.n), min(t.name) FROM t JOIN u ON t.k = u.k WHERE t.k < 500;
SELECT sum(length(name)) FROM (SELECT name FROM t ORDER BY name DESC LIMIT 10000);
