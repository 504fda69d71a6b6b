#include "analytics/comparison.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "analytics/svg.h"

namespace klaxon::analytics {

namespace {

constexpr const char* kNone = "\u2014";  // —

// ---------------------------------------------------------------------------------------
// The document, built once and rendered as Markdown or HTML.

struct Table {
  std::vector<std::string> columns;
  std::vector<bool> numeric;  // right-aligned columns
  std::vector<std::vector<std::string>> rows;
};

struct Block {
  enum class Kind { kHeading1, kHeading2, kHeading3, kParagraph, kTable, kChart };
  Kind kind = Kind::kParagraph;
  std::string text;  // headings, paragraphs; kChart: SVG markup (HTML only)
  Table table;
};

Block Text(Block::Kind kind, std::string text) {
  Block b;
  b.kind = kind;
  b.text = std::move(text);
  return b;
}

Block TableBlock(std::vector<std::string> columns, std::vector<bool> numeric,
                 std::vector<std::vector<std::string>> rows) {
  Block b;
  b.kind = Block::Kind::kTable;
  b.table.columns = std::move(columns);
  b.table.numeric = std::move(numeric);
  b.table.rows = std::move(rows);
  return b;
}

// ---------------------------------------------------------------------------------------
// Numbers and changes

std::string Signed(int64_t v) {
  std::string out = v > 0 ? "+" : "";
  return out.append(std::to_string(v));
}

// " (+40%)" for a change d from prev > 0; "" otherwise.
std::string Percent(double d, double prev) {
  if (prev <= 0 || d == 0) return "";
  return std::string(" (").append(Signed(std::llround(100.0 * d / prev))).append("%)");
}

std::string CountChange(int cur, int prev) {
  int d = cur - prev;
  return Signed(d) + Percent(d, prev);
}

std::optional<DurationMs> Mean(const Summary& s) {
  return s.n > 0 ? std::optional<DurationMs>(s.mean) : std::nullopt;
}
std::optional<DurationMs> Median(const Summary& s) {
  return s.n > 0 ? std::optional<DurationMs>(s.median) : std::nullopt;
}
std::optional<DurationMs> P90(const Summary& s) {
  return s.n > 0 ? std::optional<DurationMs>(s.p90) : std::nullopt;
}

std::string Dur(const std::optional<DurationMs>& d) { return d ? HumanDuration(*d) : kNone; }

std::string DurationChange(const std::optional<DurationMs>& cur,
                           const std::optional<DurationMs>& prev) {
  if (!cur || !prev) return kNone;
  DurationMs d = *cur - *prev;
  std::string sign = d > 0 ? "+" : "";
  return sign + HumanDuration(d) + Percent(static_cast<double>(d), static_cast<double>(*prev));
}

// met of met + missed, when any were judged.
std::optional<double> Rate(int met, int missed) {
  if (met + missed <= 0) return std::nullopt;
  return static_cast<double>(met) / (met + missed);
}

std::string RateText(int met, int missed) {
  auto r = Rate(met, missed);
  if (!r) return kNone;
  return std::to_string(met) + "/" + std::to_string(met + missed) + " (" +
         std::to_string(std::llround(*r * 100)) + "%)";
}

std::string RateChange(const std::optional<double>& cur, const std::optional<double>& prev) {
  if (!cur || !prev) return kNone;
  return Signed(std::llround((*cur - *prev) * 100)) + " pts";
}

std::vector<std::string> CountRow(const std::string& name, int cur, int prev) {
  return {name, std::to_string(cur), std::to_string(prev), CountChange(cur, prev)};
}

std::vector<std::string> DurationRow(const std::string& name, std::optional<DurationMs> cur,
                                     std::optional<DurationMs> prev) {
  return {name, Dur(cur), Dur(prev), DurationChange(cur, prev)};
}

std::vector<std::string> RateRow(const std::string& name, const TargetTally& cur,
                                 const TargetTally& prev) {
  return {name, RateText(cur.met, cur.missed), RateText(prev.met, prev.missed),
          RateChange(Rate(cur.met, cur.missed), Rate(prev.met, prev.missed))};
}

// ---------------------------------------------------------------------------------------
// Sections

std::string LocalTime(TimeMs t, const std::string& zone_name) {
  constexpr TimeMs kEarliest = -2'208'988'800'000, kLatest = 253'402'300'800'000 - 1;
  auto sys = date::floor<std::chrono::minutes>(date::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(std::clamp(t, kEarliest, kLatest))));
  try {
    return date::format("%Y-%m-%d %H:%M", date::make_zoned(date::locate_zone(zone_name), sys));
  } catch (const std::exception&) {
    return date::format("%Y-%m-%d %H:%M", sys);
  }
}

std::string Period(const Report& r, const std::string& zone) {
  return LocalTime(r.query.from, zone) + " to " + LocalTime(r.query.to, zone);
}

// "1 incident", "2 incidents".
std::string Incidents(int n) {
  return std::to_string(n).append(n == 1 ? " incident" : " incidents");
}

std::string Intro(const Report& cur, const Report& prev) {
  const std::string& zone = cur.time_zone;
  std::string text = std::string("This period: ").append(Period(cur, zone)) + " (" + zone + "), " +
                     Incidents(cur.incidents) + ". Previous period: " + Period(prev, zone) + ", " +
                     Incidents(prev.incidents) + ".";
  std::vector<std::string> left_out;
  if (cur.query.only_drills) {
    left_out.push_back("every real incident (this report is of drills only)");
  } else if (!cur.query.include_drills) {
    left_out.push_back(std::string("drills (").append(std::to_string(cur.excluded_drills)) + ")");
  }
  if (!cur.query.include_noise) {
    left_out.push_back(
        std::string("incidents marked noise (").append(std::to_string(cur.excluded_noise)) + ")");
  }
  if (!left_out.empty()) {
    text += " Left out this period: " + left_out[0] +
            (left_out.size() > 1 ? " and " + left_out[1] : "") + ".";
  }
  return text;
}

Block Headline(const Report& c, const Report& p) {
  std::vector<std::vector<std::string>> rows = {
      CountRow("Incidents", c.incidents, p.incidents),
      CountRow("Still open", c.open, p.open),
      CountRow("Reopened", c.reopened, p.reopened),
      DurationRow("MTTA (mean)", Mean(c.mtta), Mean(p.mtta)),
      DurationRow("MTTA (median)", Median(c.mtta), Median(p.mtta)),
      DurationRow("MTTA (p90)", P90(c.mtta), P90(p.mtta)),
      DurationRow("Time to mitigate (mean)", Mean(c.time_to_mitigate), Mean(p.time_to_mitigate)),
      DurationRow("MTTR (mean)", Mean(c.mttr), Mean(p.mttr)),
      DurationRow("MTTR (median)", Median(c.mttr), Median(p.mttr)),
      DurationRow("MTTR (p90)", P90(c.mttr), P90(p.mttr)),
      RateRow("Acknowledged within target", c.ack, p.ack),
      RateRow("Resolved within target", c.resolve, p.resolve),
      RateRow("Restored within RTO", c.rto, p.rto),
      {"Updates on cadence", RateText(c.updates.kept, c.updates.missed),
       RateText(p.updates.kept, p.updates.missed),
       RateChange(Rate(c.updates.kept, c.updates.missed), Rate(p.updates.kept, p.updates.missed))}};
  return TableBlock({"Measure", "This period", "Previous period", "Change"},
                    {false, true, true, true}, std::move(rows));
}

std::string Name(const IncidentRow& r) {
  return r.ref.empty() ? std::string("#").append(std::to_string(r.id)) : r.ref;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void MissedTargets(const Report& c, std::vector<Block>& doc) {
  doc.push_back(Text(Block::Kind::kHeading2, "Incidents that missed a target"));
  if (c.missed_targets.empty()) {
    doc.push_back(Text(Block::Kind::kParagraph, "None."));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : c.missed_targets) {
    rows.push_back({Name(r), r.title, r.severity, r.service, Joined(r.MissedTargets()),
                    r.time_to_ack ? HumanDuration(*r.time_to_ack) : "not acknowledged",
                    r.time_to_resolve ? HumanDuration(*r.time_to_resolve) : "open"});
  }
  doc.push_back(TableBlock(
      {"Incident", "Title", "Severity", "Service", "Missed", "Time to ack", "Time to resolve"},
      {false, false, false, false, false, true, true}, std::move(rows)));
  if (c.missed_targets_total > static_cast<int>(c.missed_targets.size())) {
    doc.push_back(Text(Block::Kind::kParagraph, std::to_string(c.missed_targets_total) +
                                                    " incidents missed a target; the first " +
                                                    std::to_string(c.missed_targets.size()) +
                                                    " are listed."));
  }
}

void SlowestAcks(const Report& c, std::vector<Block>& doc) {
  doc.push_back(Text(Block::Kind::kHeading2, "Slowest acknowledgements"));
  if (c.slowest_acks.empty()) {
    doc.push_back(Text(Block::Kind::kParagraph, "None."));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : c.slowest_acks) {
    rows.push_back({Name(r), r.title, r.severity, r.service, HumanDuration(*r.time_to_ack)});
  }
  doc.push_back(TableBlock({"Incident", "Title", "Severity", "Service", "Time to ack"},
                           {false, false, false, false, true}, std::move(rows)));
}

void Offenders(const std::string& heading, const std::string& column,
               const std::vector<NamedCount>& current, const std::map<std::string, int>& before,
               std::vector<Block>& doc) {
  doc.push_back(Text(Block::Kind::kHeading3, heading));
  if (current.empty()) {
    doc.push_back(Text(Block::Kind::kParagraph, "None with more than one incident."));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : current) {
    auto it = before.find(c.name);
    rows.push_back(
        {c.name, std::to_string(c.incidents), std::to_string(it == before.end() ? 0 : it->second)});
  }
  doc.push_back(
      TableBlock({column, "Incidents", "Previous period"}, {false, true, true}, std::move(rows)));
}

void RepeatOffenders(const Report& c, const Report& p, std::vector<Block>& doc) {
  doc.push_back(Text(Block::Kind::kHeading2, "Repeat offenders"));
  std::map<std::string, int> services, alertnames;
  for (const auto& r : p.rows) {
    if (!r.service.empty()) ++services[r.service];
    for (const auto& a : r.alertnames) ++alertnames[a];
  }
  Offenders("Services", "Service", c.repeat_services, services, doc);
  Offenders("Alerts", "Alert", c.repeat_alertnames, alertnames, doc);
}

void FollowThrough(const Report& c, const Report& p, std::vector<Block>& doc) {
  doc.push_back(Text(Block::Kind::kHeading2, "Action-item follow-through"));
  const ActionItems& a = c.action_items;
  const ActionItems& b = p.action_items;
  std::vector<std::vector<std::string>> rows = {
      CountRow("Action items done", a.done, b.done),
      CountRow("Action items open", a.open, b.open),
      CountRow("Action items overdue", a.overdue, b.overdue),
      {"Done of all", RateText(a.done, a.open), RateText(b.done, b.open),
       RateChange(Rate(a.done, a.open), Rate(b.done, b.open))},
      CountRow("Reviews due", c.reviews.due, p.reviews.due),
      CountRow("Reviews published", c.reviews.published, p.reviews.published),
      CountRow("Reviews late", c.reviews.late, p.reviews.late)};
  doc.push_back(TableBlock({"Measure", "This period", "Previous period", "Change"},
                           {false, true, true, true}, std::move(rows)));
}

std::vector<Block> Build(const Report& c, const Report& p, const std::string& title, bool charts) {
  std::vector<Block> doc;
  doc.push_back(Text(Block::Kind::kHeading1, title));
  doc.push_back(Text(Block::Kind::kParagraph, Intro(c, p)));
  doc.push_back(Text(Block::Kind::kHeading2, "Headline numbers"));
  doc.push_back(Headline(c, p));
  if (charts) {
    doc.push_back(
        Text(Block::Kind::kChart, WeeklyTrendSvg("Incidents, MTTA and MTTR per week", c.by_week)));
    std::vector<std::pair<std::string, double>> severities, services;
    for (const auto& g : c.by_severity) severities.emplace_back(g.key, g.incidents);
    for (const auto& g : c.by_service) {
      services.emplace_back(g.key.empty() ? "(no service)" : g.key, g.incidents);
    }
    doc.push_back(Text(Block::Kind::kChart, BarChartSvg("Incidents by severity", severities, "")));
    doc.push_back(Text(Block::Kind::kChart, BarChartSvg("Incidents by service", services, "")));
  }
  MissedTargets(c, doc);
  SlowestAcks(c, doc);
  RepeatOffenders(c, p, doc);
  FollowThrough(c, p, doc);
  return doc;
}

// ---------------------------------------------------------------------------------------
// Rendering

std::string MarkdownTable(const Table& t) {
  std::string out = "|";
  for (const auto& c : t.columns) out.append(" ").append(EscapeMarkdown(c)).append(" |");
  out += "\n|";
  for (bool numeric : t.numeric) out += numeric ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out.append(" ").append(EscapeMarkdown(cell)).append(" |");
    out += "\n";
  }
  return out;
}

std::string HtmlTable(const Table& t) {
  std::string out = "<table>\n<thead><tr>";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    out.append(t.numeric[i] ? "<th class=\"num\">" : "<th>")
        .append(EscapeXml(t.columns[i]))
        .append("</th>");
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      bool numeric = i < t.numeric.size() && t.numeric[i];
      out.append(numeric ? "<td class=\"num\">" : "<td>").append(EscapeXml(row[i])).append("</td>");
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

constexpr const char* kStyle =
    R"(body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;background:#fff;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.25rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.2rem}
h3{font-size:1rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1rem 0}
svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none;font-size:10pt}h2,h3{break-after:avoid}table,figure{break-inside:avoid}th{background:none}@page{margin:1.5cm}}
)";

}  // namespace

