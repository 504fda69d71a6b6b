#include "runbook/runbook.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "playbook/match.h"

namespace klaxon::runbook {

namespace {

using nlohmann::json;

constexpr const char* kExtensions[] = {"table", "strikethrough", "autolink", "tasklist"};
// Safe by default: without CMARK_OPT_UNSAFE raw HTML becomes a comment and cmark empties
// dangerous URLs itself (DropDangerousUrls below goes further).
constexpr int kOptions = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;

constexpr std::string_view kLinkOpen = "<a href=\"";
constexpr std::string_view kSafeLinkOpen = "<a rel=\"noopener noreferrer\" href=\"";
constexpr std::string_view kCutNote = "<p><em>(cut: longer than 64 KiB)</em></p>\n";

void RegisterExtensions() {
  static std::once_flag once;  // cmark's registration is not thread-safe
  std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

// The start of `url` as a browser reads its scheme: lower case, without leading spaces and
// control characters, and without tabs and newlines anywhere.
std::string SchemePrefix(std::string_view url) {
  constexpr size_t kEnough = 20;  // "data:image/jpeg;" and a little more
  size_t i = 0;
  while (i < url.size() && static_cast<unsigned char>(url[i]) <= 0x20) ++i;
  std::string out;
  for (; i < url.size() && out.size() < kEnough; ++i) {
    char c = url[i];
    if (c == '\t' || c == '\n' || c == '\r') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsDangerousUrl(std::string_view url) {
  std::string p = SchemePrefix(url);
  if (p.starts_with("javascript:") || p.starts_with("vbscript:") || p.starts_with("file:"))
    return true;
  if (!p.starts_with("data:")) return false;
  for (std::string_view type :
       {"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"}) {
    if (p.starts_with(type) && p.size() > type.size() &&
        (p[type.size()] == ';' || p[type.size()] == ','))
      return false;
  }
  return true;
}

// Replaces every link or image whose URL is dangerous by its content: the link's text, the
// image's alt text.
void DropDangerousUrls(cmark_node* root) {
  std::vector<cmark_node*> dangerous;
  cmark_iter* iter = cmark_iter_new(root);
  if (!iter) return;
  for (cmark_event_type ev; (ev = cmark_iter_next(iter)) != CMARK_EVENT_DONE;) {
    if (ev != CMARK_EVENT_ENTER) continue;
    cmark_node* node = cmark_iter_get_node(iter);
    cmark_node_type type = cmark_node_get_type(node);
    if (type != CMARK_NODE_LINK && type != CMARK_NODE_IMAGE) continue;
    const char* url = cmark_node_get_url(node);
    if (url && IsDangerousUrl(url)) dangerous.push_back(node);
  }
  cmark_iter_free(iter);
  // Children move out before their parent is freed, so nested nodes stay valid.
  for (cmark_node* node : dangerous) {
    while (cmark_node* child = cmark_node_first_child(node)) {
      if (!cmark_node_insert_before(node, child)) break;
    }
    if (cmark_node_first_child(node)) {
      cmark_node_set_url(node, "");  // cannot happen for inlines; keep the node, lose the URL
      continue;
    }
    cmark_node_free(node);  // unlinks it
  }
}

// Every link the renderer wrote gets rel="noopener noreferrer". Raw HTML is never passed
// through and text is escaped, so `<a href="` can only come from the renderer.
std::string AddRel(std::string_view html) {
  std::string out;
  out.reserve(html.size() + html.size() / 8);
  size_t from = 0;
  for (size_t at; (at = html.find(kLinkOpen, from)) != std::string_view::npos;) {
    out.append(html.substr(from, at - from)).append(kSafeLinkOpen);
    from = at + kLinkOpen.size();
  }
  out.append(html.substr(from));
  return out;
}

struct ParserFree {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};
struct NodeFree {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
struct HtmlFree {
  void operator()(char* s) const { cmark_get_default_mem_allocator()->free(s); }
};

bool Applies(const playbook::Runbook& rb, const std::string& service,
             const std::vector<std::map<std::string, std::string>>& labels) {
  if (!rb.service.empty() && rb.service != service) return false;
  if (rb.match.empty()) return true;
  return std::any_of(labels.begin(), labels.end(),
                     [&](const auto& l) { return playbook::MatchesAll(rb.match, l); });
}

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

std::string RenderMarkdown(std::string_view markdown) {
  if (markdown.empty()) return "";
  RegisterExtensions();
  const bool cut = markdown.size() > kMaxMarkdownBytes;
  if (cut) markdown = markdown.substr(0, kMaxMarkdownBytes);  // a split character → U+FFFD

  // One parse at a time: cmark-gfm keeps the inline parser's special characters (the
  // strikethrough extension's `~`) in a global table that every parse sets and clears, so
  // two at once could lose `~~` (RunbookMarkdown.RendersFromManyThreads saw it).
  static std::mutex parse_mu;
  std::lock_guard lock(parse_mu);
  std::unique_ptr<cmark_parser, ParserFree> parser(cmark_parser_new(kOptions));
  if (!parser) return "";
  for (const char* name : kExtensions) {
    if (cmark_syntax_extension* ext = cmark_find_syntax_extension(name))
      cmark_parser_attach_syntax_extension(parser.get(), ext);
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, NodeFree> doc(cmark_parser_finish(parser.get()));
  if (!doc) return "";
  DropDangerousUrls(doc.get());
  std::unique_ptr<char, HtmlFree> html(
      cmark_render_html(doc.get(), kOptions, cmark_parser_get_syntax_extensions(parser.get())));
  if (!html) return "";
  std::string out = AddRel(html.get());
  if (cut) out += kCutNote;
  return out;
}

std::string RenderMarkdownInline(std::string_view markdown) {
  std::string html = RenderMarkdown(markdown);
  constexpr std::string_view kOpen = "<p>", kClose = "</p>\n";
  // Within one paragraph `<p>` cannot occur again (text is escaped, raw HTML omitted).
  if (html.starts_with(kOpen) && html.ends_with(kClose) &&
      html.find(kOpen, kOpen.size()) == std::string::npos)
    return html.substr(kOpen.size(), html.size() - kOpen.size() - kClose.size());
  return html;
}

const playbook::Runbook* Select(const std::vector<playbook::Runbook>& runbooks,
                                const std::string& service,
                                const std::vector<std::map<std::string, std::string>>& labels) {
  const playbook::Runbook* best = nullptr;
  auto rank = [](const playbook::Runbook& rb) {
    return std::make_pair(!rb.service.empty(), rb.match.size());
  };
  for (const playbook::Runbook& rb : runbooks) {
    if (!Applies(rb, service, labels)) continue;
    if (!best || rank(rb) > rank(*best)) best = &rb;  // ties keep the earlier
  }
  return best;
}

json ToJson(const playbook::Runbook& rb) {
  json steps = json::array();
  for (size_t i = 0; i < rb.steps.size(); ++i) {
    const playbook::RunbookStep& s = rb.steps[i];
    steps.push_back({{"index", i},
                     {"text", s.text},
                     {"text_html", RenderMarkdownInline(s.text)},
                     {"action", OrNull(s.action)}});
  }
  json match = json::array();
  for (const playbook::Matcher& m : rb.match)
    match.push_back({{"name", m.name}, {"op", m.op}, {"value", m.value}});
  return {
      {"name", rb.name},
      {"service", OrNull(rb.service)},
      {"title", rb.title},
      {"rto", rb.rto ? json(playbook::FormatDuration(*rb.rto)) : json(nullptr)},
      {"rto_ms", rb.rto ? json(*rb.rto) : json(nullptr)},
      {"symptoms_html", RenderMarkdown(rb.symptoms)},
      {"diagnosis_html", RenderMarkdown(rb.diagnosis)},
      {"body_html", RenderMarkdown(rb.body)},
      {"steps", std::move(steps)},
      {"match", std::move(match)},
  };
}

}  // namespace klaxon::runbook
