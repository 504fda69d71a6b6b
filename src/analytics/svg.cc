#include "analytics/svg.h"

#include "core/utf8.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace klaxon::analytics {

namespace {

constexpr size_t kMaxLabelChars = 28;
constexpr size_t kMaxWeekLabels = 13;
constexpr const char* kBarColor = "#2563eb";
constexpr const char* kMttaColor = "#d97706";
constexpr const char* kMttrColor = "#7c3aed";

// Decodes the code point at s[i], advancing i; nullopt (i advanced by one) when invalid.
std::optional<uint32_t> Decode(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  size_t len = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return std::nullopt;
  }
  uint32_t cp = b & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return std::nullopt;
  }
  i += len;
  return cp;
}

// Valid UTF-8 code points of `s`, without the characters XML does not allow; at most
// `max_chars` of them ("…" last when shortened).
std::u32string Clean(std::string_view s, size_t max_chars = SIZE_MAX) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = Decode(s, i).value_or(0xFFFD);
    bool allowed = cp == '\t' || cp == '\n' || cp == '\r' || (cp >= 0x20 && cp != 0x7F);
    if (cp == 0xFFFE || cp == 0xFFFF) allowed = false;
    if (allowed) out += static_cast<char32_t>(cp);
  }
  if (out.size() > max_chars) {
    out.resize(max_chars - 1);
    out += U'\u2026';
  }
  return out;
}

std::string Escape(const std::u32string& text) {
  std::string out;
  for (char32_t cp : text) {
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        AppendUtf8(out, static_cast<uint32_t>(cp));
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// 3 → "3", 2.25 → "2.3".
std::string Value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}

double Sane(double v) { return std::isfinite(v) && v > 0 ? v : 0; }

std::string Open(const std::string& title, int height, int width) {
  std::string h = std::to_string(height), w = std::to_string(width);
  std::string t = EscapeXml(title);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + w + " " + h + "\" width=\"" +
         w + "\" height=\"" + h + "\" role=\"img\" aria-label=\"" + t +
         "\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n<title>" + t +
         "</title>\n<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + t +
         "</text>\n";
}

std::string Text(double x, double y, const std::string& escaped, const char* anchor = "start") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + anchor + "\">" +
         escaped + "</text>\n";
}

// One trend panel: a line through the weeks that have a value, a point per value.
std::string LinePanel(const std::vector<Group>& weeks, bool mtta, double top, double x0,
                      double slot, double height) {
  double max = 0;
  for (const auto& w : weeks) {
    const Summary& s = mtta ? w.mtta : w.mttr;
    if (s.n > 0) max = std::max(max, static_cast<double>(s.mean));
  }
  const char* color = mtta ? kMttaColor : kMttrColor;
  std::string name = mtta ? "MTTA (mean)" : "MTTR (mean)";
  std::string out =
      Text(x0, top + 12, EscapeXml(name + ", max " + HumanDuration(static_cast<int64_t>(max))));
  double base = top + 20 + height;
  std::string path, points;
  bool pen_down = false;
  for (size_t i = 0; i < weeks.size(); ++i) {
    const Summary& s = mtta ? weeks[i].mtta : weeks[i].mttr;
    if (s.n == 0) {
      pen_down = false;
      continue;
    }
    double x = x0 + slot * (static_cast<double>(i) + 0.5);
    double y = base - (max > 0 ? height * static_cast<double>(s.mean) / max : 0);
    path.append(pen_down ? " L" : (path.empty() ? "M" : " M"))
        .append(Num(x))
        .append(" ")
        .append(Num(y));
    pen_down = true;
    points += "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"3\" fill=\"" + color +
              "\"><title>" + EscapeXml(weeks[i].key + ": " + name + " " + HumanDuration(s.mean)) +
              "</title></circle>\n";
  }
  out += "<line x1=\"" + Num(x0) + "\" y1=\"" + Num(base) + "\" x2=\"" +
         Num(x0 + slot * static_cast<double>(weeks.size())) + "\" y2=\"" + Num(base) +
         "\" stroke=\"#9ca3af\"/>\n";
  if (!path.empty()) {
    out += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
  }
  return out + points;
}

}  // namespace

