// BuildMail: a complete RFC 5322 / MIME message (multipart/alternative, text and HTML,
// UTF-8, base64 bodies), CRLF line endings, header values on one line each.
#include <string_view>

#include "notify/channels.h"
#include "notify/internal.h"
#include "notify/text.h"

namespace klaxon::notify {
namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Text with CRLF line endings (the canonical form of text/* in MIME).
std::string Crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

// Base64 in lines of 76 characters, each ending in CRLF.
std::string Base64Lines(std::string_view bytes) {
  const std::string b64 = Base64Encode(bytes);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

// Characters kept from the caller's message id (Message-ID and the MIME boundary).
std::string IdChars(std::string_view id) {
  std::string out;
  for (char c : id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.') {
      out += c;
    }
  }
  return out;
}

}  // namespace

// A bare address: local@domain, printable ASCII without spaces or specials that would
// need quoting.
bool ValidMailAddress(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  auto at = a.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == a.size()) return false;
  if (a.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : a) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F ||
        std::string_view("<>()[]\\,;:\"").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string MailAddressOf(std::string_view from) {
  auto lt = from.rfind('<');
  auto gt = from.rfind('>');
  if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
    return Trim(from.substr(lt + 1, gt - lt - 1));
  }
  return Trim(from);
}

namespace {

// The From header: the display name encoded (non-ASCII) or quoted (specials) as needed.
std::string FromHeader(const std::string& from) {
  const std::string addr = MailAddressOf(from);
  auto lt = from.rfind('<');
  std::string name = lt == std::string::npos ? "" : Trim(std::string_view(from).substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty()) return addr;
  if (!IsAscii(name)) return EncodeHeaderText(name) + " <" + addr + ">";
  if (name.find_first_of("()<>[]:;@\\,.\"") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    name = quoted + "\"";
  }
  return name + " <" + addr + ">";
}

}  // namespace

Result<Mail> BuildMail(const std::string& from, const std::string& to, const Message& m,
                       const Templates& t, const std::string& message_id, TimeMs now) {
  const std::string to_addr = Trim(to);
  if (!ValidMailAddress(to_addr)) return InvalidField("/to", "not an email address");
  const std::string from_line = Trim(OneLine(FixUtf8(from)));
  if (!ValidMailAddress(MailAddressOf(from_line))) {
    return InvalidField("/from", "not an email address");
  }
  const std::string id = IdChars(message_id);
  if (id.empty()) return InvalidField("/message_id", "empty");

  std::string subject, text, html;
  if (m.kind == "report" && !m.payload.empty()) {
    // A report made whole by the server (user text escaped there): title, Markdown, HTML.
    subject = m.title;
    text = m.summary;
    html = m.payload;
  } else {
    KLAXON_ASSIGN_OR_RETURN(subject, t.Render("email.subject", m));
    KLAXON_ASSIGN_OR_RETURN(text, t.Render("email.text", m));
    KLAXON_ASSIGN_OR_RETURN(html, t.Render("email.html", m));
  }
  subject = TruncateText(Trim(OneLine(FixUtf8(subject))), 250);
  if (subject.empty()) subject = "Klaxon notification";

  const std::string boundary = "=_klaxon_" + id.substr(0, 40);
  std::string msg;
  msg += "From: " + FromHeader(from_line) + "\r\n";
  msg += "To: " + to_addr + "\r\n";
  msg += "Subject: " + EncodeHeaderText(subject) + "\r\n";
  msg += "Date: " + MailDate(now) + "\r\n";
  msg += "Message-ID: <" + id + "@klaxon>\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  msg += "Auto-Submitted: auto-generated\r\n";
  msg += "X-Auto-Response-Suppress: All\r\n";
  if (auto ref = OneLine(m.incident_ref); !ref.empty() && IsAscii(ref)) {
    msg += "X-Klaxon-Incident: " + ref + "\r\n";
  }
  // RFC 2369 / RFC 8058: mail clients show an unsubscribe button that POSTs to the URL.
  if (auto u = OneLine(m.unsubscribe_url);
      IsAscii(u) && (u.starts_with("https://") || u.starts_with("http://")) &&
      u.find_first_of("<> \"") == std::string::npos) {
    msg += "List-Unsubscribe: <" + u + ">\r\n";
    msg += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  }
  msg += "\r\n";
  msg += "This is a multi-part message in MIME format.\r\n";
  // Base64 bodies never contain "=_", so the boundary cannot occur inside a part.
  for (const auto& [type, body] :
       {std::pair<const char*, const std::string*>{"plain", &text}, {"html", &html}}) {
    msg += "--" + boundary + "\r\n";
    msg += std::string("Content-Type: text/") + type + "; charset=UTF-8\r\n";
    msg += "Content-Transfer-Encoding: base64\r\n\r\n";
    msg += Base64Lines(Crlf(FixUtf8(*body)));
  }
  msg += "--" + boundary + "--\r\n";
  return Mail{from_line, {to_addr}, subject, std::move(msg)};
}

}  // namespace klaxon::notify
