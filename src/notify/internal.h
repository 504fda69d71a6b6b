// Pieces shared by the notify/ sources (not part of the module's interface).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/channels.h"

namespace klaxon::notify {

// `url` when it is an http(s) URL without spaces or control characters, else "".
std::string SafeUrl(const std::string& url);
// 0xRRGGBB for `m`: red / orange / amber by severity for pages, green when resolved,
// blue for the rest.
uint32_t MessageColor(const Message& m);
// A bare mail address (local@domain, printable ASCII, no specials needing quotes).
bool ValidMailAddress(std::string_view a);
// The address in "Name <addr>" (or the whole text, trimmed).
std::string MailAddressOf(std::string_view from);
// "#RRGGBB".
std::string HexColor(uint32_t rgb);

}  // namespace klaxon::notify
