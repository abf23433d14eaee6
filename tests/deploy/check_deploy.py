#!/usr/bin/env python3
"""Checks deploy/ against the metric names of the seed (seed-performance-slos.md §4.1 + DESIGN.md Decision 8).

  check_deploy.py names  <repo>          every metric in deploy/prometheus/*.yml and deploy/grafana/*.json is known
  check_deploy.py grafana <repo> <dir>   dashboards are well formed; writes their PromQL to <dir>/grafana_rules.yml
                                         for `promtool check rules` (a syntax check of every dashboard query)
  check_deploy.py docker <repo>          Dockerfiles: non-root USER, EXPOSE, HEALTHCHECK on /healthz, COPY sources exist
  check_deploy.py names-of <file>...     (self-test helper) prints the metric names found in the given files

Exit 0 when fine, 1 with one line per problem otherwise.
"""
import json
import os
import re
import sys

# Seed §4.1 (Bridge and Hub), with their types.
SEED_METRICS = {
    "stk_bridge_request_duration_seconds": "histogram",
    "stk_bridge_requests_total": "counter",
    "stk_bridge_errors_total": "counter",
    "stk_bridge_db_query_duration_seconds": "histogram",
    "stk_bridge_db_pool_active": "gauge",
    "stk_bridge_permission_eval_duration_seconds": "histogram",
    "stk_hub_schema_apply_duration_seconds": "histogram",
    "stk_hub_releases_created_total": "counter",
    "stk_hub_audit_log_write_duration_seconds": "histogram",
    # DESIGN.md Decision 8
    "stk_bridge_rate_limited_total": "counter",
}
DESIGN_PREFIXES = ("stk_bridge_events_",)  # DESIGN.md Decision 8: stk_bridge_events_*
# Written by Prometheus itself for every scrape target (not exported by Santokit).
PROMETHEUS_SERIES = {"up"}
# Seed §4.1 "Database": the pg_stat_* views a SQL panel may read.
SEED_PG_VIEWS = {"pg_stat_statements", "pg_stat_database", "pg_stat_user_indexes"}

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    "inf", "nan", "atan2",
}
GROUPING_RE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def allowed(name):
    """None when `name` is a known series, else the reason."""
    if name in PROMETHEUS_SERIES or name.startswith(DESIGN_PREFIXES):
        return None
    if name in SEED_METRICS:
        if SEED_METRICS[name] == "histogram":
            return "a histogram is queried through its _bucket, _sum or _count series"
        return None
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base in SEED_METRICS:
            if SEED_METRICS[base] != "histogram":
                return f"{base} is a {SEED_METRICS[base]}, not a histogram"
            return None
    return "not a metric of the seed's §4.1 (or DESIGN Decision 8)"


def strip_grafana(expr):
    """Grafana variables -> values PromQL accepts ($__rate_interval -> 1m, $pool_max -> 1, "$x" -> ".*")."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}", "1m", expr)
    expr = re.sub(r'"[^"]*\$[^"]*"', '".*"', expr)  # a variable inside a label matcher
    return re.sub(r"\$\{?\w+\}?", "1", expr)  # a variable used as a number


def metric_names(expr):
    """Metric names in a PromQL expression (a lexical scan; promtool checks the syntax separately)."""
    e = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|`[^`]*`', '""', expr)  # strings
    e = re.sub(r"\{[^}]*\}", "", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)  # range and subquery selectors
    e = GROUPING_RE.sub(" ", e)  # label lists of by/without/on/ignoring/group_*
    names = []
    for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][\w:]*)", e):
        word, rest = m.group(1), e[m.end():]
        if word.lower() in PROMQL_WORDS or re.match(r"\s*\(", rest):  # keyword, function or aggregation
            continue
        names.append(word)
    # `up{...}` written as {__name__="up"} is not used here; a selector without a name would be a mistake anyway.
    return names


def label_values_query(q):
    """The series selector of a Grafana label_values(selector, label) variable query ('' if none)."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", q, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"\s*label_values\(\s*\w+\s*\)\s*", q):
        return ""
    return q


def load_yaml_exprs(path):
    """`expr:` values of a rules file (single-line or `|` block); no YAML library needed."""
    exprs, lines, i = [], open(path, encoding="utf-8").read().split("\n"), 0
    while i < len(lines):
        m = re.match(r"^(\s*)-?\s*expr:\s*(.*)$", lines[i])
        if m:
            indent, value = len(m.group(1)), m.group(2).strip()
            if value in ("|", ">", "|-", ">-"):
                block = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i])
                    i += 1
                exprs.append("\n".join(block))
                continue
            exprs.append(value.strip("'\""))
        i += 1
    return exprs


