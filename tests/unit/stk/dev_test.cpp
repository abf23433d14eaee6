// stk dev: the pure parts (seed order and references, log parsing, URL masking, state secrets, help).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "cli.hpp"
#include "dev_postgres.hpp"
#include "dev_process.hpp"
#include "dev_seed.hpp"
#include "dev_state.hpp"

using namespace stk::cli;
using namespace stk::cli::dev;

TEST(StkDev, SeedInsertsParentsFirstAndReferencesTheirIds) {
  std::vector<std::string> paths;
  std::map<std::string, J> inserted;
  int next_id = 0;
  CallFn fake = [&](const std::string& path, const J& params) {
    paths.push_back(path);
    J rows = params.at("values");
    for (auto& row : rows) row["id"] = "id" + std::to_string(++next_id);
    inserted[path] = rows;
    return CallResult{200, J{{"data", rows}}, ""};
  };
  SeedCounts n = seed_blog(fake);
  EXPECT_EQ(paths, (std::vector<std::string>{"db/orgs/insert", "db/teams/insert", "db/users/insert",
                                             "db/posts/insert"}));
  EXPECT_EQ(n.orgs, 2u);
  EXPECT_EQ(n.teams, 3u);
  EXPECT_EQ(n.users, 4u);
  EXPECT_EQ(n.posts, 5u);
  const J& teams = inserted["db/teams/insert"];
  EXPECT_EQ(teams[0]["org_id"], inserted["db/orgs/insert"][0]["id"]);
  EXPECT_EQ(inserted["db/users/insert"][0]["team_id"], teams[0]["id"]);
  EXPECT_EQ(inserted["db/posts/insert"][0]["author_id"], inserted["db/users/insert"][0]["id"]);
}

TEST(StkDev, SeedFailureNamesTheTableAndTheAnswer) {
  CallFn forbidden = [](const std::string&, const J&) {
    return CallResult{
        403, J{{"error", {{"code", "FORBIDDEN"}, {"message", "no rule grants insert on orgs"}}}}, ""};
  };
  try {
    seed_blog(forbidden);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()),
              "seeding orgs through the Bridge failed: 403 FORBIDDEN: no rule grants insert on orgs");
  }
}

TEST(StkDev, BlogTables) {
  EXPECT_TRUE(has_blog_tables({"orgs", "posts", "teams", "users", "extra"}));
  EXPECT_FALSE(has_blog_tables({"orgs", "teams", "users"}));
}

TEST(StkDev, ListeningLinePort) {
  EXPECT_EQ(
      port_in_log_line(
          R"({"ts":"x","level":"info","msg":"santokit-hub listening","host":"127.0.0.1","port":41234})"),
      41234);
  EXPECT_EQ(port_in_log_line(R"({"msg":"santokit-hub listening"})"), 0);
}

TEST(StkDev, UrlsArePrintedWithoutPassword) {
  EXPECT_EQ(masked_url("postgres://postgres:s3cret@127.0.0.1:5432/blog_dev"),
            "postgres://postgres:***@127.0.0.1:5432/blog_dev");
  EXPECT_EQ(masked_url("postgres://app@db/x"), "postgres://app@db/x");
  EXPECT_EQ(database_url("postgres://postgres:pw@127.0.0.1:5/postgres", "blog_dev"),
            "postgres://postgres:pw@127.0.0.1:5/blog_dev");
}

TEST(StkDev, StateSecretsAreCreatedOnceWithMode0600) {
  std::string tmpl = (fs::temp_directory_path() / "stk-dev-state-XXXXXX").string();
  fs::path dir = ::mkdtemp(tmpl.data());
  {
    StateDir state(dir / "state", false);
    int calls = 0;
    auto gen = [&calls] {
      ++calls;
      return random_token();
    };
    std::string first = state.secret("bridge.token", gen);
    EXPECT_EQ(state.secret("bridge.token", gen), first);
    EXPECT_EQ(calls, 1);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "state" / "bridge.token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir / "state").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    // A second `stk dev` on the same directory is refused while the first holds it.
    EXPECT_THROW(StateDir(dir / "state", false), std::exception);
  }
  StateDir again(dir / "state", false);  // released with the first one
  fs::remove_all(dir);
}

TEST(StkDev, HelpExplainsTheFlagsAndTheState) {
  std::ostringstream out, err;
  std::istringstream in;
  Session session(
      Io{out, err, in, false}, [](const char*) { return std::optional<std::string>(); }, ".");
  Cli cli(session);
  register_all(cli);
  EXPECT_EQ(cli.run({"dev", "--help"}), 0);
  for (const char* text :
       {"--state-dir", "--db-url", "--project-dir", "--hub-port", "--bridge-port", "--hub-bin",
        "--bridge-bin", "--roles", "--no-seed", "owner.password", "Ctrl-C", "examples/blog", "0600"})
    EXPECT_NE(out.str().find(text), std::string::npos) << text << "\n" << out.str();
}

TEST(StkDev, MissingBinaryFlagIsReported) {
  try {
    find_binary("santokit-hub", "/nonexistent/santokit-hub", "services/hub");
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/santokit-hub is not an executable file");
  }
}
