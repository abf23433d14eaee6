// config/permissions.yaml loading (spec bridge-crud §8).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stk/model/project.hpp"

using namespace stk::model;

namespace {

const char* kSchema = R"(version: 1
tables:
  notes:
    columns:
      title: { type: string }
      body: { type: string, nullable: true }
      owner_id: { type: string }
  tags:
    id: { name: tag_id, generate: client }
    columns:
      label: { type: string }
)";

Schema schema() {
  Diagnostics d;
  Schema s = load_schema({{"schema/app.yaml", kSchema}}, {}, d);
  EXPECT_FALSE(d.has_errors());
  return s;
}

struct LoadedPermissions {
  Permissions perms;
  Diagnostics diags;
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const auto& d : diags.errors()) out.push_back(d.str());
    return out;
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (const auto& d : diags.warnings()) out.push_back(d.str());
    return out;
  }
};

LoadedPermissions load_permissions_yaml(const std::string& yaml) {
  LoadedPermissions l;
  l.perms = load_permissions("config/permissions.yaml", yaml, schema(), l.diags);
  return l;
}

}  // namespace

TEST(Permissions, SpecExample) {
  LoadedPermissions l = load_permissions_yaml(R"(tables:
  notes:
    select:
      - roles: [support]
        columns: ["*"]
      - roles: [authenticated]
        condition: "resource.owner_id == request.auth.sub"
        columns: [id, title, body, owner_id]
    insert:
      - roles: [authenticated]
        columns: [title, body, owner_id]
    update:                         # single-rule shorthand (no list)
      roles: [authenticated]
      condition: resource.owner_id == request.auth.sub
      columns: [title, body]
    delete:
      - roles: [support]
)");
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  EXPECT_EQ(l.warnings(), std::vector<std::string>{});
  const auto& ops = l.perms.tables.at("notes").ops;
  ASSERT_EQ(ops.size(), 4u);
  const auto& select = ops.at("select");
  ASSERT_EQ(select.size(), 2u);
  EXPECT_EQ(select[0].roles, std::vector<std::string>{"support"});
  EXPECT_TRUE(select[0].all_columns);
  EXPECT_FALSE(select[0].condition.has_value());
  EXPECT_EQ(select[0].pos.line, 4);
  EXPECT_EQ(select[0].pos.col, 9);
  EXPECT_FALSE(select[1].all_columns);
  EXPECT_EQ(select[1].columns, (std::vector<std::string>{"id", "title", "body", "owner_id"}));
  EXPECT_EQ(*select[1].condition, "resource.owner_id == request.auth.sub");
  EXPECT_EQ(select[1].condition_pos.file, "config/permissions.yaml");
  EXPECT_EQ(select[1].condition_pos.line, 7);
  EXPECT_EQ(select[1].condition_pos.col, 20);   // the opening quote
  EXPECT_EQ(select[1].condition_text_col, 21);  // first character inside the quotes
  const auto& update = ops.at("update");
  ASSERT_EQ(update.size(), 1u);
  EXPECT_EQ(update[0].pos.line, 13);
  EXPECT_EQ(update[0].condition_pos.col, 18);  // plain scalar
  EXPECT_EQ(update[0].condition_text_col, 18);
  EXPECT_EQ(update[0].columns, (std::vector<std::string>{"title", "body"}));
  EXPECT_TRUE(ops.at("delete")[0].all_columns);
}

TEST(Permissions, ConditionTextColumnOnlyWhenVerbatim) {
  LoadedPermissions l = load_permissions_yaml(R"(tables:
  notes:
    select:
      - roles: [a]
        condition: "resource.title == \"x\""
      - roles: [b]
        condition: >
          resource.title == 'x'
      - roles: [c]
        condition: 'resource.title == ''x'''
)");
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  const auto& rules = l.perms.tables.at("notes").ops.at("select");
  EXPECT_EQ(*rules[0].condition, "resource.title == \"x\"");
  EXPECT_EQ(rules[0].condition_text_col, 0);  // escapes: offsets do not map to columns
  EXPECT_EQ(rules[1].condition_text_col, 0);  // block scalar
  EXPECT_EQ(rules[1].condition_pos.line, 7);
  EXPECT_EQ(*rules[2].condition, "resource.title == 'x'");
  EXPECT_EQ(rules[2].condition_text_col, 0);
}

