// release current|list|show|promote|rollback (spec hub-cli-schema §6, DESIGN Decision 5). The pure parts of
// promote/rollback (bodies, rendering) live in promote.cpp.
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "promote.hpp"
#include "stk/http/client.hpp"

namespace stk::cli {

namespace {

void print_fields(Session& s, const J& r, const std::vector<const char*>& keys) {
  for (const char* key : keys) s.out() << key << ": " << cell(r, key) << "\n";
}

int current(Session& s) {
  J r = s.hub().get("/api/releases/current", {{"project", s.project()}, {"env", s.env_name()}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  print_fields(
      s, r,
      {"releaseId", "project", "env", "ref", "digest", "originEnv", "createdAt", "createdBy", "activatedAt"});
  return 0;
}

int list(Session& s, int limit) {
  Query q = {{"project", s.project()}, {"env", s.env_name()}};
  if (limit > 0) q.emplace_back("limit", std::to_string(limit));
  J r = s.hub().get("/api/releases", q);
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  if (r.is_array()) {
    for (const auto& item : r) {
      std::string id = cell(item, "releaseId");
      if (id == "-") id = cell(item, "id");
      bool is_current = item.is_object() && item.value("current", false);
      rows.push_back({id, cell(item, "ref"), cell(item, "createdAt"), cell(item, "activatedAt"),
                      cell(item, "via"), is_current ? "yes" : "no"});
    }
  }
  s.out() << render_table({"RELEASE", "REF", "CREATED", "ACTIVATED", "VIA", "CURRENT"}, rows);
  return 0;
}

int show(Session& s, const std::string& id) {
  J r = s.hub().get("/api/releases/" + http::url_encode(id), {{"project", s.project()}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  print_fields(s, r, {"releaseId", "project", "ref", "digest", "originEnv", "createdAt", "createdBy"});
  s.out() << "currentIn: " << cell(r, "currentIn") << "\n";
  PayloadSummary sum = summarize_payload(r.is_object() ? r.value("payload", J::object()) : J::object());
  std::string names;
  for (const auto& t : sum.tables) names += (names.empty() ? "" : ", ") + t;
  s.out() << "tables: " << sum.tables.size() << (names.empty() ? "" : " (" + names + ")") << "\n";
  s.out() << "rules: " << sum.rules << "\n";
  s.out() << "logics: " << sum.logics << "\n";
  return 0;
}

constexpr int kPromoteTimeoutMs = 120000;       // the gate introspects every database of the target env
constexpr int kPromoteApplyTimeoutMs = 600000;  // --apply-schema runs DDL (index builds can take minutes)

// --output json prints the Hub's body (the error envelope on failure, like `apply --json`) and the error
// line on stderr; text prints the rendering.
int promote(Session& s, PromoteRequest req) {
  req.project = s.project();
  if (req.from.empty() && req.release_id.empty())
    throw UsageError("say what to promote: --from <env> (its current release) or --release-id <id>");
  if (req.force && !req.apply_schema)
    throw UsageError("--force only applies with --apply-schema (promote itself runs no DDL)");
  J r;
  try {
    r = s.hub().post("/api/releases/promote", build_promote_body(req),
                     req.apply_schema ? kPromoteApplyTimeoutMs : kPromoteTimeoutMs);
  } catch (const HubError& e) {
    if (s.json() && !e.body().is_null()) {
      s.print_json(e.body());
      s.out().flush();
      s.err() << format_error(e, req.project);
    } else {
      s.err() << render_promote_error(e, req);
    }
    throw ExitStatus{1};
  }
  if (s.json())
    s.print_json(r);
  else
    s.out() << render_promote_result(r);
  return 0;
}

int rollback(Session& s, const std::string& to_release_id) {
  J r = s.hub().post("/api/releases/rollback", build_rollback_body(s.project(), s.env_name(), to_release_id),
                     kPromoteTimeoutMs);
  if (s.json())
    s.print_json(r);
  else
    s.out() << render_rollback_result(r);
  return 0;
}

}  // namespace

void register_release(Cli& cli) {
  Session& s = cli.session();
  auto* group =
      cli.group(&cli.root(), "release", "Inspect releases; promote them between envs; roll an env back",
                "stk release current\nstk release list --limit 5\nstk release show --release-id rel_abc\n"
                "stk release promote --from stg --to prod\nstk release rollback --env prod");
  {
    auto* c = cli.command(group, "current", "Show the env's current release",
                          "stk release current --env prod", [&s] { return current(s); });
    cli.add_scope(c, true);
  }
  {
    auto& limit = cli.keep<int>(0);
    auto* c = cli.command(group, "list", "List releases that have been current in the env, newest first",
                          "stk release list --limit 10", [&s, &limit] { return list(s, limit); });
    c->add_option("--limit", limit, "How many (Hub default 20)")->check(CLI::PositiveNumber);
    cli.add_scope(c, true);
  }
  {
    auto& id = cli.keep<std::string>();
    auto* c =
        cli.command(group, "show", "Show a release: metadata, envs where current, schema summary",
                    "stk release show --release-id rel_abc --output json", [&s, &id] { return show(s, id); });
    c->add_option("--release-id", id, "Release id (rel_...)")->required();
    cli.add_scope(c, false);
  }
  {
    auto& o = cli.keep<PromoteRequest>();
    auto* c = cli.command(
        group, "promote",
        "Make an existing release current in another env (no new release, no DDL unless --apply-schema)",
        "stk release promote --from stg --to prod\n"
        "stk release promote --to prod --release-id rel_abc\n"
        "stk release promote --from dev --to stg --apply-schema",
        [&s, &o] { return promote(s, o); });
    c->footer(
        "\nPromotion gate: the target env's databases must already be at the release's schema, else 409 with "
        "the "
        "plan.\nEither check out the release's ref and run 'stk apply --env <to> --only schema --ref <ref>' "
        "first,\nor pass --apply-schema to apply it as part of the promotion (drift and unsupported changes "
        "are "
        "still refused).\n" +
        c->get_footer());
    c->add_option("--to", o.to, "Env that gets the release (required)")->required();
    c->add_option("--from", o.from, "Env whose current release is promoted");
    c->add_option("--release-id,--release", o.release_id,
                  "Promote this release instead (rel_...; wins over --from)");
    c->add_flag("--apply-schema", o.apply_schema,
                "Apply the release's schema to the target env's databases first (like 'stk apply --env <to> "
                "--only schema'); refused on drift or unsupported changes");
    c->add_flag("--force", o.force,
                "With --apply-schema: allow destructive changes (drops data; needs project admin)");
    cli.add_scope(c, false);
  }
  {
    auto& to = cli.keep<std::string>();
    auto* c = cli.command(
        group, "rollback",
        "Point the env back at the release it ran before, or at --to-release-id (pointer only)",
        "stk release rollback --env prod\nstk release rollback --env prod --to-release-id rel_abc",
        [&s, &to] { return rollback(s, to); });
    c->footer(
        "\nNot gated: DDL is never undone, and the answer warns when the env's databases do not match the "
        "release.\nA --to-release-id must have been current in the env before (else 409; use promote).\n" +
        c->get_footer());
    c->add_option("--to-release-id,--to", to,
                  "Release to return to (default: the one current before the current one)");
    cli.add_scope(c, true);
  }
}

}  // namespace stk::cli
