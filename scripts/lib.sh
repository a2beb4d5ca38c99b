# Shared by run.sh and test.sh: dependencies, build, private PostgreSQL and NATS.
# Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="/usr/lib/postgresql/15/bin"
# Paths under the checkout are hashed relative to the build directory, so a
# fresh clone elsewhere (CI) reuses the compiler cache of an earlier build.
export CCACHE_BASEDIR="$ROOT"

say() { printf '\033[1m[messenger]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Every Debian package the project needs to build, run and test.
PACKAGES=(
  build-essential cmake pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libnats-dev nats-server libcpp-httplib-dev libsodium-dev nlohmann-json3-dev
  libpq-dev postgresql-15 postgresql-client-15 libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev libcurl4-openssl-dev
  python3-aiosmtpd python3-yaml openssl  # python3-yaml: api/openapi.yaml embedded at build time
  libssl-dev  # federation: HTTPS to other homeservers (cpp-httplib with OpenSSL)
  python3-signedjson python3-canonicaljson  # federation tests: matrix.org's own signing libraries
  linux-perf  # bench/results: profiles of the send path
  iproute2  # ss: scripts/test.sh skips a PostgreSQL port already in use
  clang-14 libclang-rt-14-dev  # the fuzz build: clang with libFuzzer and the sanitizer runtimes
  chromium  # the browser test (tests/browser) drives the reference web client headless
  python3-jsonschema python3-matrix-nio  # tests/matrix: spec schemas and a real Matrix client
  python3-olm  # tests/matrix/keys_test.py: matrix-nio with encryption (keys upload, query, claim)
)

install_deps() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}): run as root or install them"
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
  # The postgresql package starts a cluster of its own on 5432; we do not use it.
  say "packages installed"
}

# configure <dir> [extra cmake args...]
configure() {
  local dir="$1"; shift
  mkdir -p "$dir"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; die "cmake configure failed"; }
}

# compile <dir> [target]: the whole tree, or one target and what it needs.
compile() {
  local dir="$1" target="${2:-all}"
  say "building $target in ${dir#$ROOT/} (-j2)"
  local start=$SECONDS
  if ! cmake --build "$dir" --target "$target" -j2 >"$dir.build.log" 2>&1; then
    grep -E -A3 "error|Error" "$dir.build.log" | head -60
    die "build failed (full log: $dir.build.log)"
  fi
  say "build done in $((SECONDS - start)) s"
}

# build <dir> [extra cmake args...]: configure and build everything (Release).
build() {
  configure "$@"
  compile "$1"
}

# A directory the postgres user can reach: <dir> itself if its parents are
# traversable, otherwise a private directory elsewhere, linked from <dir>.
pg_reachable_dir() {
  local dir="$1"
  mkdir -p "$dir"
  if runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    echo "$dir"
    return
  fi
  local alt="/var/tmp/messenger-pg/$(echo -n "$dir" | sha256sum | cut -c1-16)"
  mkdir -p "$alt"
  say "postgres cannot reach $dir; keeping its data in $alt"
  echo "$alt"
}

# clear_pg_dir <dir>: removes the cluster start_pg would use for <dir>,
# wherever pg_reachable_dir put it.
clear_pg_dir() {
  local dir="$1"
  rm -rf "/var/tmp/messenger-pg/$(echo -n "$dir" | sha256sum | cut -c1-16)" "$dir"
}

# reap_leftovers <dir>: kills (by pid) the processes whose command line names
# <dir> and says which; fails if there were any.
reap_leftovers() {
  local dir="$1" pids
  pids="$(pgrep -f -- "$dir" || true)"
  [ -n "$pids" ] || return 0
  say "processes left behind by the tests:"
  ps -o pid=,args= -p "$(echo $pids | tr ' ' ',')" >&2 || true
  for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
  return 1
}

# start_pg <dir> <port> [extra postgres -c settings...]
start_pg() {
  local dir="$1" port="$2"; shift 2
  local base
  base="$(pg_reachable_dir "$dir")"
  local data="$base/data" run="$base/run"
  mkdir -p "$run"
  chown postgres:postgres "$base" "$run"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initdb into $data"
    mkdir -p "$data" && chown postgres:postgres "$data"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$base/initdb.log" 2>&1 || { cat "$base/initdb.log"; die "initdb failed"; }
  fi
  if runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    say "PostgreSQL already running on $data"
  else
    local opts="-p $port -k $run -c listen_addresses=127.0.0.1 -c max_connections=300"
    for setting in "$@"; do opts="$opts -c $setting"; done
    say "starting PostgreSQL on 127.0.0.1:$port ($data)"
    touch "$base/postgres.log" && chown postgres:postgres "$base/postgres.log"
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$base/postgres.log" -o "$opts" -w -t 60 start \
      >/dev/null || { tail -20 "$base/postgres.log"; die "PostgreSQL did not start"; }
  fi
  PG_DATA_DIR="$data"
}

