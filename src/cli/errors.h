// One-line messages for failed requests, as the CLI prints them after "klaxon: ".
//
// A server error becomes "<status> <reason>: <detail> (<field>: <message>; ...)" from the
// problem+json body (docs/api.md), falling back to the problem title or the first line of a
// non-JSON body. A transport failure becomes "cannot reach <server>: <cause>". Everything
// the server supplied is sanitized for the terminal. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace klaxon::cli {

// "Conflict" for 409; "" for a status this table does not know.
std::string_view ReasonPhrase(int status);

// "409 Conflict: incident INC-3 is already resolved".
std::string FormatApiError(int status, std::string_view body);

// "cannot reach http://127.0.0.1:8080: Connection refused".
std::string FormatTransportError(std::string_view server, std::string_view cause);

}  // namespace klaxon::cli
