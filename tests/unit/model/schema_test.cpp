// Schema loading (spec hub-cli-schema §4): accepted files, exact diagnostics with file:line:col, IR shape and
// round trip, default index names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stk/core/error.hpp"
#include "stk/core/json.hpp"
#include "stk/model/project.hpp"
#include "stk/model/schema.hpp"

using namespace stk::model;

namespace {

struct LoadedSchema {
  Schema schema;
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

LoadedSchema load_files(std::vector<SourceFile> files, LoadOptions opts = {}) {
  LoadedSchema l;
  l.schema = load_schema(files, opts, l.diags);
  return l;
}

LoadedSchema load1(const std::string& yaml, LoadOptions opts = {}) {
  return load_files({{"schema/shop.yaml", yaml}}, opts);
}

// The spec §4.1 example.
const char* kNotebooks = R"(version: 1
tables:
  notebooks:
    connection: main                 # Hub connection name; "main" if omitted (Decision)
    id: { name: id, generate: uuid_v7 }
    columns:
      title:     { type: string, nullable: false }
      archived:  { type: boolean, nullable: false, default: false }
      opened_at: { type: timestamp, nullable: false, default: now }
      slug:      { type: string, nullable: true, unique: true }
      labels:    { type: array, items: string, nullable: true }
      cover:     { type: file, bucket: media, onDelete: cascade, nullable: true }
    indexes:
      - columns: [archived, opened_at]
      - { columns: [title], unique: true, name: notebooks_title_uq }
  pages:
    connection: main
    id: { name: id, type: bigint, generate: auto_increment }
    columns:
      notebook_id:
        type: string
        nullable: false
        references: { table: notebooks, as: notebook, onDelete: cascade }
)";

}  // namespace

TEST(Schema, SpecExampleCompilesToExactIr) {
  LoadedSchema l = load1(kNotebooks);
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  EXPECT_EQ(l.warnings(), std::vector<std::string>{});
  nlohmann::ordered_json ir = schema_to_ir(l.schema, "main");
  const char* expected =
      R"({"version":1,"tables":{)"
      R"("notebooks":{"connection":"main","id":{"name":"id","type":"string","generate":"uuid_v7"},)"
      R"("columns":{)"
      R"("title":{"type":"string","nullable":false,"unique":false},)"
      R"("archived":{"type":"boolean","nullable":false,"unique":false,"default":false},)"
      R"("opened_at":{"type":"timestamp","nullable":false,"unique":false,"defaultNow":true},)"
      R"("slug":{"type":"string","nullable":true,"unique":true},)"
      R"("labels":{"type":"array","items":"string","nullable":true,"unique":false},)"
      R"("cover":{"type":"file","nullable":true,"unique":false,"bucket":"media","onDelete":"cascade"}},)"
      R"("indexes":[{"name":"ix_notebooks_archived_opened_at","columns":["archived","opened_at"],"unique":false},)"
      R"({"name":"notebooks_title_uq","columns":["title"],"unique":true}]},)"
      R"("pages":{"connection":"main","id":{"name":"id","type":"bigint","generate":"auto_increment"},)"
      R"("columns":{"notebook_id":{"type":"string","nullable":false,"unique":false,)"
      R"("references":{"table":"notebooks","column":"id","as":"notebook","onDelete":"cascade","onUpdate":"restrict"}}},)"
      R"("indexes":[]}}})";
  EXPECT_EQ(ir.dump(), expected);
}

TEST(Schema, DefaultsAreExplicitWhenOmitted) {
  LoadedSchema l = load1("version: 1\ntables:\n  t:\n    columns:\n      a: { type: int }\n");
  ASSERT_TRUE(l.errors().empty());
  EXPECT_EQ(
      schema_to_ir(l.schema, "main").dump(),
      R"({"version":1,"tables":{"t":{"connection":"main","id":{"name":"id","type":"string","generate":"ulid"},)"
      R"("columns":{"a":{"type":"int","nullable":false,"unique":false}},"indexes":[]}}})");
}

