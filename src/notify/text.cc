#include "notify/text.h"

#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <vector>

namespace klaxon::notify {
namespace {

// Length of the valid UTF-8 sequence at s[i] (storing its code point), 0 when invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len = 0;
  uint32_t v = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

std::string Replace(std::string_view s, bool (*pick)(char, std::string*)) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    if (!pick(c, &out)) out += c;
  }
  return out;
}

bool MrkdwnChar(char c, std::string* out) {
  switch (c) {
    case '&':
      *out += "&amp;";
      return true;
    case '<':
      *out += "&lt;";
      return true;
    case '>':
      *out += "&gt;";
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string EscapeMrkdwn(std::string_view s) { return Replace(s, MrkdwnChar); }

std::string EscapeMattermost(std::string_view s) {
  return Replace(s, [](char c, std::string* out) {
    if (c == '@') {
      *out += "@\u200B";
      return true;
    }
    return MrkdwnChar(c, out);
  });
}

std::string EscapeHtml(std::string_view s) {
  return Replace(s, [](char c, std::string* out) {
    switch (c) {
      case '"':
        *out += "&quot;";
        return true;
      case '\'':
        *out += "&#39;";
        return true;
      default:
        return MrkdwnChar(c, out);
    }
  });
}

std::string EscapeDiscord(std::string_view s) {
  return Replace(s, [](char c, std::string* out) {
    if (std::string_view("\\*_~`|>#[]()<").find(c) == std::string_view::npos) return false;
    *out += '\\';
    *out += c;
    return true;
  });
}

std::string FixUtf8(std::string_view s) {
  // Valid text (nearly always) is copied whole; only a text with a bad byte is rebuilt.
  std::string out;
  size_t run = 0;  // the start of the valid bytes not copied yet
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(s, i, &cp);
    if (n != 0) {
      i += n;
      continue;
    }
    if (out.empty()) out.reserve(s.size() + 8);
    out.append(s.substr(run, i - run));
    out += "\uFFFD";
    run = ++i;
  }
  if (run == 0) return std::string(s);
  out.append(s.substr(run));
  return out;
}

size_t TextUnits(std::string_view s) {
  size_t units = 0;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    units += n == 0 ? 1 : cp >= 0x10000 ? 2 : 1;
    i += n == 0 ? 1 : n;
  }
  return units;
}

std::string TruncateText(std::string_view s, size_t max_units) {
  // Byte offsets where the text stops fitting with, and without, room for the ellipsis.
  size_t units = 0;
  size_t cut = std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) n = 1;  // invalid input: count the byte as one unit
    size_t w = cp >= 0x10000 ? 2 : 1;
    if (cut == std::string_view::npos && units + w + 1 > max_units) cut = i;
    units += w;
    if (units > max_units) {
      if (max_units == 0) return {};
      return std::string(s.substr(0, cut)) + "\u2026";
    }
    i += n;
  }
  return std::string(s);
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(ws) - b + 1));
}

std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      out += ' ';
    } else if (u >= 0x20 && u != 0x7F) {
      out += c;
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes, bool url_safe) {
  const int variant =
      url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> Base64Decode(std::string_view s, bool url_safe) {
  const int variant =
      url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
  std::string out(s.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(),
                        s.size(), nullptr, &len, &end, variant) != 0 ||
      end != s.data() + s.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(&st, sizeof st);
  return mac;
}

std::string EncodeHeaderText(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(s);
  // 39 bytes → 52 base64 characters → a 64-character word: "Subject: " + word < 78.
  constexpr size_t kChunk = 39;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t end = i;
    while (end < s.size()) {
      uint32_t cp = 0;
      size_t n = DecodeUtf8(s, end, &cp);
      if (n == 0) n = 1;
      if (end + n - i > kChunk) break;
      end += n;
    }
    if (end == i) end = i + 1;  // cannot happen with kChunk >= 4; never loop forever
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64Encode(s.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string MailDate(TimeMs t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(t >= 0 ? t / 1000 : (t - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace klaxon::notify
