// Turns management responses (JSON) into text for an 80x24 serial terminal:
// key/value blocks, tables that fall back to one record per block when they
// do not fit the width, raw multi-line text (configs, diffs) as is. No colors.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/cli/commands.hpp"

namespace tg::cli {

using OrderedJson = nlohmann::ordered_json;

std::vector<std::string> render(const OrderedJson& result, size_t width = 80);

// `show calls`: two lines per call (who, where, state, time; then per-
// direction MOS/loss/jitter and the Call-ID), every line within `width`.
std::vector<std::string> render_calls(const OrderedJson& result, size_t width = 80);

// `diagnose call`: the call in three lines, then verdict, explanation and
// advice word-wrapped to `width`.
std::vector<std::string> render_diagnosis(const OrderedJson& result, size_t width = 80);

// Word-wraps `text` to `width` columns; the first line starts with `first`,
// the others with as many blanks.
std::vector<std::string> wrap(const std::string& first, const std::string& text, size_t width);

// `| include WORD` / `| exclude WORD`, in order; matching ignores case.
std::vector<std::string> apply_filters(const std::vector<std::string>& lines, const std::vector<Filter>& filters);

// An error for the console: the line, a caret under `pos` (when known and
// within the line), then "% message".
std::vector<std::string> error_lines(const std::string& line, size_t pos, const std::string& message,
                                     size_t prompt_width);

}  // namespace tg::cli
