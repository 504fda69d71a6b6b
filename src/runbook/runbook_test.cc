#include "runbook/runbook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace klaxon::runbook {
namespace {

using playbook::Runbook;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RunbookMarkdown, RendersHeadingsListsAndCode) {
  std::string html = RenderMarkdown(
      "# Checkout down\n\n## Symptoms\n\n- 5xx on `/checkout`\n- **latency** ~~maybe~~\n\n"
      "1. first\n2. second\n\n```sh\nkubectl rollout restart deploy/web\n```\n");
  EXPECT_THAT(html, HasSubstr("<h1>Checkout down</h1>"));
  EXPECT_THAT(html, HasSubstr("<h2>Symptoms</h2>"));
  EXPECT_THAT(html, HasSubstr("<li>5xx on <code>/checkout</code></li>"));
  EXPECT_THAT(html, HasSubstr("<strong>latency</strong> <del>maybe</del>"));
  EXPECT_THAT(html, HasSubstr("<ol>\n<li>first</li>"));
  EXPECT_THAT(html, HasSubstr("<pre><code class=\"language-sh\">kubectl rollout restart"));
  EXPECT_EQ(RenderMarkdown(""), "");
}

TEST(RunbookMarkdown, RendersTablesAndTaskLists) {
  std::string html = RenderMarkdown(
      "| region | primary |\n|---|---|\n| eu | fra |\n\n- [x] page the DBA\n- [ ] fail over\n");
  EXPECT_THAT(html, HasSubstr("<table>\n<thead>\n<tr>\n<th>region</th>"));
  EXPECT_THAT(html, HasSubstr("<td>fra</td>"));
  EXPECT_THAT(html,
              HasSubstr("<li><input type=\"checkbox\" checked=\"\" disabled=\"\" /> page the DBA"));
  EXPECT_THAT(html, HasSubstr("<li><input type=\"checkbox\" disabled=\"\" /> fail over"));
}

