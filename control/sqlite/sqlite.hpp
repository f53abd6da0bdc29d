// Thin RAII wrapper over the SQLite C API for the control daemon's stores
// (notification queue, event store). Errors are returned, never thrown:
// a full disk must not take the daemon down.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tg::sql {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  explicit operator bool() const { return s_ != nullptr; }
  // Bind by 1-based index; chainable.
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, double v);
  Stmt& bind_null(int i);
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Runs to completion: true on SQLITE_DONE.
  bool run();
  void reset();

  int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  double f64(int col) const { return sqlite3_column_double(s_, col); }
  std::string text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int columns() const { return sqlite3_column_count(s_); }
  const char* column_name(int col) const { return sqlite3_column_name(s_, col); }
  int column_type(int col) const { return sqlite3_column_type(s_, col); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  Db() = default;
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { close(); }

  // Opens (creating) the file with a WAL journal and a busy timeout so a
  // second process can read. durable: synchronous=FULL, every commit on disk
  // before it returns (the notification queue); otherwise NORMAL, where a
  // power cut may lose the last commits but never corrupts (the event store).
  bool open(const std::string& path, std::string& error, bool durable = true);
  void close();
  bool is_open() const { return db_ != nullptr; }
  bool exec(std::string_view sql, std::string& error);
  Stmt prepare(std::string_view sql, std::string& error);
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  std::string errmsg() const { return db_ ? sqlite3_errmsg(db_) : "database not open"; }
  sqlite3* raw() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  bool ok() const { return begun_; }
  bool commit(std::string& error);

 private:
  Db& db_;
  bool begun_ = false, done_ = false;
};

}  // namespace tg::sql
