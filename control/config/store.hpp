// Running configuration, the console's candidate, commit and rollback.
//
// The running configuration is the file tg-controld was started with. The
// console edits a candidate (a copy of the file's lines, comments kept);
// `commit` validates the whole candidate, and only if it is valid writes it
// atomically over the running file, records it in the history directory and
// makes it the running configuration. A rejected commit changes nothing.
// History entry 0 is the running configuration, 1 the one before, and so on;
// `rollback N` copies entry N into the candidate (commit then applies it), as
// on routers, so a rollback is reviewed with `diff` like any other change.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/config/config.hpp"
#include "control/config/ini.hpp"

namespace tg::config {

struct HistoryEntry {
  int index = 0;         // 0 = running, 1 = previous...
  uint64_t sequence = 0; // grows with every commit, names the file
  int64_t time = 0;      // unix seconds of the commit
  std::string user, comment;
  std::string path;
};

// Unified diff (3 lines of context) of two texts; empty when equal.
std::string unified_diff(const std::string& from, const std::string& to, const std::string& from_name,
                         const std::string& to_name);

// The text with every secret option's value replaced by "********" (for
// users without admin rights and for logs).
std::string mask_secrets(const std::string& text);

class ConfigStore {
 public:
  struct Options {
    std::string running_path;             // the config file
    std::string history_dir;              // empty: STATE_DIR/config-history of the loaded config
    std::vector<Override> overrides;      // command-line --set, applied to every load
  };

  // Loads the running configuration. On errors nothing is set up and the
  // caller refuses to start.
  LoadResult open(const Options& options);
  // After open() rejected the file at boot: runs on the newest history
  // entry that is still valid (the last good committed configuration), or
  // on the factory defaults. The running path stays the rejected file, so
  // the next commit (or a fixed file and SIGHUP) replaces it. `source` says
  // what runs. Errors only if not even the defaults load.
  LoadResult open_last_good(const Options& options, std::string& source);

  const Config& running() const { return *running_; }
  const std::string& running_text() const { return running_text_; }
  const std::string& running_path() const { return options_.running_path; }
  const std::string& history_dir() const { return history_dir_; }
  std::string candidate_text() const { return candidate_.render(); }
  bool candidate_changed() const { return candidate_.render() != running_text_; }

  // Candidate edits. Each checks section, key and value against the schema
  // and changes nothing when it returns an error (the text says why).
  std::optional<std::string> set(const std::string& section, const std::string& key, const std::string& value);
  std::optional<std::string> remove(const std::string& section, const std::optional<std::string>& key);
  // Candidate := history entry N (0 = running, i.e. discard edits).
  std::optional<std::string> rollback(int n);
  void discard() { rollback(0); }

  // Whole-candidate validation, errors as "candidate:LINE: ...".
  LoadResult check() const;

  struct CommitResult {
    bool ok = false;
    bool changed = false;                 // false: candidate equal to running, nothing written
    std::vector<ConfigError> errors;      // validation errors
    std::string io_error;                 // write failed (running unchanged)
    uint64_t sequence = 0;
  };
  CommitResult commit(const std::string& user, const std::string& comment, int64_t now_unix);

  // Re-reads the running file from disk (SIGHUP, or edited by hand). A bad
  // file is rejected whole and the running configuration stays.
  LoadResult reload(const std::string& user, int64_t now_unix);

  std::vector<HistoryEntry> history() const;
  std::string diff() const {
    return unified_diff(running_text_, candidate_.render(), "running", "candidate");
  }

 private:
  bool record(const std::string& text, const std::string& user, const std::string& comment, int64_t now,
              std::string& why);
  void prune();

  Options options_;
  std::string history_dir_;
  std::optional<Config> running_;
  std::string running_text_;
  IniDocument candidate_;
  uint64_t next_sequence_ = 1;
};

}  // namespace tg::config
