#pragma once
// A compiled release built in memory from schema/permissions YAML, the way the Hub builds one (unit tests and
// the request fuzz target share it).
#include <string>

#include "release/snapshot.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"
#include "stk/model/project.hpp"

namespace stk::bridge::fixture {

inline const char* kSchema = R"(version: 1
tables:
  orgs:
    id: { name: id, generate: ulid }
    columns:
      name: { type: string, unique: true }
  teams:
    id: { name: id, generate: uuid_v7 }
    columns:
      org_id: { type: string, references: { table: orgs, as: org } }
      name: { type: string }
  users:
    id: { name: id, generate: nanoid }
    columns:
      email: { type: string, unique: true }
      team_id: { type: string, nullable: true, references: { table: teams, as: team } }
      age: { type: int, nullable: true }
      salary: { type: decimal, nullable: true }
      born: { type: timestamp, nullable: true }
      avatar: { type: bytes, nullable: true }
      ratings: { type: array, items: int, nullable: true }
      prefs: { type: json, nullable: true }
  posts:
    id: { name: id, type: bigint, generate: auto_increment }
    columns:
      author_id: { type: string, references: { table: users, as: author } }
      title: { type: string }
      owner: { type: string, nullable: true }
      status: { type: string, default: "draft" }
)";

inline const char* kPermissions = R"(tables:
  orgs:
    select: { roles: [admin] }
  teams:
    select: { roles: [admin, reader] }
  users:
    select:
      - roles: [admin]
      - roles: [reader]
        columns: [id, email, team_id]
    insert: { roles: [admin] }
    update:
      roles: [admin]
      columns: [email, age]
  posts:
    select:
      - roles: [admin]
      - roles: [reader]
        condition: "resource.status == 'published'"
    insert:
      - roles: [admin]
      - roles: [writer]
        condition: "resource.status == 'draft'"
        columns: [author_id, title, status]
    delete: { roles: [admin] }
)";

inline std::shared_ptr<const EnvRelease> make_release(const std::string& schema_yaml = kSchema,
                                                      const std::string& perms_yaml = kPermissions) {
  model::Diagnostics diags;
  auto schema = model::load_schema({{"schema/app.yaml", schema_yaml}}, {}, diags);
  auto perms = model::load_permissions("config/permissions.yaml", perms_yaml, schema, diags);
  auto compiled = cel::compile_permissions(perms, schema, "config/permissions.yaml", diags);
  if (diags.has_errors()) throw Error(Code::BadRequest, "fixture does not load");
  nlohmann::ordered_json payload = {
      {"releaseId", "rel_test"},
      {"project", "shop"},
      {"env", "dev"},
      {"schema", {{"irByConnection", model::schema_to_ir_by_connection(schema)}}},
      {"permissions", nlohmann::ordered_json(compiled)}};
  return compile_release(payload,
                         nlohmann::json{{"main", {{"engine", "postgres"}, {"dbUrl", "postgres://x"}}}});
}

}  // namespace stk::bridge::fixture