TEST(Permissions, AllProblemsReported) {
  LoadedPermissions l = load_permissions_yaml(R"(version: 1
defaults: {}
tables:
  ghosts:
    select: { roles: [a] }
  notes:
    upsert: { roles: [a] }
    select:
      - roles: []
      - columns: [title]
      - roles: [a]
        columns: []
      - roles: [a]
        columns: [title, salary, tag_id]
      - roles: [a]
        role: [b]
      - roles: admin
      - roles: [a, 7]
      - "just a string"
    delete:
      roles: [admin]
      columns: [title]
  tags:
    insert:
      roles: [a]
      columns: [tag_id, label]
)");
  EXPECT_EQ(
      l.errors(),
      (std::vector<std::string>{
          "config/permissions.yaml:2:1: unknown top-level key 'defaults' (only 'tables' and 'version' are "
          "allowed)",
          "config/permissions.yaml:4:3: unknown table 'ghosts' (not declared in schema/)",
          "config/permissions.yaml:7:5: table 'notes': unknown operation 'upsert' (expected select, insert, "
          "update or delete)",
          "config/permissions.yaml:9:16: table 'notes' select rule 1: 'roles' must not be empty",
          "config/permissions.yaml:10:9: table 'notes' select rule 2: missing 'roles'",
          "config/permissions.yaml:12:18: table 'notes' select rule 3: 'columns' must not be empty (omit it "
          "or "
          "use [\"*\"] for all columns)",
          "config/permissions.yaml:14:26: table 'notes' select rule 4: unknown column 'salary'",
          "config/permissions.yaml:14:34: table 'notes' select rule 4: unknown column 'tag_id'",
          "config/permissions.yaml:16:9: table 'notes' select rule 5: unknown rule key 'role' (expected "
          "roles, "
          "condition or columns)",
          "config/permissions.yaml:17:16: table 'notes' select rule 6: 'roles' must be a list of role names, "
          "not 'admin'",
          "config/permissions.yaml:18:20: table 'notes' select rule 7: a role must be a non-empty string, "
          "not "
          "'7'",
          "config/permissions.yaml:19:9: table 'notes' select rule 8: expected a mapping with 'roles', not "
          "'just a string'",
      }));
  EXPECT_EQ(l.warnings(),
            (std::vector<std::string>{
                "config/permissions.yaml:22:7: table 'notes' delete rule 1: 'columns' is ignored on "
                "delete rules",
            }));
  // Unknown tables are dropped; known columns stay (incl. the PK under its own name).
  EXPECT_EQ(l.perms.tables.count("ghosts"), 0u);
  EXPECT_EQ(l.perms.tables.at("tags").ops.at("insert")[0].columns,
            (std::vector<std::string>{"tag_id", "label"}));
  EXPECT_TRUE(l.perms.tables.at("notes").ops.at("delete")[0].all_columns);
}

TEST(Permissions, EmptyAndSyntax) {
  EXPECT_TRUE(load_permissions_yaml("").errors().empty());
  EXPECT_TRUE(load_permissions_yaml("tables: {}\n").errors().empty());
  EXPECT_EQ(load_permissions_yaml("tables:\n  notes: [\n").errors(),
            std::vector<std::string>{
                "config/permissions.yaml:3:1: YAML syntax error: end of sequence flow not found"});
  EXPECT_EQ(load_permissions_yaml("version: 2\ntables: {}\n").errors(),
            std::vector<std::string>{"config/permissions.yaml:1:10: unsupported permissions version '2' "
                                     "(only 'version: 1' is supported)"});
}
