// Text helpers for outgoing notifications: escaping for each target's markup, length
// limits that respect UTF-8, base64 (libsodium), RFC 2047 header words and RFC 5322
// dates, HMAC-SHA256. Internal to notify/. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace klaxon::notify {

// Slack mrkdwn: & < > as &amp; &lt; &gt; (so user text cannot form links or mentions).
std::string EscapeMrkdwn(std::string_view s);
// Mattermost: as Slack, and "@" followed by a zero-width space so user text cannot
// mention @channel / @all / @here or a person.
std::string EscapeMattermost(std::string_view s);
// HTML text and attribute values: & < > " ' (the last as &#39;, which every mail client
// knows).
std::string EscapeHtml(std::string_view s);
// Discord markdown: a backslash before \ * _ ~ ` | > # [ ] ( ) < so user text stays text.
std::string EscapeDiscord(std::string_view s);

// `s` with invalid UTF-8 sequences replaced by U+FFFD.
std::string FixUtf8(std::string_view s);
// Length in UTF-16 code units (how JavaScript-based services such as Slack and Discord
// count characters).
size_t TextUnits(std::string_view s);
// At most `max_units` UTF-16 code units, cut on a
// code point boundary and ending in "…" when cut. `s` must be valid UTF-8.
std::string TruncateText(std::string_view s, size_t max_units);
// `s` without leading and trailing spaces, tabs, CR and LF.
std::string Trim(std::string_view s);
// `s` with CR, LF and other control characters (tab kept as space) removed: safe for
// one header line.
std::string OneLine(std::string_view s);

// Standard base64 with padding (`url_safe`: URL-safe without padding).
std::string Base64Encode(std::string_view bytes, bool url_safe = false);
// nullopt when `s` is not exactly base64 of that variant (no whitespace).
std::optional<std::string> Base64Decode(std::string_view s, bool url_safe = false);

// The raw 32-byte HMAC-SHA256 of `data` under `key` (any length).
std::string HmacSha256(std::string_view key, std::string_view data);

// A header value for a mail: `s` as is when ASCII, else RFC 2047 "=?UTF-8?B?...?="
// words of at most 75 characters, folded with CRLF SP.
std::string EncodeHeaderText(std::string_view s);
// RFC 5322 date in UTC: "Tue, 14 Nov 2023 22:13:20 +0000".
std::string MailDate(TimeMs t);

}  // namespace klaxon::notify