def dashboard_queries(path):
    """(where, kind, text) for every query of a dashboard: kind is promql or sql."""
    d = json.load(open(path, encoding="utf-8"))
    out = []
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            sel = label_values_query(q)
            if sel:
                out.append((f"variable {v['name']}", "promql", sel))

    def walk(panels):
        for p in panels:
            walk(p.get("panels", []))
            for t in p.get("targets", []):
                where = f"panel '{p.get('title')}' target {t.get('refId')}"
                if "expr" in t:
                    out.append((where, "promql", t["expr"]))
                for key in ("rawSql", "queryText", "rawQueryText"):
                    if key in t:
                        out.append((where, "sql", t[key]))

    walk(d.get("panels", []))
    return d, out


def cmd_names(repo):
    problems, used = [], set()
    prom_dir, graf_dir = os.path.join(repo, "deploy/prometheus"), os.path.join(repo, "deploy/grafana")
    for f in sorted(os.listdir(prom_dir)):
        if f.endswith((".yml", ".yaml")) and not f.endswith("_test.yml"):
            for e in load_yaml_exprs(os.path.join(prom_dir, f)):
                for n in metric_names(e):
                    used.add(n)
                    why = allowed(n)
                    if why:
                        problems.append(f"deploy/prometheus/{f}: {n}: {why}")
                check_histogram_quantile(f"deploy/prometheus/{f}", e, problems)
    for f in sorted(os.listdir(graf_dir)):
        if not f.endswith(".json"):
            continue
        _, queries = dashboard_queries(os.path.join(graf_dir, f))
        for where, kind, q in queries:
            if kind == "promql":
                for n in metric_names(strip_grafana(q)):
                    used.add(n)
                    why = allowed(n)
                    if why:
                        problems.append(f"deploy/grafana/{f}: {where}: {n}: {why}")
                check_histogram_quantile(f"deploy/grafana/{f}: {where}", q, problems)
            else:
                for view in re.findall(r"\b(pg_stat\w*)\b", q):
                    if view not in SEED_PG_VIEWS:
                        problems.append(f"deploy/grafana/{f}: {where}: {view}: not a view of the seed's §4.1")
    if not used:
        problems.append("no metric names found at all (parser broken?)")
    for p in problems:
        print(p)
    if not problems:
        print(f"metric names OK: {', '.join(sorted(used))}")
    return 1 if problems else 0


def check_histogram_quantile(where, expr, problems):
    """histogram_quantile() must read a _bucket series and keep `le` when it aggregates."""
    for m in re.finditer(r"histogram_quantile\(", expr):
        depth, j = 1, m.end()
        while j < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[j], 0)
            j += 1
        inner = expr[m.end(): j - 1]
        if "_bucket" not in inner:
            problems.append(f"{where}: histogram_quantile over a series that is not a _bucket")
        for g in re.finditer(r"\bby\s*\(([^)]*)\)", inner):
            if "le" not in [x.strip() for x in g.group(1).split(",")]:
                problems.append(f"{where}: histogram_quantile aggregates without keeping `le`")
        if re.search(r"\bwithout\s*\([^)]*\ble\b", inner):
            problems.append(f"{where}: histogram_quantile aggregates `le` away")