TEST(Schema, IdGenerateAndTypeDerivation) {
  LoadedSchema l = load1(R"(version: 1
tables:
  a: { id: { generate: client } }
  b: { id: { generate: client, type: bigint } }
  c: { id: { generate: nanoid, name: code } }
  d: { id: { generate: uuid_v4, type: string } }
)");
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  EXPECT_EQ(l.schema.table("a")->id.type, "string");
  EXPECT_EQ(l.schema.table("b")->id.type, "bigint");
  EXPECT_EQ(l.schema.table("c")->id.name, "code");
  EXPECT_EQ(l.schema.table("c")->type_of("code"), "string");
  EXPECT_EQ(l.schema.table("d")->id.generate, "uuid_v4");
}

TEST(Schema, IdErrors) {
  LoadedSchema l = load1(R"(version: 1
tables:
  a: { id: { generate: ulid, type: bigint } }
  b: { id: { generate: auto_increment, type: string } }
  c: { id: { generate: serial } }
  d: { id: { generate: client, type: int } }
  e:
    id: { name: key }
    columns:
      key: { type: string }
)");
  EXPECT_EQ(
      l.errors(),
      (std::vector<std::string>{
          "schema/shop.yaml:3:36: table 'a': id type 'bigint' is not allowed with generate 'ulid' (always "
          "string)",
          "schema/shop.yaml:4:46: table 'b': id type 'string' is not allowed with generate 'auto_increment' "
          "(always bigint)",
          "schema/shop.yaml:5:24: table 'c': unknown id generate 'serial' (expected ulid, nanoid, uuid_v4, "
          "uuid_v7, auto_increment or client)",
          "schema/shop.yaml:6:38: table 'd': id type 'int' is not allowed (a primary key is string or "
          "bigint)",
          "schema/shop.yaml:10:7: table 'e' column 'key': redefines the primary key 'key' (configure it in "
          "the "
          "table's 'id' block instead)",
      }));
}

TEST(Schema, EveryTypeAndValidDefaults) {
  LoadedSchema l = load1(R"(version: 1
tables:
  all_types:
    columns:
      s:   { type: string, default: "hello" }
      i:   { type: int, default: -2147483648 }
      bi:  { type: bigint, default: 9223372036854775807 }
      bs:  { type: bigint, default: "-0042" }
      f:   { type: float, default: 1.5 }
      fi:  { type: float, default: 2 }
      d:   { type: decimal, default: 12.50 }
      ds:  { type: decimal, default: "0.10" }
      b:   { type: boolean, default: true }
      j:   { type: json, default: { a: [1, "x", null], b: { c: true } } }
      js:  { type: json, default: 3 }
      ts:  { type: timestamp, default: "2024-01-02T03:04:05Z" }
      tn:  { type: timestamp, default: now }
      by:  { type: bytes, default: "aGVsbG8=" }
      fl:  { type: file, bucket: media }
      ar:  { type: array, items: int, default: [1, 2, 3] }
      an:  { type: "array<array<string>>", default: [["a"], []] }
      am:  { type: array, items: { type: array, items: bigint }, default: [[1, "2"]] }
      ai:  { type: array, items: "array<boolean>" }
      nn:  { type: string, nullable: true, default: null }
      sn:  { type: string, default: 'now' }
)");
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  const Table* t = l.schema.table("all_types");
  ASSERT_NE(t, nullptr);
  auto def = [&](const char* c) {
    return t->column(c)->default_value.value_or(nlohmann::json("<none>")).dump();
  };
  EXPECT_EQ(def("s"), R"("hello")");
  EXPECT_EQ(def("i"), "-2147483648");
  EXPECT_EQ(def("bi"), R"("9223372036854775807")");
  EXPECT_EQ(def("bs"), R"("-42")");
  EXPECT_EQ(def("f"), "1.5");
  EXPECT_EQ(def("fi"), "2.0");
  EXPECT_EQ(def("d"), R"("12.50")");
  EXPECT_EQ(def("ds"), R"("0.10")");
  EXPECT_EQ(def("b"), "true");
  EXPECT_EQ(def("j"), R"({"a":[1,"x",null],"b":{"c":true}})");
  EXPECT_EQ(def("js"), "3");
  EXPECT_EQ(def("ts"), R"("2024-01-02T03:04:05Z")");
  EXPECT_EQ(def("tn"), R"("<none>")");
  EXPECT_TRUE(t->column("tn")->default_now);
  EXPECT_EQ(def("by"), R"("aGVsbG8=")");
  EXPECT_EQ(t->column("fl")->file_on_delete, "preserve");
  EXPECT_EQ(def("ar"), "[1,2,3]");
  EXPECT_EQ(t->column("an")->type, "array");
  EXPECT_EQ(t->column("an")->items, "array<string>");
  EXPECT_EQ(def("an"), R"([["a"],[]])");
  EXPECT_EQ(t->column("am")->items, "array<bigint>");
  EXPECT_EQ(def("am"), R"([["1","2"]])");
  EXPECT_EQ(t->column("ai")->items, "array<boolean>");
  EXPECT_FALSE(t->column("nn")->has_default());
  EXPECT_EQ(def("sn"), R"("now")");
}

