#include "http/router.h"

namespace klaxon::http {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

size_t Router::Add(std::string method, std::string pattern) {
  Entry e{std::move(method), {}};
  for (auto s : SplitPath(pattern)) e.segments.emplace_back(s);
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

std::optional<Router::Match> Router::Find(std::string_view method, std::string_view path,
                                          bool* path_known) const {
  auto segs = SplitPath(path);
  if (path_known) *path_known = false;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.segments.size() != segs.size()) continue;
    Match m{i, {}};
    bool ok = true;
    for (size_t k = 0; k < segs.size() && ok; ++k) {
      const std::string& p = e.segments[k];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}')
        m.params[p.substr(1, p.size() - 2)] = std::string(segs[k]);
      else
        ok = p == segs[k];
    }
    if (!ok) continue;
    if (e.method == method) return m;
    if (path_known) *path_known = true;
  }
  return std::nullopt;
}

std::string Router::AllowedMethods(std::string_view path) const {
  std::string out;
  for (const Entry& e : entries_) {
    if (Find(e.method, path) && out.find(e.method) == std::string::npos)
      out += (out.empty() ? "" : ", ") + e.method;
  }
  return out;
}

}  // namespace klaxon::http
