// Against a real PostgreSQL: STK_TEST_PG_URL, or the private instance of scripts/test-pg.
#include "stk/pg/connection.hpp"

#include <gtest/gtest.h>

#include "test_server.hpp"

#include <cstdio>
#include <cstdlib>
#include <random>

using namespace stk;
using namespace stk::pg;

using stk::test::server_url;
using stk::test::url_for_db;

namespace {

std::string password_of(const std::string& url) {
  size_t authority = url.find("://") + 3;
  size_t at = url.find('@', authority);
  size_t colon = url.find(':', authority);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return "";
  return url.substr(colon + 1, at - colon - 1);
}

class ConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = server_url();
    ASSERT_FALSE(server_.empty()) << "no PostgreSQL: set STK_TEST_PG_URL or install postgresql-15";
    std::mt19937_64 rng(std::random_device{}());
    db_ = "stk_test_conn_" + std::to_string(rng() % 1000000000);
    auto admin = Connection::connect(server_);
    admin.exec("CREATE DATABASE " + db_);
    url_ = url_for_db(server_, db_);
  }
  static void TearDownTestSuite() {
    if (db_.empty()) return;
    auto admin = Connection::connect(server_);
    admin.exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }
  static std::string server_, db_, url_;
};
std::string ConnectionTest::server_, ConnectionTest::db_, ConnectionTest::url_;

}  // namespace

TEST(SqlState, CodeMapping) {
  EXPECT_EQ(code_for_sqlstate("23505"), Code::Conflict);
  EXPECT_EQ(code_for_sqlstate("23502"), Code::BadRequest);
  EXPECT_EQ(code_for_sqlstate("23503"), Code::BadRequest);
  EXPECT_EQ(code_for_sqlstate("23514"), Code::BadRequest);
  EXPECT_EQ(code_for_sqlstate("22P02"), Code::BadRequest);
  EXPECT_EQ(code_for_sqlstate("22001"), Code::BadRequest);
  EXPECT_EQ(code_for_sqlstate("57014"), Code::GatewayTimeout);
  EXPECT_EQ(code_for_sqlstate("08006"), Code::Unavailable);
  EXPECT_EQ(code_for_sqlstate("08001"), Code::Unavailable);
  EXPECT_EQ(code_for_sqlstate("57P01"), Code::Unavailable);
  EXPECT_EQ(code_for_sqlstate("57P03"), Code::Unavailable);
  EXPECT_EQ(code_for_sqlstate("53300"), Code::Unavailable);
  EXPECT_EQ(code_for_sqlstate("42601"), Code::Internal);
  EXPECT_EQ(code_for_sqlstate("42P01"), Code::Internal);
  EXPECT_EQ(code_for_sqlstate("40001"), Code::Internal);
  EXPECT_EQ(code_for_sqlstate(""), Code::Internal);
  EXPECT_EQ(code_for_sqlstate("2350"), Code::Internal);
}

TEST_F(ConnectionTest, ExecAndResults) {
  auto c = Connection::connect(url_);
  EXPECT_TRUE(c.ok());
  EXPECT_GE(c.server_version(), 150000);
  Result r = c.exec("SELECT 1 AS one, 'x'::text AS two, NULL::int AS three");
  ASSERT_EQ(r.rows(), 1);
  ASSERT_EQ(r.cols(), 3);
  EXPECT_EQ(r.column_name(0), "one");
  EXPECT_EQ(r.column_name(2), "three");
  EXPECT_EQ(r.value(0, 0), "1");
  EXPECT_EQ(r.value(0, 1), "x");
  EXPECT_TRUE(r.is_null(0, 2));
  EXPECT_FALSE(r.is_null(0, 1));
  EXPECT_EQ(r.value(5, 5), "");  // out of range: empty, no crash
  EXPECT_TRUE(r.is_null(5, 5));

  c.exec("CREATE TABLE kv (k text PRIMARY KEY, v text)");
  Result ins = c.exec_params("INSERT INTO kv (k, v) VALUES ($1, $2), ($3, $4)",
                             {"a", "it's; DROP TABLE kv; --", "b", std::nullopt});
  EXPECT_EQ(ins.affected_rows(), 2);
  Result sel = c.exec_params("SELECT v FROM kv WHERE k = $1", {"a"});
  ASSERT_EQ(sel.rows(), 1);
  EXPECT_EQ(sel.value(0, 0), "it's; DROP TABLE kv; --");
  Result nul = c.exec_params("SELECT v IS NULL FROM kv WHERE k = $1", {"b"});
  EXPECT_EQ(nul.value(0, 0), "t");
  Result multi = c.exec("SELECT 1; SELECT 2 AS second");  // simple protocol: last result
  EXPECT_EQ(multi.value(0, 0), "2");
  Result moved = std::move(multi);
  EXPECT_EQ(moved.value(0, 0), "2");
  c.exec("DROP TABLE kv");
}

