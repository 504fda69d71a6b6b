// Plain-text tables and terminal-safe text for the CLI's human output.
//
// A Table is a header row plus data rows; Render() pads every column to its widest cell
// and separates columns by two spaces, with no trailing blanks. Cells come from the
// server, so they are sanitized (control characters become spaces, invalid UTF-8 becomes
// '?') before they reach the terminal, and a column may be capped at a width with "…".
// Widths count code points, not bytes. A value type; not shared between threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace klaxon::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Cells beyond `width` code points are cut and end in "…". 0 means no limit.
  void SetMaxWidth(size_t column, size_t width);
  // Missing cells render empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }

  // The header and the rows, each line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<size_t> max_widths_;
  std::vector<std::vector<std::string>> rows_;
};

// Replaces control characters (C0, DEL, C1) with a space and invalid UTF-8 bytes with '?'.
std::string SanitizeForTerminal(std::string_view text);

// Number of code points in valid UTF-8 text (continuation bytes are not counted).
size_t DisplayWidth(std::string_view utf8);

// `utf8` cut to at most `width` code points, ending in "…" when cut.
std::string TruncateToWidth(std::string_view utf8, size_t width);

}  // namespace klaxon::cli
