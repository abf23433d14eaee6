// Project folder reading and the whole-project loader (storage, logics front matter).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "stk/core/error.hpp"
#include "stk/model/project.hpp"

using namespace stk::model;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("stk_model_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  void write(const std::string& rel, const std::string& content) {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
  std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<std::string> strs(const std::vector<Diagnostic>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.str());
  return out;
}

}  // namespace

TEST(Project, ReadsTheFolderLayout) {
  TempDir dir;
  dir.write("schema/b.yml", "version: 1\n");
  dir.write("schema/a.yaml", "version: 1\n");
  dir.write("schema/notes.txt", "ignored");
  dir.write("schema/nested/c.yaml", "ignored: not recursive");
  dir.write("config/permissions.yaml", "tables: {}\n");
  dir.write("config/storage.yaml", "buckets: {}\n");
  dir.write("logics/orders/list.sql", "SELECT 1");
  dir.write("logics/ping.sql", "SELECT 2");
  dir.write("logics/readme.md", "ignored");
  ProjectFiles f = read_project_dir(dir.str());
  ASSERT_EQ(f.schema.size(), 2u);
  EXPECT_EQ(f.schema[0].path, "schema/a.yaml");
  EXPECT_EQ(f.schema[1].path, "schema/b.yml");
  EXPECT_EQ(f.schema[0].content, "version: 1\n");
  EXPECT_EQ(*f.permissions, "tables: {}\n");
  EXPECT_EQ(*f.storage, "buckets: {}\n");
  ASSERT_EQ(f.logics.size(), 2u);
  EXPECT_EQ(f.logics.at("orders/list"), "SELECT 1");
  EXPECT_EQ(f.logics.at("ping"), "SELECT 2");
}

