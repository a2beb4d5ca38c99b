"""explain.py <label> <dsn> <since xid> <old.txt> <new.txt>: server-side Execution
Time (EXPLAIN ANALYZE) of kSyncRows and of kStreamHorizon, old and new
interleaved, 200 runs each for random users (the first 20 skipped)."""
import random, re, statistics, subprocess, sys

label, dsn, since = sys.argv[1:4]
texts = {v: open(p).read().split('\n') for v, p in (('old', sys.argv[4]), ('new', sys.argv[5]))}
lines = ["SET search_path = messaging;"]
for v, (sync, horizon) in ((v, t[:2]) for v, t in texts.items()):
    lines.append(f"PREPARE s_{v}(uuid, xid8, bigint, int, xid8) AS {sync};")
    lines.append(f"PREPARE h_{v} AS {horizon};")
random.seed(1)
for _ in range(200):
    user = '00000000-0000-0000-0000-%012x' % random.randint(1, 1000)
    for v in texts:
        lines.append(f"EXPLAIN (ANALYZE, TIMING OFF) EXECUTE s_{v}('{user}', '{since}', 0, 100, "
                     "'99999999999');")
        lines.append(f"EXPLAIN (ANALYZE, TIMING OFF) EXECUTE h_{v};")
out = subprocess.run(['psql', dsn, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1'], input='\n'.join(lines),
                     capture_output=True, text=True, check=True).stdout
times = [float(x) for x in re.findall(r'Execution Time: ([0-9.]+) ms', out)]
for k, (v, what) in enumerate((('old', 'sync'), ('old', 'horizon'), ('new', 'sync'),
                               ('new', 'horizon'))):
    t = sorted(times[k::4][20:])
    print(f"{label} {v} {what}: median {statistics.median(t):.3f} ms, "
          f"p90 {t[int(len(t) * 0.9)]:.3f} ms (n={len(t)})")