def cmd_grafana(repo, outdir):
    problems, rules, uids = [], [], {}
    graf_dir = os.path.join(repo, "deploy/grafana")
    files = sorted(f for f in os.listdir(graf_dir) if f.endswith(".json"))
    if not files:
        problems.append("deploy/grafana: no dashboard")
    for f in files:
        where0 = f"deploy/grafana/{f}"
        d, queries = dashboard_queries(os.path.join(graf_dir, f))
        for key in ("uid", "title", "panels", "schemaVersion", "templating"):
            if key not in d:
                problems.append(f"{where0}: no '{key}'")
        if d.get("uid") in uids:
            problems.append(f"{where0}: uid {d['uid']} also in {uids[d['uid']]}")
        uids[d.get("uid")] = f
        if "id" in d and d["id"] is not None:
            problems.append(f"{where0}: top-level 'id' must be null or absent (Grafana assigns it)")
        variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
        dsv = variables.get("DS_PROMETHEUS")
        if not dsv or dsv.get("type") != "datasource" or dsv.get("query") != "prometheus":
            problems.append(f"{where0}: needs a datasource variable DS_PROMETHEUS (query: prometheus)")
        ids = set()
        for p in d.get("panels", []):
            title = p.get("title")
            if p.get("id") in ids:
                problems.append(f"{where0}: duplicate panel id {p.get('id')}")
            ids.add(p.get("id"))
            gp = p.get("gridPos", {})
            if not all(k in gp for k in ("h", "w", "x", "y")) or gp.get("x", 0) + gp.get("w", 0) > 24:
                problems.append(f"{where0}: panel '{title}' gridPos {gp}")
            for t in p.get("targets", []) + [p]:
                ds = t.get("datasource")
                if not ds:
                    continue
                uid = ds.get("uid", "") if isinstance(ds, dict) else ds
                m = re.fullmatch(r"\$\{(\w+)\}", uid or "")
                if not m or m.group(1) not in variables or variables[m.group(1)].get("type") != "datasource":
                    problems.append(f"{where0}: panel '{title}' datasource {uid!r} is not a datasource variable")
                elif isinstance(ds, dict) and ds.get("type") != variables[m.group(1)].get("query"):
                    problems.append(f"{where0}: panel '{title}' datasource type {ds.get('type')} "
                                    f"!= variable {m.group(1)} ({variables[m.group(1)].get('query')})")
            if not p.get("targets"):
                problems.append(f"{where0}: panel '{title}' has no query")
        for i, (where, kind, q) in enumerate(queries):
            if kind == "promql":
                used = set(re.findall(r"\$\{?(\w+)\}?", q)) - {"__rate_interval", "__interval", "__range"}
                for u in used - set(variables):
                    problems.append(f"{where0}: {where}: undefined variable ${u}")
                rules.append((f"{f}: {where}", strip_grafana(q)))
    with open(os.path.join(outdir, "grafana_rules.yml"), "w", encoding="utf-8") as out:
        out.write("groups:\n  - name: grafana_queries\n    rules:\n")
        for i, (where, expr) in enumerate(rules):
            out.write(f"      # {where}\n      - record: grafana:query:{i}\n        expr: {json.dumps(expr)}\n")
    for p in problems:
        print(p)
    if not problems:
        print(f"dashboards OK: {', '.join(files)} ({len(rules)} PromQL queries)")
    return 1 if problems else 0


def cmd_docker(repo):
    problems = []
    expect = {"Dockerfile.hub": ("santokit-hub", "4000"), "Dockerfile.bridge": ("santokit-bridge", "3000")}
    for f, (binary, port) in expect.items():
        path = os.path.join(repo, "deploy/docker", f)
        if not os.path.exists(path):
            problems.append(f"deploy/docker/{f}: missing")
            continue
        text = open(path, encoding="utf-8").read()
        joined = re.sub(r"\\\n", " ", text)
        stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", joined, re.M | re.I)
        if len(stages) < 2 or any(not s[0].startswith("debian:12") for s in stages):
            problems.append(f"deploy/docker/{f}: expected a multi-stage build FROM debian:12*, got {stages}")
        last = joined[joined.rfind("\nFROM"):]
        user = re.findall(r"^USER\s+(\S+)", last, re.M)
        if not user or user[-1].split(":")[0] in ("root", "0"):
            problems.append(f"deploy/docker/{f}: the runtime stage must end with a non-root USER")
        if not re.search(rf"^EXPOSE\s+{port}\b", last, re.M):
            problems.append(f"deploy/docker/{f}: no EXPOSE {port}")
        if not re.search(r"^HEALTHCHECK\b.*?/healthz", last, re.M | re.S):
            problems.append(f"deploy/docker/{f}: no HEALTHCHECK on /healthz")
        if binary not in last:
            problems.append(f"deploy/docker/{f}: the runtime stage does not run {binary}")
        for m in re.finditer(r"^COPY\s+(?!--from)((?:--\S+\s+)*)(.+)$", joined, re.M):
            parts = m.group(2).split()
            for src in parts[:-1]:
                if not os.path.exists(os.path.join(repo, src)):
                    problems.append(f"deploy/docker/{f}: COPY source {src} does not exist")
        if re.search(r"build-essential|cmake|ninja|-dev\b", last):
            problems.append(f"deploy/docker/{f}: the runtime stage installs build tools")
    for p in problems:
        print(p)
    if not problems:
        print("Dockerfiles OK")
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "names":
        return cmd_names(argv[2])
    if len(argv) >= 4 and argv[1] == "grafana":
        return cmd_grafana(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "docker":
        return cmd_docker(argv[2])
    if len(argv) >= 3 and argv[1] == "names-of":
        for f in argv[2:]:
            if f.endswith(".json"):
                names = [n for _, k, q in dashboard_queries(f)[1] if k == "promql" for n in metric_names(strip_grafana(q))]
            else:
                names = [n for e in load_yaml_exprs(f) for n in metric_names(e)]
            print("\n".join(sorted(set(names))))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