TEST(Project, MissingPartsAreFineButMissingFolderIsNot) {
  TempDir dir;
  ProjectFiles f = read_project_dir(dir.str());
  EXPECT_TRUE(f.schema.empty());
  EXPECT_FALSE(f.permissions.has_value());
  EXPECT_FALSE(f.storage.has_value());
  EXPECT_TRUE(f.logics.empty());
  Diagnostics d;
  Project p = load_project(f, {}, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_TRUE(p.schema.tables.empty());
  EXPECT_EQ(p.storage.dump(), "{}");
  EXPECT_EQ(p.logics.dump(), "{}");
  try {
    read_project_dir(dir.str() + "/nope");
    FAIL() << "expected stk::Error";
  } catch (const stk::Error& e) {
    EXPECT_EQ(e.code(), stk::Code::BadRequest);
    EXPECT_EQ(std::string(e.what()), "project folder '" + dir.str() + "/nope' does not exist");
  }
}

TEST(Project, ExampleBlogLoadsCleanly) {
  ProjectFiles f = read_project_dir(std::string(STK_SOURCE_DIR) + "/examples/blog");
  Diagnostics d;
  Project p = load_project(f, {}, d);
  EXPECT_EQ(strs(d.items), std::vector<std::string>{});
  EXPECT_NE(p.schema.table("posts"), nullptr);
  EXPECT_EQ(p.permissions.tables.count("posts"), 1u);
}

TEST(Project, LogicsFrontMatter) {
  ProjectFiles f;
  f.logics["plain"] = "SELECT 1;\n";
  f.logics["orders/reserve"] =
      "---\ndescription: Reserve stock\nauth: authenticated\nroles: [buyer, admin]\n"
      "params:\n  sku: { type: string, required: true }\n  quantity: { type: int, default: 1 }\n---\n"
      "INSERT INTO r (sku) VALUES (:sku)\n";
  f.logics["empty_meta"] = "---\n---\nSELECT 3";
  f.logics["crlf"] = "---\r\nauth: public\r\n---\r\nSELECT 4\r\n";
  f.logics["unclosed"] = "---\nauth: public\nSELECT 1\n";
  f.logics["badyaml"] = "---\nauth: [public\n---\nSELECT 1\n";
  f.logics["notmap"] = "---\n- a\n---\nSELECT 1\n";
  Diagnostics d;
  Project p = load_project(f, {}, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(p.logics["plain"].dump(), R"({"meta":{},"sql":"SELECT 1;\n"})");
  EXPECT_EQ(
      p.logics["orders/reserve"].dump(),
      R"({"meta":{"auth":"authenticated","description":"Reserve stock","params":{"quantity":{"default":1,)"
      R"("type":"int"},"sku":{"required":true,"type":"string"}},"roles":["buyer","admin"]},)"
      R"("sql":"INSERT INTO r (sku) VALUES (:sku)\n"})");
  EXPECT_EQ(p.logics["empty_meta"].dump(), R"({"meta":{},"sql":"SELECT 3"})");
  EXPECT_EQ(p.logics["crlf"].dump(), R"({"meta":{"auth":"public"},"sql":"SELECT 4\r\n"})");
  EXPECT_EQ(p.logics["unclosed"].dump(), R"({"raw":"---\nauth: public\nSELECT 1\n"})");
  EXPECT_EQ(p.logics["badyaml"]["raw"], f.logics["badyaml"]);
  EXPECT_EQ(p.logics["notmap"]["raw"], f.logics["notmap"]);
  EXPECT_EQ(
      strs(d.warnings()),
      (std::vector<std::string>{
          "logics/badyaml.sql:3:1: logic 'badyaml': front matter is not valid YAML: YAML syntax error: end "
          "of "
          "sequence flow not found; the Bridge will reject calls to it until it is fixed",
          "logics/notmap.sql:2:1: logic 'notmap': front matter must be a mapping; the Bridge will reject "
          "calls "
          "to it until it is fixed",
          "logics/unclosed.sql:1:1: logic 'unclosed': front matter is not closed by a '---' line; the Bridge "
          "will reject calls to it until it is fixed",
      }));
}

TEST(Project, InvalidUtf8IsReportedWhereItIs) {
  ProjectFiles f;
  f.schema.push_back({"schema/s.yaml", "version: 1\ntables:\n  t\xc3\x28: {}\n"});
  f.permissions = "tables:\n  t: { select: { roles: [\"caf\xc3\xa9\", \"\xff\"] } }\n";
  f.logics["bad"] = "SELECT '\xe2\x82'";
  f.logics["good"] = "SELECT 'caf\xc3\xa9 \xf0\x9f\x98\x80'";
  Diagnostics d;
  Project p = load_project(f, {}, d);
  EXPECT_EQ(strs(d.errors()),
            (std::vector<std::string>{
                "schema/s.yaml:3:4: the file is not valid UTF-8 (invalid byte sequence)",
                "config/permissions.yaml:2:36: the file is not valid UTF-8 (invalid byte sequence)",
                "logics/bad.sql:1:9: the file is not valid UTF-8 (invalid byte sequence)",
            }));
  EXPECT_FALSE(p.logics.contains("bad"));
  EXPECT_EQ(p.logics["good"]["sql"], "SELECT 'caf\xc3\xa9 \xf0\x9f\x98\x80'");
}

TEST(Project, StorageKeepsOrderAndChecksBuckets) {
  ProjectFiles f;
  f.storage =
      "buckets:\n  media: { provider: s3, bucket: m }\npolicies:\n  \"thumbs/*\": { upload_sign: { roles: "
      "[a] } }\n"
      "  \"a/*\": { delete: { roles: [b] } }\n";
  f.schema.push_back({"schema/s.yaml",
                      "version: 1\ntables:\n  t:\n    columns:\n      a: { type: file, bucket: media }\n"
                      "      b: { type: file, bucket: docs }\n"});
  Diagnostics d;
  Project p = load_project(f, {}, d);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(
      strs(d.warnings()),
      std::vector<std::string>{"schema/s.yaml:6:32: table 't' column 'b': bucket 'docs' is not declared in "
                               "config/storage.yaml (declared: media)"});
  EXPECT_EQ(p.storage_ordered["policies"].begin().key(), "thumbs/*");
  EXPECT_EQ(p.storage["buckets"]["media"]["bucket"], "m");

  ProjectFiles bad;
  bad.storage = "buckets: [\n";
  bad.permissions = "tables:\n  nope: {}\n";
  Diagnostics d2;
  load_project(bad, {}, d2);
  EXPECT_EQ(strs(d2.errors()),
            (std::vector<std::string>{
                "config/storage.yaml:2:1: YAML syntax error: end of sequence flow not found",
                "config/permissions.yaml:2:3: unknown table 'nope' (not declared in schema/)",
            }));
}
