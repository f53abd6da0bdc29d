// Crash-safe file replacement: after a power cut the file holds either the
// old or the new content, never a mix.
#pragma once
#include <string>
#include <string_view>

namespace tg::config {

// Writes PATH.tmp.PID, fsyncs it, renames it over PATH and fsyncs the
// directory. On failure PATH is untouched, the temp file removed, why says
// which step failed.
bool write_file_atomically(const std::string& path, std::string_view content, std::string& why, int mode = 0640);

// Creates a directory and its parents (mode for the ones created).
bool make_dirs(const std::string& path, std::string& why, int mode = 0750);

}  // namespace tg::config
