#include "cli/table.h"

#include <algorithm>
#include <utility>

namespace klaxon::cli {

namespace {

constexpr std::string_view kEllipsis = "\u2026";

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are invalid.
size_t SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t n = 0;
  char32_t min = 0;
  char32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsC1Control(std::string_view sequence) {
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xC2 &&
         static_cast<unsigned char>(sequence[1]) < 0xA0;
}

}  // namespace

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), max_widths_(headers_.size(), 0) {}

void Table::SetMaxWidth(size_t column, size_t width) {
  if (column < max_widths_.size()) max_widths_[column] = width;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (size_t c = 0; c < cells.size(); ++c) {
    cells[c] = SanitizeForTerminal(cells[c]);
    if (max_widths_[c] > 0) cells[c] = TruncateToWidth(cells[c], max_widths_[c]);
  }
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = DisplayWidth(headers_[c]);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  std::string out;
  const auto append_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      line += cells[c];
      if (c + 1 < cells.size()) line.append(widths[c] - DisplayWidth(cells[c]), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
  };
  append_line(headers_);
  for (const auto& row : rows_) append_line(row);
  return out;
}

std::string SanitizeForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) {
      out += '?';
      ++i;
      continue;
    }
    const std::string_view sequence = text.substr(i, n);
    const unsigned char b = static_cast<unsigned char>(sequence[0]);
    if ((n == 1 && (b < 0x20 || b == 0x7F)) || IsC1Control(sequence)) {
      out += ' ';
    } else {
      out += sequence;
    }
    i += n;
  }
  return out;
}

size_t DisplayWidth(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string TruncateToWidth(std::string_view utf8, size_t width) {
  if (DisplayWidth(utf8) <= width) return std::string(utf8);
  if (width == 0) return "";
  // Keep width - 1 code points, then the ellipsis.
  size_t kept = 0;
  size_t end = 0;
  while (end < utf8.size()) {
    if ((static_cast<unsigned char>(utf8[end]) & 0xC0) != 0x80) {
      if (kept == width - 1) break;
      ++kept;
    }
    ++end;
  }
  return std::string(utf8.substr(0, end)) + std::string(kEllipsis);
}

}  // namespace klaxon::cli
