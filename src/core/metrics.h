// A small Prometheus metrics registry: labelled counters and histograms, rendered in the
// text exposition format. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace klaxon {

class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void Describe(const std::string& name, const std::string& type, const std::string& help);
  void Add(const std::string& name, const Labels& labels, double delta = 1);
  void Set(const std::string& name, const Labels& labels, double value);
  void Observe(const std::string& name, const Labels& labels, double value);
  std::string Render() const;

 private:
  struct Hist {
    std::vector<uint64_t> counts;  // per bucket (non-cumulative)
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string type, help;
    std::map<std::string, double> values;  // rendered label set → value
    std::map<std::string, Hist> hists;
  };
  static std::string Key(const Labels& labels);
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Histogram buckets in seconds, from 0.5 ms to 10 s.
const std::vector<double>& DurationBuckets();

}  // namespace klaxon
