// stk: the command frame run in-process (parse errors, exit codes, context commands, local validation, help).
#include <gtest/gtest.h>

#include <unistd.h>
#include "temp_dir.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "cli.hpp"

using namespace stk::cli;

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run(const fs::path& cwd, std::vector<std::string> args, std::map<std::string, std::string> vars = {},
           std::string input = "") {
  std::ostringstream out, err;
  std::istringstream in(input);
  EnvFn env = [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  Session session(Io{out, err, in, false}, env, cwd);
  Cli cli(session);
  register_all(cli);
  int code = cli.run(args);
  return {code, out.str(), err.str()};
}

void for_each_command(const CLI::App* app, const std::string& path,
                      const std::function<void(const CLI::App*, const std::string&)>& fn) {
  fn(app, path);
  for (const CLI::App* sub : app->get_subcommands({}))
    for_each_command(sub, path + " " + sub->get_name(), fn);
}

}  // namespace

TEST(StkCli, EveryCommandHasDescriptionAndExample) {
  std::ostringstream out, err;
  std::istringstream in;
  Session session(
      Io{out, err, in, false}, [](const char*) { return std::optional<std::string>(); }, ".");
  Cli cli(session);
  register_all(cli);
  int count = 0;
  for_each_command(&cli.root(), "stk", [&](const CLI::App* app, const std::string& path) {
    ++count;
    EXPECT_FALSE(app->get_description().empty()) << path;
    EXPECT_NE(app->get_footer().find("stk "), std::string::npos) << path << " has no example";
  });
  EXPECT_GT(count, 30);
}

TEST(StkCli, HelpExitsZero) {
  TempDir t;
  Result r = run(t.path, {"apply", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--dry-run"), std::string::npos);
  EXPECT_NE(r.out.find("Example"), std::string::npos);
  r = run(t.path, {"project", "members", "set-role", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--role"), std::string::npos);
}

TEST(StkCli, UsageErrorsExitTwo) {
  TempDir t;
  Result r = run(t.path, {"apply", "--only", "schema,deploy"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown step 'deploy'"), std::string::npos) << r.err;
  EXPECT_EQ(run(t.path, {}).code, 2);
  EXPECT_EQ(run(t.path, {"nosuchcommand"}).code, 2);
  EXPECT_EQ(run(t.path, {"project"}).code, 2);
  EXPECT_EQ(run(t.path, {"project", "create"}).code, 2);
  EXPECT_EQ(run(t.path, {"release", "list", "--output", "yaml"}).code, 2);

  // --ref is required unless --dry-run; checked before reading files or calling the Hub.
  r = run(t.path, {"apply", "--project", "shop", "--env", "dev"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error: --ref is required"), std::string::npos) << r.err;
}

TEST(StkCli, ContextNotSet) {
  TempDir t;
  Result r = run(t.path, {"release", "current"}, {{"STK_AUTH_TOKEN", "x"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: context not set: pass --project or run 'stk context set --project <name>'\n");
  r = run(t.path, {"release", "current", "--project", "shop"}, {{"STK_AUTH_TOKEN", "x"}});
  EXPECT_EQ(r.err, "error: context not set: pass --env or run 'stk context set --env <name>'\n");
}

TEST(StkCli, NotLoggedIn) {
  TempDir t;
  Result r = run(t.path, {"project", "list", "--hub", "http://127.0.0.1:9"},
                 {{"STK_CONFIG_DIR", (t.path / "cfg").string()}});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "error: not logged in to the Hub at http://127.0.0.1:9\nhint: run 'stk login' (or set "
            "STK_AUTH_TOKEN)\n");
}

TEST(StkCli, ContextSetShowClear) {
  TempDir t;
  fs::path sub = t.path / "a" / "b";
  fs::create_directories(sub);
  Result r = run(t.path, {"context", "set", "--project", "shop", "--env", "dev"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(t.path / ".stk" / "context.json"));

  // From a subdirectory: merged into the file above, not a new one.
  r = run(sub, {"context", "set", "--hub", "http://hub.local:4000/", "--connection", "main"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(sub / ".stk"));

  r = run(sub, {"context", "show", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(J::parse(r.out).dump(),
            R"({"hubUrl":"http://hub.local:4000","project":"shop","env":"dev","connection":"main"})");
  r = run(sub, {"context", "show"});
  EXPECT_EQ(r.out, "file: " + (t.path / ".stk" / "context.json").string() +
                       "\nhubUrl: http://hub.local:4000\nproject: shop\nenv: dev\nconnection: main\n");

  EXPECT_EQ(run(sub, {"context", "set", "--project", "bad name"}).code, 1);
  EXPECT_EQ(run(sub, {"context", "set"}).code, 2);

  r = run(sub, {"context", "clear"});
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(fs::exists(t.path / ".stk" / "context.json"));
  r = run(sub, {"context", "show"});
  EXPECT_EQ(r.out, "file: -\nhubUrl: -\nproject: -\nenv: -\nconnection: -\n");
}

TEST(StkCli, SchemaValidateLocal) {
  TempDir t;
  write(t.path / ".stk" / "context.json", "{}");
  write(t.path / "schema" / "app.yaml",
        "version: 1\n"
        "tables:\n"
        "  posts:\n"
        "    columns:\n"
        "      title: { type: string }\n"
        "      owner: { type: string }\n");
  write(t.path / "config" / "permissions.yaml",
        "tables:\n"
        "  posts:\n"
        "    select:\n"
        "      - roles: [user]\n"
        "        condition: resource.owner == request.auth.sub\n");
  fs::create_directories(t.path / "schema" / "x");
  Result r = run(t.path / "schema" / "x", {"schema", "validate"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok: 1 tables, 1 rules\n");

  write(t.path / "schema" / "app.yaml",
        "version: 1\n"
        "tables:\n"
        "  posts:\n"
        "    columns:\n"
        "      title: { type: strng }\n");
  r = run(t.path, {"schema", "validate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("schema/app.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: validation failed: "), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  r = run(t.path, {"schema", "validate", "--output", "json"});
  EXPECT_EQ(r.code, 1);
  J j = J::parse(r.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_FALSE(j["errors"].empty());
}

TEST(StkCli, HubUnreachable) {
  TempDir t;
  Result r = run(t.path, {"project", "list", "--hub", "http://127.0.0.1:9"}, {{"STK_AUTH_TOKEN", "x"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("error: cannot reach the Hub at http://127.0.0.1:9: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nhint: start it with 'santokit-hub' or pass --hub\n"), std::string::npos) << r.err;
}

TEST(StkCli, VersionIsLocal) {
  TempDir t;
  Result r = run(t.path, {"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("stk ", 0), 0u);
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);
}

TEST(StkCli, RepeatedOptionTakesLastValue) {
  TempDir t;
  ASSERT_EQ(run(t.path, {"context", "set", "--project", "a", "--env", "dev", "--project", "b"}).code, 0);
  Result r = run(t.path, {"context", "show", "--output", "json"});
  EXPECT_EQ(J::parse(r.out).dump(), R"({"project":"b","env":"dev"})");
}
