#include "core/metrics.h"

#include <cstdio>

namespace klaxon {

const std::vector<double>& DurationBuckets() {
  static const std::vector<double> k = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return k;
}

namespace {
// Appends v escaped as a label value (backslash, double quote and newline).
void AppendEscaped(std::string& o, const std::string& v) {
  for (char c : v) {
    if (c == '\\' || c == '"') o.push_back('\\');
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o.push_back(c);
  }
}
std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}
}  // namespace

std::string Metrics::Key(const Labels& labels) {
  // On every request's path: one allocation, built before the lock is taken.
  size_t n = 0;
  for (const auto& [name, v] : labels) n += name.size() + v.size() + 4;
  std::string k;
  k.reserve(n + 8);
  for (const auto& [name, v] : labels) {
    if (!k.empty()) k += ',';
    k += name;
    k += "=\"";
    AppendEscaped(k, v);
    k += '"';
  }
  return k;
}

void Metrics::Describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void Metrics::Add(const std::string& name, const Labels& labels, double delta) {
  std::string key = Key(labels);
  std::lock_guard lock(mu_);
  families_[name].values[key] += delta;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  std::string key = Key(labels);
  std::lock_guard lock(mu_);
  families_[name].values[key] = value;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  const auto& b = DurationBuckets();
  std::string key = Key(labels);
  std::lock_guard lock(mu_);
  Hist& h = families_[name].hists[key];
  if (h.counts.empty()) h.counts.assign(b.size() + 1, 0);
  size_t i = 0;
  while (i < b.size() && value > b[i]) ++i;
  ++h.counts[i];
  h.sum += value;
  ++h.count;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  const auto& b = DurationBuckets();
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [k, v] : f.values)
      out += name + (k.empty() ? "" : "{" + k + "}") + " " + Num(v) + "\n";
    for (const auto& [k, h] : f.hists) {
      uint64_t cum = 0;
      std::string sep = k.empty() ? "" : ",";
      for (size_t i = 0; i <= b.size(); ++i) {
        cum += h.counts[i];
        std::string le = i < b.size() ? Num(b[i]) : "+Inf";
        out += name + "_bucket{" + k + sep + "le=\"" + le + "\"} " + std::to_string(cum) + "\n";
      }
      std::string lbl = k.empty() ? "" : "{" + k + "}";
      out += name + "_sum" + lbl + " " + Num(h.sum) + "\n";
      out += name + "_count" + lbl + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace klaxon
