"""drive.py <dsn> <since xid> <queries.txt> <label> <mode> <calls>: runs kSyncRows (one
caught-up user) and kSyncRowsMany (four) <calls> times each in one session,
and prints per call: planning and execution (pg_stat_statements) and the
backend's CPU (/proc/<pid>/stat). Modes: auto (PostgreSQL's choice: the
store before issue 14/16), custom (a custom plan at every call, as the
federation bench saw), generic (SET plan_cache_mode, EXECUTE, RESET around
each call: the store's ExecOnGenericPlan)."""
import os, random, subprocess, sys

dsn, since, queries, label, mode = sys.argv[1:6]
calls = int(sys.argv[6])
one, many = open(queries).read().split('\n')[:2]
user = lambda: '00000000-0000-0000-0000-%012x' % random.randint(1, 1000)


def psql(sql):
    return subprocess.run(['psql', dsn, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql],
                          capture_output=True, text=True, check=True).stdout


def cpu_seconds(pid):
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')  # utime + stime


random.seed(1)
lines = ["SET search_path = messaging, public;",
         f"PREPARE s_one(uuid, xid8, bigint, int, xid8) AS {one};",
         f"PREPARE s_many(uuid[], xid8[], bigint[], int) AS {many};",
         "SELECT pg_stat_statements_reset();", r"\o /dev/null"]
if mode == 'custom':
    lines.append("SET plan_cache_mode = force_custom_plan;")
for _ in range(calls):
    users = [user() for _ in range(4)]
    for call in (f"EXECUTE s_one('{users[0]}', '{since}', 0, 100, '18446744073709551615');",
                 f"EXECUTE s_many('{{{','.join(users)}}}', '{{{','.join([since] * 4)}}}', "
                 "'{0,0,0,0}', 100);"):
        if mode == 'generic':
            lines += ["SET plan_cache_mode = force_generic_plan;", call, "RESET plan_cache_mode;"]
        else:
            lines.append(call)
lines += [r"\o", "SELECT 'done';"]

p = subprocess.Popen(['psql', dsn, '-X', '-qAt', '-v', 'ON_ERROR_STOP=1'], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
p.stdin.write("SELECT pg_backend_pid();\n")
p.stdin.flush()
pid = int(p.stdout.readline())
cpu0 = cpu_seconds(pid)
p.stdin.write('\n'.join(lines) + '\n')
p.stdin.flush()
while p.stdout.readline().strip() != 'done':
    pass
cpu = cpu_seconds(pid) - cpu0
p.stdin.close()
p.wait()

rows = psql("SELECT CASE WHEN query LIKE 'PREPARE s_one%' THEN 'kSyncRows' "
            "WHEN query LIKE 'PREPARE s_many%' THEN 'kSyncRowsMany' ELSE 'SET/RESET' END, "
            "sum(calls), sum(plans), sum(total_plan_time), sum(total_exec_time) "
            "FROM pg_stat_statements WHERE query LIKE 'PREPARE s_%' OR query ILIKE '%plan_cache_mode%' "
            "GROUP BY 1 ORDER BY 1")
for row in rows.strip().split('\n'):
    what, n, plans, plan_ms, exec_ms = row.split('|')
    n = int(n)
    print(f"{label} {mode:8} {what:14} calls {n:5}  plans {int(plans):5}  "
          f"plan {float(plan_ms) / n:.3f} ms/call  exec {float(exec_ms) / n:.3f} ms/call")
print(f"{label} {mode:8} backend CPU {cpu * 1000 / (2 * calls):.3f} ms per sync statement "
      f"({2 * calls} statements, {cpu:.2f} s)")