TEST_F(ConnectionTest, ErrorsCarrySqlstateAndCode) {
  auto c = Connection::connect(url_);
  c.exec("CREATE TABLE u (id int PRIMARY KEY, name text NOT NULL, CONSTRAINT u_name_key UNIQUE (name))");
  c.exec("INSERT INTO u VALUES (1, 'a')");
  try {
    c.exec("INSERT INTO u VALUES (2, 'a')");
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.code(), Code::Conflict);
    EXPECT_EQ(e.constraint(), "u_name_key");
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos);
    EXPECT_FALSE(e.detail().empty());
  }
  try {
    c.exec_params("INSERT INTO u VALUES ($1, NULL)", {"3"});
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "23502");
    EXPECT_EQ(e.code(), Code::BadRequest);
  }
  try {
    c.exec_params("SELECT $1::int", {"abc"});
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "22P02");
    EXPECT_EQ(e.code(), Code::BadRequest);
  }
  try {
    c.exec("SELEC 1");
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
    EXPECT_EQ(e.code(), Code::Internal);
  }
  c.exec("SET statement_timeout = 50");
  try {
    c.exec("SELECT pg_sleep(2)");
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
    EXPECT_EQ(e.code(), Code::GatewayTimeout);
  }
  c.exec("RESET statement_timeout");
  EXPECT_TRUE(c.ok());  // still usable after errors
  EXPECT_EQ(c.exec("SELECT count(*) FROM u").value(0, 0), "1");
  c.exec("DROP TABLE u");
}

TEST_F(ConnectionTest, Transactions) {
  auto c = Connection::connect(url_);
  c.exec("CREATE TABLE t (x int)");
  EXPECT_FALSE(c.in_transaction());
  c.begin();
  EXPECT_TRUE(c.in_transaction());
  c.exec("INSERT INTO t VALUES (1)");
  c.rollback();
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(c.exec("SELECT count(*) FROM t").value(0, 0), "0");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1)");
  }  // rolled back
  EXPECT_EQ(c.exec("SELECT count(*) FROM t").value(0, 0), "0");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (1)");
    EXPECT_THROW(c.exec("INSERT INTO t VALUES ('x')"), PgError);
    EXPECT_TRUE(c.in_transaction());  // failed transaction
  }
  EXPECT_FALSE(c.in_transaction());
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(c.exec("SELECT count(*) FROM t").value(0, 0), "1");
  c.exec("DROP TABLE t");
}

TEST_F(ConnectionTest, TerminatedConnectionIsUnavailable) {
  auto victim = Connection::connect(url_);
  std::string pid(victim.exec("SELECT pg_backend_pid()").value(0, 0));
  auto killer = Connection::connect(url_);
  killer.exec_params("SELECT pg_terminate_backend($1::int)", {pid});
  try {
    victim.exec("SELECT 1");
    FAIL() << "no error";
  } catch (const PgError& e) {
    EXPECT_EQ(e.code(), Code::Unavailable) << e.what() << " " << e.sqlstate();
  }
  EXPECT_FALSE(victim.ok());
}

TEST_F(ConnectionTest, ConnectErrorsNeverContainThePassword) {
  const std::string real_pw = password_of(server_);
  ASSERT_FALSE(real_pw.empty());

  // wrong password
  std::string wrong_pw = "Wr0ng-Secret-Pw-42";
  std::string bad = server_;
  bad.replace(bad.find(real_pw), real_pw.size(), wrong_pw);
  try {
    Connection::connect(bad);
    FAIL() << "connected with a wrong password";
  } catch (const PgError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(msg.find("cannot connect to database: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("password authentication failed for user \"postgres\""), std::string::npos) << msg;
    EXPECT_EQ(msg.find(wrong_pw), std::string::npos) << msg;
    EXPECT_EQ(msg.find(real_pw), std::string::npos) << msg;
    EXPECT_EQ(msg.find("postgres://"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }

  // nothing listening
  try {
    Connection::connect("postgres://postgres:" + wrong_pw + "@127.0.0.1:1/db", 2);
    FAIL() << "connected to port 1";
  } catch (const PgError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(msg.find("cannot connect to database: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("onnection refused"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(wrong_pw), std::string::npos) << msg;
  }

  // unknown database: libpq names the database, never the password
  try {
    Connection::connect(url_for_db(server_, "no_such_db_stk"));
    FAIL();
  } catch (const PgError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(msg.find("no_such_db_stk"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(real_pw), std::string::npos) << msg;
  }

  // malformed URLs: libpq would quote the bad token, which may be the password
  for (std::string url : {"postgres://u:p%zzSecretPw@h/db", "postgres://u:SecretPw@h/db?bogus_option=1",
                          "postgres://u:SecretPw@h:notaport/db"}) {
    try {
      Connection::connect(url, 2);
      FAIL() << url;
    } catch (const PgError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find("SecretPw"), std::string::npos) << msg;
      EXPECT_TRUE(e.code() == Code::BadRequest || e.code() == Code::Unavailable) << msg;
    }
  }

  // password in key=value form
  try {
    Connection::connect("host=127.0.0.1 port=1 user=x password=KvSecret dbname=y", 2);
    FAIL();
  } catch (const PgError& e) {
    EXPECT_EQ(std::string(e.what()).find("KvSecret"), std::string::npos) << e.what();
  }
}
