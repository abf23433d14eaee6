#!/usr/bin/env bash
# Checks deploy/ (one ctest entry per part, see CMakeLists.txt):
#   check.sh prometheus   promtool check rules/config + promtool test rules (alerts_test.yml)
#   check.sh grafana      every dashboard parses (python3 -m json.tool), is well formed, and its PromQL parses
#   check.sh names        every metric in alerts and dashboards is a seed §4.1 name (+ DESIGN Decision 8), and a
#                         typo injected into a copy of deploy/ is caught (self-test)
#   check.sh systemd      systemd-analyze verify + security on the units (exit 77 = skipped without systemd-analyze)
#   check.sh docker       Dockerfiles' shape, helper scripts' syntax, env examples carry no secrets
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
deploy=$repo/deploy
checker=$here/check_deploy.py
tmp=$(mktemp -d /tmp/stk-deploy-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

need_promtool() {
  command -v promtool >/dev/null && return
  echo "promtool not found: run scripts/bootstrap (Debian package prometheus)"
  exit 1
}

case "${1:-}" in
prometheus)
  need_promtool
  promtool check rules "$deploy/prometheus/alerts.yml"
  promtool check config "$deploy/prometheus/prometheus.yml"
  (cd "$deploy/prometheus" && promtool test rules alerts_test.yml)
  ;;
grafana)
  need_promtool
  shopt -s nullglob
  dashboards=("$deploy"/grafana/*.json)
  [ ${#dashboards[@]} -gt 0 ] || { echo "no dashboard in deploy/grafana"; exit 1; }
  for f in "${dashboards[@]}"; do
    python3 -m json.tool "$f" >/dev/null || { echo "${f#"$repo"/}: invalid JSON"; exit 1; }
  done
  python3 "$checker" grafana "$repo" "$tmp"
  promtool check rules "$tmp/grafana_rules.yml" # parses every dashboard query as PromQL
  ;;
names)
  python3 "$checker" names "$repo"
  # Self-test: the check must fail on a misspelt metric, in a rule and in a dashboard, and on a histogram
  # quantile that drops `le`.
  mutate() { # <file under deploy/> <text> <replacement> <what>
    rm -rf "$tmp/repo" && mkdir -p "$tmp/repo" && cp -r "$deploy" "$tmp/repo/deploy"
    python3 - "$tmp/repo/deploy/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
assert old in text, f"mutation target not found: {old}"
open(path, "w").write(text.replace(old, new, 1))
PY
    if python3 "$checker" names "$tmp/repo" >"$tmp/out" 2>&1; then
      echo "self-test failed: $4 was not caught"; exit 1
    fi
    echo "self-test: $4 caught: $(head -n1 "$tmp/out")"
  }
  mutate prometheus/alerts.yml 'rate(stk_bridge_errors_total' 'rate(stk_bridge_error_total' "a typo in alerts.yml"
  mutate grafana/santokit-bridge.json '(stk_bridge_db_pool_active{' '(stk_bridge_db_pool_in_use{' "a typo in a dashboard"
  mutate grafana/santokit-hub.json '_seconds_bucket{' '_seconds{' "a histogram without _bucket"
  mutate prometheus/alerts.yml 'sum by (project, env, le) (rate(stk_bridge_request' \
    'sum by (project, env) (rate(stk_bridge_request' "a histogram_quantile without le"
  ;;
systemd)
  command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: skipped"; exit 77; }
  # verify needs ExecStart to exist: check copies whose ExecStart points at stubs.
  mkdir -p "$tmp/bin"
  units=()
  for unit in "$deploy"/systemd/*.service; do
    name=$(basename "$unit")
    grep -q '^ExecStart=/usr/local/bin/' "$unit" || { echo "$name: ExecStart is not /usr/local/bin/…"; exit 1; }
    for key in 'EnvironmentFile=/etc/santokit/' 'Restart=on-failure' 'StateDirectory=santokit-' 'DynamicUser=yes' \
      'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
      grep -q "^$key" "$unit" || { echo "$name: no $key"; exit 1; }
    done
    bin=$(sed -n 's|^ExecStart=/usr/local/bin/\([^ ]*\).*|\1|p' "$unit")
    printf '#!/bin/sh\n' >"$tmp/bin/$bin" && chmod +x "$tmp/bin/$bin"
    sed "s|/usr/local/bin/|$tmp/bin/|" "$unit" >"$tmp/$name"
    units+=("$tmp/$name")
  done
  # verify exits 0 on unknown keys and bad values (it only warns): any line about our units is a failure.
  out=$(systemd-analyze verify "${units[@]}" 2>&1 || echo "systemd-analyze verify failed")
  if grep -E "santokit-|failed" <<<"$out"; then exit 1; fi
  for u in "${units[@]}"; do
    # Exposure 0 (locked down) .. 10 (unprotected); both units are ~1.4 — fail if hardening is lost.
    if ! systemd-analyze security --offline=yes --threshold=30 "$u" >"$tmp/security" 2>&1; then
      grep -E "Overall exposure|Failed" "$tmp/security"; exit 1
    fi
    grep "Overall exposure" "$tmp/security" || true
  done
  echo "systemd units OK"
  ;;
docker)
  python3 "$checker" docker "$repo"
  sh -n "$deploy/docker/runtime-packages.sh"
  # The HEALTHCHECK commands are bash: check their syntax.
  for f in "$deploy"/docker/Dockerfile.*; do
    case "$f" in *.dockerignore) continue ;; esac
    python3 - "$f" >"$tmp/hc" <<'PY'
import json, re, sys
text = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, re.M)
argv = json.loads(m.group(1))
assert argv[:2] == ["bash", "-c"], argv
print(argv[2])
PY
    bash -n "$tmp/hc" || { echo "$(basename "$f"): HEALTHCHECK is not valid bash"; exit 1; }
  done
  # Example env files: placeholders only.
  for f in "$deploy"/systemd/*.env.example; do
    if grep -nE '^(STK_SECRET_KEY|STK_BRIDGE_TOKENS?|STK_HUB_BOOTSTRAP_OWNER_PASSWORD)=' "$f" | grep -v '=REPLACE'; then
      echo "$(basename "$f"): a secret with a value that is not a REPLACE… placeholder"; exit 1
    fi
    if grep -nE 'postgres(ql)?://[^ ]*:[^ @]*@' "$f"; then echo "$(basename "$f"): a DB URL with a password"; exit 1; fi
  done
  echo "docker files OK"
  ;;
*)
  echo "usage: $0 prometheus|grafana|names|systemd|docker" >&2
  exit 2
  ;;
esac
