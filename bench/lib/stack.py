"""Shared harness of the Bridge benchmarks (bench/bridge/run, bench/spike/run, bench/soak/run, bench/gate/run).

Builds the binaries, starts a private PostgreSQL 15 (scripts/test-pg), a Hub (SQLite store) and Bridges, applies
the bench project — users (10 columns, 100,000 rows, unique email), posts -> users -> teams -> orgs — loads the
rows with generate_series and creates API keys. Stdlib only.

    import sys, os; sys.path.insert(0, os.path.join(REPO, "bench", "lib")); import stack
    st = stack.Stack("spike")                    # temp work dir
    st.start_postgres()
    hub = st.start_hub(bins["hub"])              # one Hub; st.create_project(hub, "bench", limits=...) etc.
    ...
    st.stop()                                    # Bridges, Hubs, PostgreSQL, work dir
"""
import base64
import datetime
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
USERS = 100_000
POSTS = 100_000
TEAMS = 1_000
ORGS = 100
IDENTITY_START = 20_000_000  # ids of rows inserted through the Bridge / pgbench

SCHEMA = """version: 1
tables:
  orgs:
    id: { generate: auto_increment }
    columns:
      name: { type: string }
      created_at: { type: timestamp, default: now }
  teams:
    id: { generate: auto_increment }
    columns:
      name: { type: string }
      org_id:
        type: bigint
        references: { table: orgs, as: org, onDelete: cascade }
    indexes:
      - columns: [org_id]
  users:
    id: { generate: auto_increment }
    columns:
      email: { type: string, unique: true }
      display_name: { type: string }
      age: { type: int }
      status: { type: string, default: "active" }
      score: { type: float }
      balance: { type: decimal }
      active: { type: boolean, default: true }
      team_id:
        type: bigint
        nullable: true
        references: { table: teams, as: team, onDelete: set_null }
      created_at: { type: timestamp, default: now }
    indexes:
      - columns: [team_id]
  posts:
    id: { generate: auto_increment }
    columns:
      author_id:
        type: bigint
        references: { table: users, as: author, onDelete: cascade }
      title: { type: string }
      body: { type: string, nullable: true }
      status: { type: string, default: "draft" }
      published_at: { type: timestamp, nullable: true }
    indexes:
      - columns: [author_id]
"""

PERMISSIONS = "tables:\n" + "".join(
    f"  {t}:\n" + "".join(f"    {op}:\n      - roles: [bench]\n" for op in ("select", "insert", "update", "delete"))
    for t in ("orgs", "teams", "users", "posts"))

def load_sql(users=USERS, posts=POSTS):
    """Rows of the bench project (users/posts counts adjustable: the regression gate loads fewer)."""
    return f"""
BEGIN;
INSERT INTO orgs (id, name, created_at)
  SELECT g, 'Org ' || g, now() - g * interval '1 day' FROM generate_series(1, {ORGS}) g;
INSERT INTO teams (id, name, org_id)
  SELECT g, 'Team ' || g, 1 + g % {ORGS} FROM generate_series(1, {TEAMS}) g;
INSERT INTO users (id, email, display_name, age, status, score, balance, active, team_id, created_at)
  SELECT g, 'user' || g || '@bench.local', 'User number ' || g, 18 + g % 60,
         (ARRAY['active','invited','disabled'])[1 + g % 3], (g % 1000) / 10.0, (g % 100000) / 100.0,
         g % 7 <> 0, CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + g % {TEAMS} END, now() - g * interval '1 minute'
  FROM generate_series(1, {users}) g;
INSERT INTO posts (id, author_id, title, body, status, published_at)
  SELECT g, 1 + (g * 7919) % {users}, 'Post title ' || g, repeat('Lorem ipsum dolor sit amet. ', 1 + g % 8),
         CASE WHEN g % 4 = 0 THEN 'draft' ELSE 'published' END, now() - g * interval '10 minutes'
  FROM generate_series(1, {posts}) g;
COMMIT;
SELECT setval(pg_get_serial_sequence('orgs', 'id'), {IDENTITY_START});
SELECT setval(pg_get_serial_sequence('teams', 'id'), {IDENTITY_START});
SELECT setval(pg_get_serial_sequence('users', 'id'), {IDENTITY_START});
SELECT setval(pg_get_serial_sequence('posts', 'id'), {IDENTITY_START});
VACUUM ANALYZE;
"""


LOAD_SQL = load_sql()

def log(msg):
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    out = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    return out.stdout