TEST(Schema, InvalidDefaultsAreAllReportedWithPositions) {
  LoadedSchema l = load1(R"(version: 1
tables:
  orders:
    columns:
      a: { type: int, default: "12" }
      b: { type: int, default: 3000000000 }
      c: { type: bigint, default: "12x" }
      d: { type: float, default: "1.5" }
      e: { type: decimal, default: "1,5" }
      f: { type: boolean, default: yes }
      g: { type: timestamp, default: "yesterday" }
      h: { type: bytes, default: "not base64!" }
      i: { type: string, default: 12 }
      j: { type: array, items: int, default: [1, "x"] }
      k: { type: int, default: now }
      l: { type: string, default: null }
      m: { type: array, items: int, default: { a: 1 } }
    indexes: []
  more:
    columns:
      total:
        type: int
        default: abc
)");
  EXPECT_EQ(
      l.errors(),
      (std::vector<std::string>{
          "schema/shop.yaml:5:32: table 'orders' column 'a': default '12' is not a valid int",
          "schema/shop.yaml:6:32: table 'orders' column 'b': default '3000000000' is not a valid int (out of "
          "the 32-bit range; use bigint)",
          "schema/shop.yaml:7:35: table 'orders' column 'c': default '12x' is not a valid bigint",
          "schema/shop.yaml:8:34: table 'orders' column 'd': default '1.5' is not a valid float",
          "schema/shop.yaml:9:36: table 'orders' column 'e': default '1,5' is not a valid decimal",
          "schema/shop.yaml:10:36: table 'orders' column 'f': default 'yes' is not a valid boolean",
          "schema/shop.yaml:11:38: table 'orders' column 'g': default 'yesterday' is not a valid timestamp",
          "schema/shop.yaml:12:34: table 'orders' column 'h': default 'not base64!' is not a valid bytes",
          "schema/shop.yaml:13:35: table 'orders' column 'i': default '12' is not a valid string (quote it "
          "to use it as a string)",
          "schema/shop.yaml:14:46: table 'orders' column 'j': default a list is not a valid array<int> (item "
          "1 "
          "'x' is not a valid int)",
          "schema/shop.yaml:15:32: table 'orders' column 'k': default 'now' is only valid for timestamp "
          "columns (quote it for the literal string)",
          "schema/shop.yaml:16:35: table 'orders' column 'l': default null is not allowed on a non-nullable "
          "column",
          "schema/shop.yaml:17:46: table 'orders' column 'm': default a mapping is not a valid array<int>",
          "schema/shop.yaml:23:18: table 'more' column 'total': default 'abc' is not a valid int",
      }));
}

TEST(Schema, UnknownTypeHasTheSpecMessage) {
  LoadedSchema l = load1(R"(version: 1
tables:
  things:
    columns:
      mystery: { type: uuidish }
      nested: { type: array, items: uuidish }
      deep: { type: "array<array<uuidish>>" }
)");
  EXPECT_EQ(l.errors(), (std::vector<std::string>{
                            "schema/shop.yaml:5:24: unknown schema type 'uuidish' for column 'mystery'",
                            "schema/shop.yaml:6:37: unknown schema type 'uuidish' for column 'nested'",
                            "schema/shop.yaml:7:21: unknown schema type 'uuidish' for column 'deep'",
                        }));
}

