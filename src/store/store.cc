#include "store/store.h"

#include <future>

namespace klaxon::store {

int64_t Row::Int(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::stoll(*p);
  return 0;
}

double Row::Real(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  return 0;
}

std::string Row::Str(size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
  return {};
}

std::string MultiRowSql(std::string_view head, size_t columns, size_t rows, std::string_view tail) {
  std::string one = "(";
  for (size_t c = 0; c < columns; ++c) one += c ? ",?" : "?";
  one += ")";
  std::string sql(head);
  sql.reserve(head.size() + rows * (one.size() + 1) + tail.size() + 1);
  for (size_t r = 0; r < rows; ++r) {
    if (r) sql += ',';
    sql += one;
  }
  if (!tail.empty()) sql += ' ';
  sql += tail;
  return sql;
}

Result<std::optional<Row>> Tx::QueryOne(std::string_view sql, const Params& params) {
  auto rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

Status Store::Write(WriteFn fn) {
  std::promise<Status> p;
  auto f = p.get_future();
  Submit(std::move(fn), [&p](const Status& s) { p.set_value(s); });
  return f.get();
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const SqliteOptions& defaults) {
  if (url.starts_with("sqlite:")) {
    SqliteOptions o = defaults;
    o.path = std::string(url.substr(7));
    if (o.path.empty()) return InvalidField("db", "sqlite: URL needs a path");
    return OpenSqlite(o);
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
    return InvalidField("db", "the PostgreSQL store is not built yet; use sqlite:PATH");
  return InvalidField("db", "unknown store URL (expected sqlite:PATH)");
}

}  // namespace klaxon::store