std::string EscapeXml(std::string_view s) { return Escape(Clean(s)); }

std::string BarChartSvg(const std::string& title,
                        const std::vector<std::pair<std::string, double>>& bars,
                        const std::string& unit) {
  constexpr double kTop = 40, kRow = 28, kLabelRight = 192, kBarLeft = 200, kBarMax = 340;
  size_t n = std::min(bars.size(), kMaxBars);
  int height = 48 + static_cast<int>(kRow) * static_cast<int>(std::max<size_t>(n, 1));
  std::string out = Open(title, height, 640);
  if (n == 0) out += Text(kBarLeft, kTop + 18, "No data");
  double max = 0;
  for (size_t i = 0; i < n; ++i) max = std::max(max, Sane(bars[i].second));
  std::string suffix = unit.empty() ? "" : " " + unit;
  for (size_t i = 0; i < n; ++i) {
    double v = Sane(bars[i].second);
    double y = kTop + kRow * static_cast<double>(i);
    double width = max > 0 ? kBarMax * v / max : 0;
    std::string value = Value(v) + suffix;
    out.append("<g>\n<title>").append(EscapeXml(bars[i].first + ": " + value)).append("</title>\n");
    out += Text(kLabelRight, y + 18, Escape(Clean(bars[i].first, kMaxLabelChars)), "end");
    out += "<rect x=\"" + Num(kBarLeft) + "\" y=\"" + Num(y + 5) + "\" width=\"" + Num(width) +
           "\" height=\"18\" fill=\"" + kBarColor + "\"/>\n";
    out += Text(kBarLeft + width + 6, y + 18, EscapeXml(value));
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

std::string WeeklyTrendSvg(const std::string& title, const std::vector<Group>& weeks) {
  constexpr double kX0 = 48, kX1 = 700, kPanel = 120, kTop = 44, kPlot = 80;
  std::string out = Open(title, 420, 720);
  if (weeks.empty()) return out + Text(kX0, kTop + 40, "No data") + "</svg>\n";
  double slot = (kX1 - kX0) / static_cast<double>(weeks.size());

  int max_count = 0;
  for (const auto& w : weeks) max_count = std::max(max_count, w.incidents);
  out += Text(kX0, kTop + 12,
              std::string("Incidents per week, max ").append(std::to_string(max_count)));
  double base = kTop + 20 + kPlot;
  for (size_t i = 0; i < weeks.size(); ++i) {
    double h = max_count > 0 ? kPlot * weeks[i].incidents / max_count : 0;
    out += "<rect x=\"" + Num(kX0 + slot * (static_cast<double>(i) + 0.15)) + "\" y=\"" +
           Num(base - h) + "\" width=\"" + Num(slot * 0.7) + "\" height=\"" + Num(h) +
           "\" fill=\"" + kBarColor + "\"><title>" +
           EscapeXml(weeks[i].key + ": " + std::to_string(weeks[i].incidents) + " incidents") +
           "</title></rect>\n";
  }
  out += "<line x1=\"" + Num(kX0) + "\" y1=\"" + Num(base) + "\" x2=\"" + Num(kX1) + "\" y2=\"" +
         Num(base) + "\" stroke=\"#9ca3af\"/>\n";
  out += LinePanel(weeks, true, kTop + kPanel, kX0, slot, kPlot);
  out += LinePanel(weeks, false, kTop + 2 * kPanel, kX0, slot, kPlot);

  size_t step = (weeks.size() + kMaxWeekLabels - 1) / kMaxWeekLabels;
  for (size_t i = 0; i < weeks.size(); i += step) {
    const std::string& key = weeks[i].key;
    auto dash = key.rfind('-');
    std::string label = dash == std::string::npos ? key : key.substr(dash + 1);
    out += Text(kX0 + slot * (static_cast<double>(i) + 0.5), kTop + 2 * kPanel + 20 + kPlot + 16,
                EscapeXml(label), "middle");
  }
  return out + "</svg>\n";
}

}  // namespace klaxon::analytics
