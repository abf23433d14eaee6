// stk: context file walk-up and merge, credentials file, flag/env/context precedence.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include "temp_dir.hpp"

#include <fstream>
#include <map>

#include "context.hpp"
#include "stk/core/error.hpp"

using namespace stk::cli;

namespace {

EnvFn env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST(StkContext, MergeReplacesOnlyGivenFields) {
  Context c =
      Context::from_json(J::parse(R"({"hubUrl":"http://h:4000","project":"shop","env":"dev","x":1})"));
  Context update;
  update.env = "prod";
  update.connection = "main";
  c.merge(update);
  EXPECT_EQ(c.hub_url, "http://h:4000");
  EXPECT_EQ(c.project, "shop");
  EXPECT_EQ(c.env, "prod");
  EXPECT_EQ(c.connection, "main");
  EXPECT_EQ(c.to_json().dump(),
            R"({"hubUrl":"http://h:4000","project":"shop","env":"prod","connection":"main","x":1})");
}

TEST(StkContext, RejectsNonStringValues) {
  EXPECT_THROW(Context::from_json(J::parse(R"({"project":3})")), stk::Error);
  EXPECT_THROW(Context::from_json(J::parse(R"([1])")), stk::Error);
  EXPECT_FALSE(Context::from_json(J::parse(R"({"project":null})")).project.has_value());
}

TEST(StkContext, WalksUpLikeGit) {
  TempDir t;
  fs::path root = t.path / "repo";
  fs::path deep = root / "a" / "b";
  fs::create_directories(deep);
  EXPECT_FALSE(find_context_file(deep).has_value());
  EXPECT_EQ(context_file_for_write(deep), deep / ".stk" / "context.json");
  EXPECT_EQ(default_project_dir(deep), deep);

  Context c;
  c.project = "shop";
  write_context(root / ".stk" / "context.json", c);
  ASSERT_TRUE(find_context_file(deep).has_value());
  EXPECT_EQ(*find_context_file(deep), root / ".stk" / "context.json");
  EXPECT_EQ(context_file_for_write(deep), root / ".stk" / "context.json");
  EXPECT_EQ(default_project_dir(deep), root);
  EXPECT_EQ(read_context(*find_context_file(deep)).project, "shop");

  // A nearer .stk/context.json wins.
  Context inner;
  inner.project = "other";
  write_context(root / "a" / ".stk" / "context.json", inner);
  EXPECT_EQ(read_context(*find_context_file(deep)).project, "other");
  EXPECT_EQ(default_project_dir(deep), root / "a");
}

TEST(StkContext, ProjectDirFallsBackToStkDirectory) {
  TempDir t;
  fs::create_directories(t.path / "p" / ".stk");
  fs::create_directories(t.path / "p" / "schema");
  EXPECT_EQ(default_project_dir(t.path / "p" / "schema"), t.path / "p");
}

TEST(StkContext, MalformedContextNamesTheFile) {
  TempDir t;
  write(t.path / ".stk" / "context.json", "{not json");
  try {
    read_context(t.path / ".stk" / "context.json");
    FAIL() << "expected an error";
  } catch (const stk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("context.json"), std::string::npos);
  }
}

TEST(StkCredentials, PathPrecedence) {
  EXPECT_EQ(credentials_path(env_of({{"STK_CONFIG_DIR", "/c"}, {"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            fs::path("/c/credentials.json"));
  EXPECT_EQ(credentials_path(env_of({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
            fs::path("/x/santokit/credentials.json"));
  EXPECT_EQ(credentials_path(env_of({{"HOME", "/h"}})), fs::path("/h/.config/santokit/credentials.json"));
  EXPECT_THROW(credentials_path(env_of({})), stk::Error);
}

TEST(StkCredentials, FileIs0600AndDir0700) {
  TempDir t;
  fs::path dir = t.path / "cfg" / "santokit";
  CredentialStore store(dir / "credentials.json");
  EXPECT_FALSE(store.get("http://h:4000").has_value());
  store.set("http://h:4000/", Credential{"tok1", "a@example.com"});
  EXPECT_EQ(mode_of(dir / "credentials.json"), 0600u);
  EXPECT_EQ(mode_of(dir), 0700u);

  auto c = store.get("http://h:4000");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->token, "tok1");
  EXPECT_EQ(c->email, "a@example.com");

  store.set("http://other:4000", Credential{"tok2", "b@example.com"});
  EXPECT_EQ(store.get("http://h:4000")->token, "tok1");
  EXPECT_EQ(store.get("http://other:4000")->token, "tok2");

  // A file someone widened is rewritten 0600.
  ::chmod((dir / "credentials.json").c_str(), 0644);
  EXPECT_TRUE(store.erase("http://h:4000"));
  EXPECT_EQ(mode_of(dir / "credentials.json"), 0600u);
  EXPECT_FALSE(store.get("http://h:4000").has_value());
  EXPECT_FALSE(store.erase("http://h:4000"));

  J saved = J::parse(std::ifstream(dir / "credentials.json"));
  EXPECT_EQ(saved.dump(), R"({"http://other:4000":{"token":"tok2","email":"b@example.com"}})");
}

TEST(StkPrecedence, HubUrl) {
  Context ctx;
  ctx.hub_url = "http://ctx:4000";
  auto env = env_of({{"STK_HUB_URL", "http://env:4000/"}});
  EXPECT_EQ(resolve_hub("http://flag:4000", env, ctx), "http://flag:4000");
  EXPECT_EQ(resolve_hub("", env, ctx), "http://env:4000");
  EXPECT_EQ(resolve_hub("", env_of({}), ctx), "http://ctx:4000");
  EXPECT_EQ(resolve_hub("", env_of({}), Context{}), "http://127.0.0.1:4000");
}

TEST(StkPrecedence, ProjectAndEnv) {
  Context ctx;
  ctx.project = "ctxp";
  ctx.env = "ctxe";
  auto env = env_of({{"STK_PROJECT", "envp"}, {"STK_ENV", "enve"}});
  EXPECT_EQ(resolve_project("flagp", env, ctx), "flagp");
  EXPECT_EQ(resolve_project("", env, ctx), "envp");
  EXPECT_EQ(resolve_project("", env_of({}), ctx), "ctxp");
  EXPECT_EQ(resolve_env("flage", env, ctx), "flage");
  EXPECT_EQ(resolve_env("", env, ctx), "enve");
  EXPECT_EQ(resolve_env("", env_of({}), ctx), "ctxe");
  try {
    resolve_project("", env_of({}), Context{});
    FAIL();
  } catch (const stk::Error& e) {
    EXPECT_STREQ(e.what(), "context not set: pass --project or run 'stk context set --project <name>'");
  }
  try {
    resolve_env("", env_of({}), Context{});
    FAIL();
  } catch (const stk::Error& e) {
    EXPECT_STREQ(e.what(), "context not set: pass --env or run 'stk context set --env <name>'");
  }
}

TEST(StkPrecedence, TokenEnvBeatsStoredLogin) {
  TempDir t;
  CredentialStore store(t.path / "credentials.json");
  store.set("http://h:4000", Credential{"stored", "a@example.com"});
  EXPECT_EQ(resolve_token("http://h:4000", env_of({{"STK_AUTH_TOKEN", "ci"}}), &store), "ci");
  EXPECT_EQ(resolve_token("http://h:4000", env_of({}), &store), "stored");
  EXPECT_FALSE(resolve_token("http://other:4000", env_of({}), &store).has_value());
}

TEST(StkNames, Validation) {
  EXPECT_TRUE(valid_name("shop"));
  EXPECT_TRUE(valid_name("my-shop_2"));
  EXPECT_FALSE(valid_name("-shop"));
  EXPECT_FALSE(valid_name("sh op"));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name(std::string(64, 'a')));
}
