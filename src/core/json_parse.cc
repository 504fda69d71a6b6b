#include "core/json_parse.h"

namespace klaxon {

Result<nlohmann::json> ParseJson(std::string_view text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string m = "malformed JSON at byte " + std::to_string(e.byte);
    return Status(Code::kBadRequest, m, {{"/", m}});
  } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
    return Status(Code::kBadRequest, std::string("malformed JSON: ") + e.what(),
                  {{"/", "malformed JSON"}});
  }
}

}  // namespace klaxon