TEST(RunbookMarkdown, RawHtmlIsNotPassedThrough) {
  std::string html = RenderMarkdown(
      "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
      "inline <img src=x onerror=\"alert(1)\"> and <a href=\"javascript:x\">a</a>\n\n"
      "```\n<script>in code</script>\n```\n");
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("onerror=")));
  EXPECT_THAT(html, Not(HasSubstr("<a ")));
  EXPECT_THAT(html, HasSubstr("<!-- raw HTML omitted -->"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;in code&lt;/script&gt;"));  // code is escaped
}

TEST(RunbookMarkdown, DangerousUrlsAreDropped) {
  std::string html = RenderMarkdown(
      "[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](<java\tscript:alert(1)>) "
      "[w](&#106;avascript:alert(1)) [v](vbscript:msgbox) [f](file:///etc/passwd) "
      "[d](data:text/html,hi) ![svg](data:image/svg+xml;base64,AAAA) "
      "![alt *text*](javascript:alert(1))");
  EXPECT_EQ(html, "<p>x y z w v f d svg alt <em>text</em></p>\n");

  html = RenderMarkdown("![dot](data:image/png;base64,iVBORw0KGgo=) [ok](https://example.com)");
  EXPECT_THAT(html, HasSubstr("<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\" />"));
  EXPECT_THAT(html,
              HasSubstr("<a rel=\"noopener noreferrer\" href=\"https://example.com\">ok</a>"));
}

TEST(RunbookMarkdown, LinksAndAutolinksGetRel) {
  std::string html = RenderMarkdown(
      "Dashboards: https://grafana.example.com/d/abc, www.example.com, <https://x.test/a>, "
      "ops@example.com and [the wiki](https://wiki.example.com \"Wiki\").");
  EXPECT_THAT(html, HasSubstr("<a rel=\"noopener noreferrer\" "
                              "href=\"https://grafana.example.com/d/abc\">https://"
                              "grafana.example.com/d/abc</a>"));
  EXPECT_THAT(html, HasSubstr("<a rel=\"noopener noreferrer\" "
                              "href=\"http://www.example.com\">www.example.com</a>"));
  EXPECT_THAT(html, HasSubstr("<a rel=\"noopener noreferrer\" href=\"https://x.test/a\">"));
  EXPECT_THAT(html, HasSubstr("<a rel=\"noopener noreferrer\" href=\"mailto:ops@example.com\">"));
  EXPECT_THAT(html, HasSubstr("<a rel=\"noopener noreferrer\" href=\"https://wiki.example.com\" "
                              "title=\"Wiki\">the wiki</a>"));
  EXPECT_THAT(html, Not(HasSubstr("<a href")));
}

TEST(RunbookMarkdown, InlineUnwrapsOneParagraph) {
  EXPECT_EQ(RenderMarkdownInline("Restart **web**"), "Restart <strong>web</strong>");
  EXPECT_EQ(RenderMarkdownInline("a\n\nb"), "<p>a</p>\n<p>b</p>\n");
  EXPECT_EQ(RenderMarkdownInline("- a"), "<ul>\n<li>a</li>\n</ul>\n");
  EXPECT_EQ(RenderMarkdownInline(""), "");
}

TEST(RunbookMarkdown, InvalidUtf8AndOversizedInputAreHandled) {
  EXPECT_EQ(RenderMarkdown("a\xff"
                           "b"),
            "<p>a\xEF\xBF\xBD"
            "b</p>\n");
  std::string big(kMaxMarkdownBytes + 10, 'a');
  std::string html = RenderMarkdown(big);
  EXPECT_THAT(html, HasSubstr("(cut: longer than 64 KiB)"));
  EXPECT_LT(html.size(), kMaxMarkdownBytes + 100);
}

TEST(RunbookMarkdown, RendersFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> out(8);
  for (size_t i = 0; i < out.size(); ++i) {
    threads.emplace_back([&out, i] {
      for (int k = 0; k < 20; ++k) out[i] = RenderMarkdown("| a |\n|---|\n| ~~b~~ |\n\n- [ ] c");
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& html : out) EXPECT_THAT(html, HasSubstr("<td><del>b</del></td>"));
}

Runbook Make(std::string name, std::string service, std::vector<playbook::Matcher> match) {
  Runbook rb;
  rb.name = std::move(name);
  rb.service = std::move(service);
  rb.match = std::move(match);
  return rb;
}

std::string Selected(const std::vector<Runbook>& rbs, const std::string& service,
                     const std::vector<std::map<std::string, std::string>>& labels) {
  const Runbook* rb = Select(rbs, service, labels);
  return rb ? rb->name : "(none)";
}

TEST(RunbookSelect, ServiceSpecificBeatsGeneric) {
  std::vector<Runbook> rbs = {
      Make("generic", "", {}),
      Make("checkout", "checkout", {}),
      Make("search", "search", {}),
  };
  EXPECT_EQ(Selected(rbs, "checkout", {}), "checkout");
  EXPECT_EQ(Selected(rbs, "payments", {}), "generic");
  EXPECT_EQ(Selected(rbs, "", {}), "generic");
  // Even a generic runbook with matchers loses to the service's own.
  rbs.push_back(Make("generic errors", "", {{"alertname", "=", "ErrorRate"}}));
  EXPECT_EQ(Selected(rbs, "checkout", {{{"alertname", "ErrorRate"}}}), "checkout");
  EXPECT_EQ(Selected(rbs, "payments", {{{"alertname", "ErrorRate"}}}), "generic errors");
  EXPECT_EQ(Select({}, "checkout", {}), nullptr);
}

TEST(RunbookSelect, MoreMatchersWinThenTheEarlier) {
  std::vector<Runbook> rbs = {
      Make("any checkout", "checkout", {}),
      Make("latency", "checkout", {{"alertname", "=", "HighLatency"}}),
      Make("latency eu", "checkout", {{"alertname", "=", "HighLatency"}, {"region", "=", "eu"}}),
      Make("latency again", "checkout", {{"alertname", "=~", "High.*"}}),
  };
  EXPECT_EQ(Selected(rbs, "checkout", {{{"alertname", "HighLatency"}, {"region", "eu"}}}),
            "latency eu");
  EXPECT_EQ(Selected(rbs, "checkout", {{{"alertname", "HighLatency"}, {"region", "us"}}}),
            "latency");  // ties with "latency again": the earlier wins
  EXPECT_EQ(Selected(rbs, "checkout", {{{"alertname", "Down"}}}), "any checkout");
}

TEST(RunbookSelect, EveryMatcherMustHoldForOneAlert) {
  std::vector<Runbook> rbs = {
      Make("latency eu", "", {{"alertname", "=", "HighLatency"}, {"region", "=", "eu"}}),
  };
  // A matcher no alert satisfies excludes the runbook.
  EXPECT_EQ(Selected(rbs, "checkout", {{{"alertname", "HighLatency"}, {"region", "us"}}}),
            "(none)");
  // One of several alerts satisfying all matchers is enough.
  EXPECT_EQ(Selected(rbs, "checkout",
                     {{{"alertname", "Down"}}, {{"alertname", "HighLatency"}, {"region", "eu"}}}),
            "latency eu");
  // The matchers are checked against one alert at a time, not spread over several.
  EXPECT_EQ(Selected(rbs, "checkout",
                     {{{"alertname", "HighLatency"}, {"region", "us"}},
                      {{"alertname", "Down"}, {"region", "eu"}}}),
            "(none)");
  // A hand-declared incident has no alerts: a runbook with matchers never applies, even
  // one whose matchers an empty label set would satisfy.
  EXPECT_EQ(Selected(rbs, "checkout", {}), "(none)");
  rbs.push_back(Make("not staging", "", {{"env", "!=", "staging"}}));
  EXPECT_EQ(Selected(rbs, "checkout", {}), "(none)");
  rbs.push_back(Make("fallback", "", {}));
  EXPECT_EQ(Selected(rbs, "checkout", {}), "fallback");
}

TEST(RunbookJson, HasTheConsoleShape) {
  Runbook rb = Make("checkout-5xx", "checkout", {{"alertname", "=", "CheckoutErrorRate"}});
  rb.title = "Checkout returns 5xx";
  rb.symptoms = "Errors on **/checkout**";
  rb.diagnosis = "Look at [the dashboard](https://grafana.example.com/d/c)";
  rb.body = "";
  rb.steps = {{"Roll back the last deploy", "rollback"}, {"Tell `#support`", ""}};
  rb.rto = 90 * 60 * 1000;

  nlohmann::json want = {
      {"name", "checkout-5xx"},
      {"service", "checkout"},
      {"title", "Checkout returns 5xx"},
      {"rto", "1h30m"},
      {"rto_ms", 5400000},
      {"symptoms_html", "<p>Errors on <strong>/checkout</strong></p>\n"},
      {"diagnosis_html",
       "<p>Look at <a rel=\"noopener noreferrer\" href=\"https://grafana.example.com/d/c\">the "
       "dashboard</a></p>\n"},
      {"body_html", ""},
      {"steps",
       {{{"index", 0},
         {"text", "Roll back the last deploy"},
         {"text_html", "Roll back the last deploy"},
         {"action", "rollback"}},
        {{"index", 1},
         {"text", "Tell `#support`"},
         {"text_html", "Tell <code>#support</code>"},
         {"action", nullptr}}}},
      {"match", {{{"name", "alertname"}, {"op", "="}, {"value", "CheckoutErrorRate"}}}},
  };
  EXPECT_EQ(ToJson(rb), want) << ToJson(rb).dump(2);

  Runbook bare = Make("generic", "", {});
  bare.title = "Generic";
  nlohmann::json j = ToJson(bare);
  EXPECT_TRUE(j["service"].is_null());
  EXPECT_TRUE(j["rto"].is_null());
  EXPECT_TRUE(j["rto_ms"].is_null());
  EXPECT_EQ(j["steps"], nlohmann::json::array());
  EXPECT_EQ(j["match"], nlohmann::json::array());
  EXPECT_EQ(j.size(), 10u);
}

}  // namespace
}  // namespace klaxon::runbook