TEST(Schema, ColumnShapeErrors) {
  LoadedSchema l = load1(R"(version: 1
tables:
  t:
    columns:
      no_type: { nullable: true }
      arr: { type: array }
      arr2: { type: "array<int>", items: int }
      f: { type: file }
      f2: { type: file, bucket: media, onDelete: remove }
      fa: { type: array, items: file }
      n: { type: string, nullable: "yes" }
      u: { type: string, unique: 1 }
      bad-name: { type: string }
      scalar: string
)");
  EXPECT_EQ(
      l.errors(),
      (std::vector<std::string>{
          "schema/shop.yaml:5:7: table 't' column 'no_type': missing 'type'",
          "schema/shop.yaml:6:20: table 't' column 'arr': an array column requires 'items'",
          "schema/shop.yaml:7:35: table 't' column 'arr2': 'items' given twice (type array<...> and items)",
          "schema/shop.yaml:8:18: table 't' column 'f': a file column requires 'bucket'",
          "schema/shop.yaml:9:50: table 't' column 'f2': onDelete 'remove' is not valid for a file (preserve "
          "or cascade)",
          "schema/shop.yaml:10:33: table 't' column 'fa': arrays of file are not supported (use one file "
          "column per object)",
          "schema/shop.yaml:11:36: table 't' column 'n': 'nullable' must be true or false, not 'yes'",
          "schema/shop.yaml:12:34: table 't' column 'u': 'unique' must be true or false, not '1'",
          "schema/shop.yaml:13:7: table 't': invalid column name 'bad-name' (must match "
          "^[A-Za-z_][A-Za-z0-9_]{0,62}$)",
          "schema/shop.yaml:14:15: table 't' column 'scalar': expected a mapping with at least 'type', not "
          "'string'",
      }));
}

TEST(Schema, UnknownKeysAreWarnings) {
  LoadedSchema l = load1(R"(version: 1
owner: me
tables:
  t:
    comment: hi
    columns:
      a: { type: string, length: 20 }
      b: { type: int, bucket: media }
)");
  EXPECT_EQ(l.errors(), std::vector<std::string>{});
  EXPECT_EQ(l.warnings(),
            (std::vector<std::string>{
                "schema/shop.yaml:2:1: unknown top-level key 'owner' (ignored)",
                "schema/shop.yaml:5:5: table 't': unknown key 'comment' (ignored)",
                "schema/shop.yaml:7:26: table 't' column 'a': unknown key 'length' (ignored)",
                "schema/shop.yaml:8:23: table 't' column 'b': 'bucket' applies only to file columns "
                "(ignored)",
            }));
}

TEST(Schema, VersionAndSyntax) {
  LoadedSchema l = load_files({{"schema/a.yaml", "tables: {}\n"},
                               {"schema/b.yaml", "version: 2\ntables: {}\n"},
                               {"schema/c.yaml", "version: 1\ntables:\n  t: { columns: [a, b\n"},
                               {"schema/d.yaml", ""},
                               {"schema/e.yaml", "- 1\n"}});
  EXPECT_EQ(l.errors(),
            (std::vector<std::string>{
                "schema/a.yaml:1:1: missing 'version: 1'",
                "schema/b.yaml:1:10: unsupported schema version '2' (only 'version: 1' is supported)",
                "schema/c.yaml:4:1: YAML syntax error: end of sequence flow not found",
                "schema/d.yaml:1:1: missing 'version: 1' (the file is empty)",
                "schema/e.yaml:1:1: a schema file must be a mapping with 'version: 1' and 'tables', "
                "not a list",
            }));
}

TEST(Schema, HostileYamlIsAnErrorNotACrash) {
  // Deep nesting: yaml-cpp's own guard, reported as a syntax error.
  LoadedSchema deep = load1("version: 1\ntables: " + std::string(100000, '['));
  EXPECT_EQ(deep.errors(),
            std::vector<std::string>{
                "schema/shop.yaml:2:1: YAML syntax error: nested too deeply (max 500 levels)"});
  // Alias expansion ("billion laughs") inside a json default is bounded.
  std::string laughs = "version: 1\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 9; ++i) {
    laughs += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) laughs += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    laughs += "]\n";
  }
  laughs += "tables:\n  t:\n    columns:\n      j: { type: json, default: *a8 }\n";
  LoadedSchema l = load1(laughs);
  EXPECT_EQ(l.errors(),
            std::vector<std::string>{"schema/shop.yaml:14:24: table 't' column 'j': default a list is "
                                     "not a valid json (YAML value is too large or too deeply nested)"});
}