def as_pg(cmd):
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


class Psql:
    def __init__(self, url):
        self.url = url

    def __call__(self, sql, db_url=None):
        out = subprocess.run(["psql", db_url or self.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                             text=True, capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}\nSQL: {sql[:300]}")
        return out.stdout.strip()

    def script(self, sql, db_url):
        out = subprocess.run(["psql", db_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=sql, text=True,
                             capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}")


def proc_cpu(pid):
    """utime+stime (+ cutime+cstime of reaped children) of a process, seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def machine_busy():
    """CPU seconds the whole machine spent busy (all cores; /proc/stat, everything but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        out.append(int(d))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                pass
    return out


class Server:
    """A child process that logs a JSON line with "msg":"<name> listening" and "port":N."""

    def __init__(self, name, binary, env, logpath):
        self.name, self.logpath = name, logpath
        full = dict(os.environ)
        full.update(env)
        self.logf = open(logpath, "w")
        self.proc = subprocess.Popen([binary], env=full, stdout=self.logf, stderr=self.logf,
                                     cwd=os.path.dirname(logpath), preexec_fn=raise_nofile)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(logpath) as f:
                for line in f:
                    if f"{name} listening" in line:
                        m = re.search(r'"port":(\d+)', line)
                        if m:
                            self.port = int(m.group(1))
                            return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n" + open(logpath).read()[-3000:])
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not report listening within 30 s:\n" + open(logpath).read()[-3000:])

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


class Postgres:
    """A private PostgreSQL 15 (scripts/test-pg) under <workdir>/pg; pg_stat_statements preloaded on request."""

    def __init__(self, workdir, pg_stat_statements=False, unix_socket=False):
        self.dir = os.path.join(workdir, "pg")
        self.unix_socket = unix_socket
        self.log = os.path.join(self.dir, "server.log")
        self.admin_url = run([os.path.join(REPO, "scripts/test-pg"), "start", self.dir]).strip()
        self.psql = Psql(self.admin_url)
        try:
            if pg_stat_statements:
                self.configure()
            self.settings = dict(
                line.split("|", 1) for line in self.psql(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections','shared_buffers',"
                    "'fsync','synchronous_commit','full_page_writes','server_version')").splitlines())
        except Exception:
            self.stop()
            raise

    def url(self, db):
        """URL of database `db`: loopback TCP, or with unix_socket the server's Unix-domain socket (its
        directory is self.dir) — how a service on the same host would normally connect."""
        if self.unix_socket:
            m = re.fullmatch(r"postgres://([^@]+)@127\.0\.0\.1:(\d+)/[^/]*", self.admin_url)
            return f"postgres://{m.group(1)}@/{db}?host={self.dir}&port={m.group(2)}"
        return self.admin_url.rsplit("/", 1)[0] + "/" + db

    def configure(self):
        # pg_stat_statements needs preloading; statement logging (for the sample requests) is switched on and off
        # with reloads. test-pg's start options are kept by `pg_ctl restart` (postmaster.opts).
        self.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        self.psql("ALTER SYSTEM SET log_line_prefix = '@@STK %d %p '")
        run(as_pg([f"{PGBIN}/pg_ctl", "-D", os.path.join(self.dir, "data"), "-l", self.log, "-w", "-t", "60",
                   "-m", "fast", "restart"]))
        self.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def postmaster_pid(self):
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def cpu(self):
        pm = self.postmaster_pid()
        return proc_cpu(pm) + sum(proc_cpu(c) for c in children_of(pm))

    def stop(self):
        subprocess.run([os.path.join(REPO, "scripts/test-pg"), "stop", self.dir], capture_output=True)


def http_json(url, method="GET", body=None, token=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {url} -> {e.code} {e.read().decode()[:1000]}") from None


def post_call(port, api_key, body, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("POST", "/call", body=body.encode(),
              headers={"Content-Type": "application/json", "X-Santokit-Api-Key": api_key})
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, data


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))]



def raise_nofile():
    """In a child before exec: RLIMIT_NOFILE soft limit up to the hard limit (the spike opens 5,000 connections)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid):
    """VmRSS of a process in kB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def healthz(port, timeout=2):
    """GET /healthz on 127.0.0.1:port -> HTTP status, or None when nothing answers."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("GET", "/healthz")
        status = c.getresponse().status
        c.close()
        return status
    except OSError:
        return None


def git_commit(src=REPO):
    commit = subprocess.run(["git", "-C", src, "rev-parse", "--short=12", "HEAD"], text=True,
                            capture_output=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", src, "status", "--porcelain", "--", "services", "libs"], text=True,
                           capture_output=True).stdout.strip()
    return commit + ("+dirty" if dirty else "")


BENCH_TARGETS = ("santokit-hub", "santokit-bridge", "bench_bridge_load")


def build(build_dir, targets=BENCH_TARGETS, src=REPO, no_build=False, build_type="Release"):
    """Configures (Release at -O2, as the deploy images build minus debug info; ccache via the top CMakeLists) and
    builds only `targets`. Returns the binaries' absolute paths: {"hub", "bridge", "load"}."""
    build_dir = os.path.abspath(build_dir)  # servers run with their work dir as cwd
    if not no_build:
        log(f"building {', '.join(targets)} in {build_dir} ({build_type})")
        cmd = ["cmake", "-S", src, "-B", build_dir, "-G", "Ninja", f"-DCMAKE_BUILD_TYPE={build_type}"]
        if build_type == "Release":
            cmd.append("-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["ninja", "-C", build_dir] + list(targets), check=True)
    bins = {"hub": os.path.join(build_dir, "services/hub/santokit-hub"),
            "bridge": os.path.join(build_dir, "services/bridge/santokit-bridge"),
            "load": os.path.join(build_dir, "bench/bench_bridge_load")}
    names = {"santokit-hub": "hub", "santokit-bridge": "bridge", "bench_bridge_load": "load"}
    for t in targets:
        p = bins.get(names.get(t, ""), "")
        if p and not os.access(p, os.X_OK):
            sys.exit(f"bench: {p} is missing (build it, or drop --no-build)")
    return bins


def limits_yaml(api_key=0, api_key_burst=0, per="1m"):
    """config/limits.yaml of the project (format decided for the rate limiter: requests 0 = unlimited; burst
    omitted = requests)."""
    burst = f", burst: {api_key_burst}" if api_key and api_key_burst else ""
    return (f"rateLimits:\n  apiKey: {{ requests: {api_key}, per: {per}{burst} }}\n"
            "  endUser: { requests: 0, per: 1m }\n  ip: { requests: 0, per: 1m }\n")


class Hub:
    def __init__(self, server, owner, password, bridge_token):
        self.server, self.bridge_token = server, bridge_token
        self.url = f"http://127.0.0.1:{server.port}"
        self.op = http_json(self.url + "/api/auth/login", "POST", {"email": owner, "password": password})["token"]

    def api(self, path, body):
        return http_json(self.url + path, "POST", body, self.op)


class Stack:
    """Processes of one benchmark run in a temp work dir; stop() ends them (by pid) and removes the dir."""

    def __init__(self, name, keep=False):
        self.workdir = tempfile.mkdtemp(prefix=f"stk-bench-{name}.")
        os.chmod(self.workdir, 0o755)  # PostgreSQL runs as `postgres` below it
        self.keep = keep
        self.pg = None
        self.servers = []

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def start_postgres(self, pg_stat_statements=False, unix_socket=False):
        log(f"PostgreSQL (work dir {self.workdir}; services connect over "
            f"{'its Unix socket' if unix_socket else 'loopback TCP'})")
        self.pg = Postgres(self.workdir, pg_stat_statements, unix_socket)
        return self.pg

    def start_hub(self, binary, tag="hub"):
        log(f"santokit-hub ({tag})")
        token = secrets.token_urlsafe(18)
        owner, password = "bench@santokit.local", secrets.token_urlsafe(12)
        server = Server("santokit-hub", binary, {
            "STK_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "STK_HUB_DB_URL": "sqlite://" + self.path(f"{tag}.db"),
            "STK_HUB_PORT": "0", "STK_HUB_HOST": "127.0.0.1",
            "STK_HUB_BOOTSTRAP_OWNER_EMAIL": owner, "STK_HUB_BOOTSTRAP_OWNER_PASSWORD": password,
            "STK_BRIDGE_TOKENS": token}, self.path(f"{tag}.log"))
        self.servers.append(server)
        return Hub(server, owner, password, token)

    def create_project(self, hub, db, limits=None, users=USERS, posts=POSTS):
        """Database `db`, project/env bench with connection main on it, the bench schema applied, the rows loaded.
        `limits`: text of config/limits.yaml (also written to <workdir>/project-<db>/config/limits.yaml, the
        project folder `stk apply` would read). Returns the database URL."""
        self.pg.psql(f"CREATE DATABASE {db}")
        db_url = self.pg.url(db)
        folder = self.path(f"project-{db}")
        os.makedirs(os.path.join(folder, "schema"))
        os.makedirs(os.path.join(folder, "config"))
        with open(os.path.join(folder, "schema", "bench.yaml"), "w") as f:
            f.write(SCHEMA)
        with open(os.path.join(folder, "config", "permissions.yaml"), "w") as f:
            f.write(PERMISSIONS)
        if limits:
            with open(os.path.join(folder, "config", "limits.yaml"), "w") as f:
                f.write(limits)
        hub.api("/api/projects", {"project": "bench"})
        hub.api("/api/envs", {"project": "bench", "env": "bench"})
        hub.api("/api/connections/set", {"project": "bench", "env": "bench", "name": "main", "dbUrl": db_url})
        t = time.time()
        body = {"project": "bench", "env": "bench", "ref": "bench",
                "schema": [{"path": "schema/bench.yaml", "content": SCHEMA}], "permissions": PERMISSIONS}
        if limits:
            body["limits"] = limits  # ignored by a Hub without rate limits
        hub.api("/api/apply", body)
        log(f"applied the bench project in {time.time() - t:.2f} s; loading data")
        t = time.time()
        self.pg.psql.script(load_sql(users, posts), db_url)
        self.data_load_s = round(time.time() - t, 2)
        log(f"loaded {users} users, {posts} posts, {TEAMS} teams, {ORGS} orgs in {self.data_load_s:.1f} s")
        return db_url

    @staticmethod
    def api_key(hub, name, roles=("bench",)):
        return hub.api("/api/apikeys/create", {"project": "bench", "env": "bench", "name": name,
                                               "roles": list(roles)})["apiKey"]

    def start_bridge(self, binary, hub, tag="bridge", env=None, api_key=None):
        """A Bridge following `hub`; with `api_key`, waits until it serves the bench release (≤ 30 s)."""
        log(f"santokit-bridge ({tag})")
        full = {"STK_HUB_URL": hub.url, "STK_BRIDGE_TOKEN": hub.bridge_token, "STK_BRIDGE_HOST": "127.0.0.1",
                "STK_BRIDGE_PORT": "0", "STK_BRIDGE_CACHE_DIR": self.path(f"{tag}-cache"),
                # Benchmarks measure throughput: no rate limits unless the caller sets them (the Bridge's default
                # is 1000/min per API key). Bridges without rate limiting ignore these.
                "STK_RATE_LIMIT_PER_API_KEY": "0", "STK_RATE_LIMIT_PER_END_USER": "0", "STK_RATE_LIMIT_PER_IP": "0"}
        full.update(env or {})
        server = Server("santokit-bridge", binary, full, self.path(f"{tag}.log"))
        server.env = {k: v for k, v in full.items() if k != "STK_BRIDGE_TOKEN"}
        self.servers.append(server)
        if api_key:
            body = '{"path":"db/users/select","params":{"where":{"id":1}}}'
            deadline = time.time() + 30
            while True:
                status, data = post_call(server.port, api_key, body)
                if status == 200:
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"the Bridge does not serve the release after 30 s: {status} {data[:500]}")
                time.sleep(0.2)
            log(f"Bridge ({tag}) on port {server.port} serves the release")
        return server

    def stop(self):
        for s in reversed(self.servers):
            s.stop()
        self.servers = []
        if self.keep:
            log(f"kept {self.workdir} (PostgreSQL still running: scripts/test-pg stop {self.workdir}/pg)")
            return
        if self.pg:
            self.pg.stop()
            self.pg = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_load(load_bin, port, api_key, bodies, expect=None, extra=(), series=None, timeout=None):
    """bench_bridge_load against POST /call; returns its JSON summary (and the per-second series when asked)."""
    cmd = [load_bin, "--port", str(port), "--path", "/call", "--header", "X-Santokit-Api-Key: " + api_key]
    for b in ([bodies] if isinstance(bodies, str) else bodies):
        cmd += ["--body", b]
    if expect:
        cmd += ["--expect", expect]
    if series:
        cmd += ["--series", series]
    cmd += [str(x) for x in extra]
    out = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"bench_bridge_load failed ({out.returncode}): {out.stderr[-2000:]}")
    r = json.loads(out.stdout)
    if series:
        with open(series) as f:
            r["series"] = json.load(f)["seconds"]
    return r


def write_file(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