stop_pg() {
  [ -n "${PG_DATA_DIR:-}" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  say "PostgreSQL stopped"
}

# ensure_db <port> <name>
ensure_db() {
  local port="$1" name="$2"
  if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
       "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" \
      || die "could not create database $name"
  fi
}

# The services that own a PostgreSQL schema, and the NATS users
# (k8s/base/nats-users.conf says what each may publish and subscribe).
MESSENGER_SERVICES=(session auth profile contact messaging)
NATS_USERS=(gateway auth session profile contact messaging messenger admin)

# random_secret <file>: prints the secret kept in <file>, which is made
# (random, readable by its owner only) on first use. Never committed: var/.
random_secret() {
  local file="$1"
  if [ ! -s "$file" ]; then
    mkdir -p "$(dirname "$file")"
    # A letter first: nats-server reads a password variable as a configuration
    # value, and one like 4e6… would be a number.
    (umask 077 && echo "p$(openssl rand -hex 24)" >"$file") || die "cannot write $file"
  fi
  cat "$file"
}

# bootstrap_pg_roles <port> <database> <secrets dir>: as the superuser, the
# role messenger_<service> (password in <secrets dir>/pg-<service>) owning the
# schema <service>, for each service (k8s/base/pg-bootstrap.sql).
bootstrap_pg_roles() {
  local port="$1" db="$2" secrets="$3" svc password
  for svc in "${MESSENGER_SERVICES[@]}"; do
    password="$(random_secret "$secrets/pg-$svc")"
    ROLE_PASSWORD="$password" psql -X -h 127.0.0.1 -p "$port" -U postgres -d "$db" \
      -v role="messenger_$svc" -v schema="$svc" -f "$ROOT/k8s/base/pg-bootstrap.sql" \
      || die "could not create the PostgreSQL role of $svc"
  done
}

# export_service_dsns <port> <database> <secrets dir>: MESSENGER_<SERVICE>_PG_DSN
# for each service (its own role), unless already set.
export_service_dsns() {
  local port="$1" db="$2" secrets="$3" svc var
  for svc in "${MESSENGER_SERVICES[@]}"; do
    var="MESSENGER_${svc^^}_PG_DSN"
    [ -n "${!var:-}" ] && continue
    export "$var=host=127.0.0.1 port=$port dbname=$db user=messenger_$svc password=$(random_secret "$secrets/pg-$svc") application_name=$svc connect_timeout=5"
  done
}

# start_nats <store dir> <port> [<secrets dir>]: with a secrets dir, the server
# accepts only the users of k8s/base/nats-users.conf, with the passwords in
# <secrets dir>/nats-<user> (made on first use).
start_nats() {
  local dir="$1" port="$2" secrets="${3:-}" user
  mkdir -p "$dir"
  local args=(-js -a 127.0.0.1 -p "$port" -sd "$dir")
  if [ -n "$secrets" ]; then
    cp "$ROOT/k8s/base/nats-users.conf" "$dir/nats-users.conf"
    printf '# Written by scripts/lib.sh at each start.\ninclude ./nats-users.conf\n' >"$dir/nats.conf"
    for user in "${NATS_USERS[@]}"; do
      export "NATS_PASSWORD_${user^^}=$(random_secret "$secrets/nats-$user")"
    done
    args+=(-c "$dir/nats.conf")
  fi
  say "starting nats-server -js on 127.0.0.1:$port (store $dir${secrets:+, users of nats-users.conf})"
  # Own session: a Ctrl-C reaches messenger first, which still flushes its outbox.
  setsid nats-server "${args[@]}" >"$dir/nats.log" 2>&1 &
  NATS_PID=$!
  for user in "${NATS_USERS[@]}"; do unset "NATS_PASSWORD_${user^^}"; done
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$NATS_PID" 2>/dev/null || { tail -5 "$dir/nats.log"; die "nats-server exited"; }
    sleep 0.1
  done
  die "nats-server did not answer on port $port"
}

stop_nats() {
  [ -n "${NATS_PID:-}" ] || return 0
  kill -TERM "$NATS_PID" 2>/dev/null && wait "$NATS_PID" 2>/dev/null || true
  NATS_PID=""
  say "nats-server stopped"
}

# wait_http_ok <host> <port> <path>: polls until GET answers 200 (30 s at most).
wait_http_ok() {
  local host="$1" port="$2" path="$3"
  for _ in $(seq 1 300); do
    # A subshell, so that its redirections stay its own.
    if (exec 3<>"/dev/tcp/$host/$port" &&
        printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3 &&
        head -1 <&3 | grep -q " 200 ") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