TEST(Schema, DuplicateTablesAcrossFilesAndDuplicateKeys) {
  LoadedSchema l = load_files({{"schema/a.yaml", "version: 1\ntables:\n  users: {}\n  orders: {}\n"},
                               {"schema/b.yaml",
                                "version: 1\ntables:\n  orders:\n    columns:\n      x: { type: int }\n"
                                "      x: { type: string }\n"}});
  EXPECT_EQ(l.errors(), (std::vector<std::string>{
                            "schema/b.yaml:6:7: table 'orders': duplicate key 'x' (first defined at line 5)",
                            "schema/b.yaml:3:3: table 'orders' is already defined at schema/a.yaml:4:3",
                        }));
  ASSERT_EQ(l.schema.tables.size(), 2u);
  EXPECT_EQ(l.schema.tables[0].name, "orders");  // sorted; the first definition wins
  EXPECT_TRUE(l.schema.tables[0].columns.empty());
}

TEST(Schema, IdentifiersAndConnections) {
  std::string long_name(64, 'a');
  LoadedSchema l = load1("version: 1\ntables:\n  " + long_name + ": {}\n  1abc: {}\n  stk_events: {}\n" +
                         "  ok:\n    connection: -bad\n  ok2:\n    connection: analytics-2\n");
  EXPECT_EQ(l.errors(),
            (std::vector<std::string>{
                "schema/shop.yaml:3:3: invalid table name '" + long_name +
                    "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)",
                "schema/shop.yaml:4:3: invalid table name '1abc' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)",
                "schema/shop.yaml:5:3: table name 'stk_events' is reserved (names starting with 'stk_' "
                "belong to Santokit)",
                "schema/shop.yaml:7:17: table 'ok': invalid connection name '-bad' (must match "
                "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$)",
            }));
  EXPECT_EQ(load1("version: 1\ntables:\n  " + std::string(63, 'a') + ": {}\n").errors().size(), 0u);
}

TEST(Schema, UnregisteredConnectionSaysHowToRegister) {
  LoadOptions opts;
  opts.known_connections = std::set<std::string>{"main", "audit"};
  LoadedSchema l = load1("version: 1\ntables:\n  a: {}\n  b:\n    connection: analytics\n", opts);
  EXPECT_EQ(l.errors(),
            (std::vector<std::string>{
                "schema/shop.yaml:5:17: table 'b' uses connection 'analytics', which is not registered "
                "for this env (registered: audit, main); register it with: stk connections set --name "
                "analytics --engine postgres --db-url <postgres://...>",
            }));
  opts.known_connections = std::set<std::string>{};
  LoadedSchema none = load1("version: 1\ntables:\n  a: {}\n", opts);
  ASSERT_EQ(none.errors().size(), 1u);
  EXPECT_NE(
      none.errors()[0].find("schema/shop.yaml:3:3: table 'a' uses connection 'main', which is not registered "
                            "for this env (no connections are registered); register it with: stk connections "
                            "set --name main"),
      std::string::npos)
      << none.errors()[0];
}

