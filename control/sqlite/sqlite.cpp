#include "control/sqlite/sqlite.hpp"

namespace tg::sql {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_) sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (s_) sqlite3_finalize(s_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  // an empty view may have a null data(): SQLite would bind NULL, not ''
  sqlite3_bind_text(s_, i, v.data() ? v.data() : "", int(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

int Stmt::step() { return s_ ? sqlite3_step(s_) : SQLITE_MISUSE; }

bool Stmt::run() {
  int rc = step();
  while (rc == SQLITE_ROW) rc = step();
  return rc == SQLITE_DONE;
}

void Stmt::reset() {
  if (!s_) return;
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(s_, col)))
           : std::string();
}

bool Db::open(const std::string& path, std::string& error, bool durable) {
  close();
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    error = path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    close();
    return false;
  }
  sqlite3_busy_timeout(db_, 5000);
  std::string pragmas = std::string("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=") +
                        (durable ? "FULL;" : "NORMAL;");
  if (!exec(pragmas, error)) {
    error = path + ": " + error;
    close();
    return false;
  }
  return true;
}

void Db::close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

bool Db::exec(std::string_view sql, std::string& error) {
  if (!db_) {
    error = "database not open";
    return false;
  }
  char* msg = nullptr;
  std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    error = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return false;
  }
  return true;
}

Stmt Db::prepare(std::string_view sql, std::string& error) {
  sqlite3_stmt* s = nullptr;
  if (!db_) {
    error = "database not open";
    return {};
  }
  if (sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &s, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    return {};
  }
  return Stmt(db_, s);
}

Transaction::Transaction(Db& db) : db_(db) {
  std::string ignored;
  begun_ = db_.exec("BEGIN IMMEDIATE", ignored);
}

Transaction::~Transaction() {
  if (begun_ && !done_) {
    std::string ignored;
    db_.exec("ROLLBACK", ignored);
  }
}

bool Transaction::commit(std::string& error) {
  if (!begun_ || done_) {
    error = "no transaction";
    return false;
  }
  done_ = true;
  if (!db_.exec("COMMIT", error)) {
    std::string ignored;
    db_.exec("ROLLBACK", ignored);
    return false;
  }
  return true;
}

}  // namespace tg::sql