std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      out += ' ';
      continue;
    }
    switch (ch) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '~':
      case '&':
      case '#':
        out += '\\';
        break;
      default:
        break;
    }
    out += ch;
  }
  return out;
}

std::string ComparisonMarkdown(const Report& current, const Report& previous,
                               const std::string& title) {
  std::string out;
  for (const Block& b : Build(current, previous, title, false)) {
    switch (b.kind) {
      case Block::Kind::kHeading1:
        out.append("# ").append(EscapeMarkdown(b.text)).append("\n\n");
        break;
      case Block::Kind::kHeading2:
        out.append("## ").append(EscapeMarkdown(b.text)).append("\n\n");
        break;
      case Block::Kind::kHeading3:
        out.append("### ").append(EscapeMarkdown(b.text)).append("\n\n");
        break;
      case Block::Kind::kParagraph:
        out += EscapeMarkdown(b.text) + "\n\n";
        break;
      case Block::Kind::kTable:
        out += MarkdownTable(b.table) + "\n";
        break;
      case Block::Kind::kChart:
        break;
    }
  }
  return out;
}

std::string ComparisonHtml(const Report& current, const Report& previous,
                           const std::string& title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      EscapeXml(title) + "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  for (const Block& b : Build(current, previous, title, true)) {
    switch (b.kind) {
      case Block::Kind::kHeading1:
        out.append("<h1>").append(EscapeXml(b.text)).append("</h1>\n");
        break;
      case Block::Kind::kHeading2:
        out.append("<h2>").append(EscapeXml(b.text)).append("</h2>\n");
        break;
      case Block::Kind::kHeading3:
        out.append("<h3>").append(EscapeXml(b.text)).append("</h3>\n");
        break;
      case Block::Kind::kParagraph:
        out.append("<p>").append(EscapeXml(b.text)).append("</p>\n");
        break;
      case Block::Kind::kTable:
        out += HtmlTable(b.table);
        break;
      case Block::Kind::kChart:
        out += "<figure>\n" + b.text + "</figure>\n";
        break;
    }
  }
  return out + "</main>\n</body>\n</html>\n";
}

}  // namespace klaxon::analytics