TEST(Schema, References) {
  LoadedSchema l = load1(R"(version: 1
tables:
  authors:
    id: { generate: auto_increment }
    columns:
      handle: { type: string, unique: true }
      nick: { type: string }
  other:
    connection: analytics
  posts:
    columns:
      author_id: { type: bigint, references: { table: authors, as: author } }
      by_handle: { type: string, nullable: true, references: { table: authors, column: handle, onDelete: set_null, onUpdate: cascade } }
      wrong_type: { type: string, references: { table: authors } }
      missing: { type: string, references: { table: nobody } }
      cross: { type: string, references: { table: other } }
      nocol: { type: string, references: { table: authors, column: ghost } }
      notuniq: { type: string, references: { table: authors, column: nick } }
      setnull: { type: bigint, references: { table: authors, onDelete: set_null } }
      badact: { type: bigint, references: { table: authors, onUpdate: explode } }
      clash: { type: bigint, references: { table: authors, as: author } }
      clash2: { type: bigint, references: { table: authors, as: nocol } }
      notable: { type: bigint, references: { as: x } }
)");
  EXPECT_EQ(
      l.errors(),
      (std::vector<std::string>{
          "schema/shop.yaml:19:72: table 'posts' column 'setnull': onDelete set_null requires a nullable "
          "column (add "
          "'nullable: true')",
          "schema/shop.yaml:20:71: table 'posts' column 'badact': onUpdate 'explode' is not a valid action "
          "(restrict, "
          "no_action, cascade, set_null or set_default)",
          "schema/shop.yaml:23:44: table 'posts' column 'notable': references: missing 'table'",
          "schema/shop.yaml:14:56: table 'posts' column 'wrong_type': type string does not match the "
          "referenced "
          "column 'authors.id' (bigint)",
          "schema/shop.yaml:15:53: table 'posts' column 'missing': references unknown table 'nobody'",
          "schema/shop.yaml:16:51: table 'posts' column 'cross': references table 'other' on connection "
          "'analytics', but this table is on connection 'main' (references across connections are not "
          "allowed)",
          "schema/shop.yaml:17:68: table 'posts' column 'nocol': references unknown column 'ghost' of table "
          "'authors'",
          "schema/shop.yaml:18:70: table 'posts' column 'notuniq': the referenced column 'authors.nick' is "
          "neither "
          "the primary key nor unique",
          "schema/shop.yaml:21:64: table 'posts' column 'clash': relation name 'author' is already used at "
          "schema/shop.yaml:12:68",
          "schema/shop.yaml:22:65: table 'posts' column 'clash2': relation name 'nocol' clashes with column "
          "'nocol'",
      }));
  const Table* posts = l.schema.table("posts");
  ASSERT_NE(posts, nullptr);
  const Reference& r = *posts->column("author_id")->references;
  EXPECT_EQ(r.column, "id");
  EXPECT_EQ(r.as, "author");
  EXPECT_EQ(r.on_delete, "restrict");
  EXPECT_EQ(r.on_update, "restrict");
  const Reference& h = *posts->column("by_handle")->references;
  EXPECT_EQ(h.column, "handle");
  EXPECT_EQ(h.on_delete, "set_null");
  EXPECT_EQ(h.on_update, "cascade");
}

TEST(Schema, Indexes) {
  LoadedSchema l = load1(R"(version: 1
tables:
  t:
    columns:
      a: { type: string }
      b: { type: int }
    indexes:
      - columns: [id, a]
      - { columns: [b], unique: true }
      - { columns: [] }
      - { columns: [a, ghost] }
      - { columns: [a, a] }
      - { unique: true }
      - { columns: [b], name: ux_t_b }
      - { columns: [a], name: "bad name" }
)");
  EXPECT_EQ(l.errors(),
            (std::vector<std::string>{
                "schema/shop.yaml:10:20: table 't' index 3: 'columns' must not be empty",
                "schema/shop.yaml:13:9: table 't' index 6: missing 'columns'",
                "schema/shop.yaml:15:31: table 't' index 8: invalid index name 'bad name' (must match "
                "^[A-Za-z_][A-Za-z0-9_]{0,62}$)",
                "schema/shop.yaml:11:24: table 't' index 4: unknown column 'ghost'",
                "schema/shop.yaml:12:24: table 't' index 5: column 'a' is listed twice",
                "schema/shop.yaml:14:31: table 't' index 7: index name 'ux_t_b' is already used at "
                "schema/shop.yaml:9:9",
            }));
  const Table* t = l.schema.table("t");
  EXPECT_EQ(t->indexes[0].name, "ix_t_id_a");
  EXPECT_EQ(t->indexes[1].name, "ux_t_b");
  EXPECT_TRUE(t->indexes[1].unique);
}

TEST(Schema, DefaultIndexNames) {
  EXPECT_EQ(default_index_name("notebooks", {"archived", "opened_at"}, false),
            "ix_notebooks_archived_opened_at");
  EXPECT_EQ(default_index_name("notebooks", {"title"}, true), "ux_notebooks_title");
  // 63 characters exactly: kept.
  std::string t60(60, 't');
  EXPECT_EQ(default_index_name(t60, {}, false), "ix_" + t60);
  // Longer: first 54 chars + '_' + 8 hex chars of SHA-256(full name) = 63 chars.
  std::string table = "customer_subscription_invoices";
  std::vector<std::string> cols = {"billing_account_identifier", "created_at_timestamp"};
  std::string full = "ix_customer_subscription_invoices_billing_account_identifier_created_at_timestamp";
  std::string name = default_index_name(table, cols, false);
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(name.substr(0, 55), full.substr(0, 54) + "_");
  // sha256(full) = 66857075f7607c78... (printf '%s' "$full" | sha256sum)
  EXPECT_EQ(name, "ix_customer_subscription_invoices_billing_account_iden_66857075");
  EXPECT_NE(default_index_name(table, cols, true),
            "ux" + name.substr(2));  // different hash, not just the prefix
  // A long index declared without a name gets that default.
  LoadedSchema l = load1(
      "version: 1\ntables:\n  " + table + ":\n    columns:\n      " + cols[0] + ": { type: string }\n      " +
      cols[1] + ": { type: timestamp }\n    indexes:\n      - columns: [" + cols[0] + ", " + cols[1] + "]\n");
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  EXPECT_EQ(l.schema.table(table)->indexes[0].name, name);
}

TEST(Schema, ColumnCap) {
  std::string yaml = "version: 1\ntables:\n  wide:\n    columns:\n";
  for (int i = 0; i < 201; ++i) yaml += "      c" + std::to_string(i) + ": { type: int }\n";
  LoadedSchema l = load1(yaml);
  EXPECT_EQ(l.errors(),
            std::vector<std::string>{"schema/shop.yaml:4:5: table 'wide': too many columns (201, max 200)"});
  std::string ok = "version: 1\ntables:\n  wide:\n    columns:\n";
  for (int i = 0; i < 200; ++i) ok += "      c" + std::to_string(i) + ": { type: int }\n";
  EXPECT_EQ(load1(ok).errors(), std::vector<std::string>{});
}

TEST(Schema, TableCapPerConnection) {
  std::string yaml = "version: 1\ntables:\n";
  for (int i = 0; i < 501; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "t%03d", i);
    yaml += std::string("  ") + buf + ": {}\n";
  }
  yaml += "  other: { connection: second }\n";
  LoadedSchema l = load1(yaml);
  EXPECT_EQ(l.errors(), std::vector<std::string>{
                            "schema/shop.yaml:503:3: connection 'main' has too many tables (501, max 500)"});
}

TEST(Schema, ManyErrorsAtOnce) {
  // One bad column does not hide the others, nor do problems in other tables or files.
  LoadedSchema l = load_files(
      {{"schema/a.yaml", R"(version: 1
tables:
  a:
    columns:
      x: { type: nope }
      y: { type: int, default: "1" }
      z: { type: string, references: { table: ghost } }
)"},
       {"schema/b.yaml", "version: 1\ntables:\n  b:\n    columns:\n      w: { type: also_nope }\n"}});
  EXPECT_EQ(l.errors(), (std::vector<std::string>{
                            "schema/a.yaml:5:18: unknown schema type 'nope' for column 'x'",
                            "schema/a.yaml:6:32: table 'a' column 'y': default '1' is not a valid int",
                            "schema/b.yaml:5:18: unknown schema type 'also_nope' for column 'w'",
                            "schema/a.yaml:7:47: table 'a' column 'z': references unknown table 'ghost'",
                        }));
}

TEST(Schema, IrRoundTripIsExact) {
  LoadedSchema l = load_files({{"schema/a.yaml", kNotebooks}, {"schema/b.yaml", R"(version: 1
tables:
  events:
    connection: analytics
    id: { generate: client, type: bigint }
    columns:
      zeta: { type: json, nullable: true, default: { k: [1, 2.5, "s"] } }
      alpha: { type: decimal, default: "3.14" }
      when: { type: timestamp, default: "2024-01-01T00:00:00Z" }
      raw: { type: bytes, nullable: true }
      big: { type: bigint, unique: true, default: 5 }
      tags: { type: "array<array<int>>", default: [[1], [2, 3]] }
      parent: { type: bigint, nullable: true, references: { table: events, onDelete: set_null, onUpdate: no_action } }
    indexes:
      - { columns: [zeta, alpha], unique: true }
)"}});
  ASSERT_EQ(l.errors(), std::vector<std::string>{});
  nlohmann::ordered_json by_conn = schema_to_ir_by_connection(l.schema);
  ASSERT_EQ(by_conn.size(), 2u);
  EXPECT_EQ(by_conn.begin().key(), "analytics");
  // Declaration order survives (zeta before alpha).
  EXPECT_EQ(by_conn["analytics"]["tables"]["events"]["columns"].begin().key(), "zeta");
  Schema back = schema_from_ir(nlohmann::ordered_json::parse(by_conn.dump()));
  EXPECT_EQ(schema_to_ir_by_connection(back).dump(), by_conn.dump());
  // Single-connection IR is accepted too.
  Schema one = schema_from_ir(schema_to_ir(l.schema, "main"));
  EXPECT_EQ(schema_to_ir(one, "main").dump(), by_conn["main"].dump());
  // The sorted-keys overload keeps content (column order becomes alphabetical).
  Schema sorted = schema_from_ir(nlohmann::json::parse(by_conn.dump()));
  EXPECT_EQ(stk::canonical_dump(nlohmann::json::parse(schema_to_ir_by_connection(sorted).dump())),
            stk::canonical_dump(nlohmann::json::parse(by_conn.dump())));
}

TEST(Schema, IrRejectsMalformedInput) {
  EXPECT_THROW(schema_from_ir(nlohmann::json::parse(R"({"main":{"version":1,"tables":{"t":{}}}})")),
               stk::Error);
  EXPECT_THROW(
      schema_from_ir(nlohmann::json::parse(
          R"({"main":{"version":1,"tables":{"t":{"id":{"name":"id","type":"string","generate":"ulid"},)"
          R"("columns":{"c":{"type":"uuidish"}}}}}})")),
      stk::Error);
  EXPECT_THROW(schema_from_ir(nlohmann::json::parse(R"({"main":{"version":2,"tables":{}}})")), stk::Error);
  EXPECT_THROW(schema_from_ir(nlohmann::json::parse(R"([1])")), stk::Error);
  try {
    schema_from_ir(
        nlohmann::json::parse(R"({"main":{"version":1,"tables":{"t":{"connection":"other",)"
                              R"("id":{"name":"id","type":"string","generate":"ulid"},"columns":{}}}}})"));
    FAIL() << "expected stk::Error";
  } catch (const stk::Error& e) {
    EXPECT_EQ(e.code(), stk::Code::BadRequest);
    EXPECT_STREQ(e.what(),
                 "schema IR: table 't': connection 'other' does not match its IR connection 'main'");
  }
}

TEST(Schema, ValidValue) {
  EXPECT_TRUE(is_valid_value("int", "", 5));
  EXPECT_FALSE(is_valid_value("int", "", 3000000000LL));
  EXPECT_TRUE(is_valid_value("bigint", "", "-12"));
  EXPECT_FALSE(is_valid_value("bigint", "", "1.5"));
  EXPECT_TRUE(is_valid_value("decimal", "", "1.5"));
  EXPECT_FALSE(is_valid_value("decimal", "", "abc"));
  EXPECT_TRUE(is_valid_value("timestamp", "", "2024-01-01T00:00:00+02:00"));
  EXPECT_FALSE(is_valid_value("timestamp", "", "2024-01-01"));
  EXPECT_TRUE(is_valid_value("array", "array<int>", nlohmann::json::parse("[[1],[]]")));
  EXPECT_FALSE(is_valid_value("array", "int", nlohmann::json::parse("[1,null]")));
  EXPECT_FALSE(is_valid_value("string", "", nullptr));
  EXPECT_TRUE(is_valid_value("json", "", nullptr));
}
