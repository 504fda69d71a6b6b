#include "intake/recorder.h"

#include <gtest/gtest.h>

namespace klaxon::intake {
namespace {

IntakeRequest Req(TimeMs at, int status, std::string body, std::string response = "") {
  IntakeRequest r;
  r.at = at;
  r.method = "POST";
  r.route = "/intake/alertmanager/{key}";
  r.status = status;
  r.body = std::move(body);
  r.response = std::move(response);
  return r;
}

TEST(Recorder, KeepsTheNewestFirstAndCountsEverything) {
  Recorder rec(3, 100);
  for (int i = 0; i < 5; ++i) rec.Record(7, Req(1000 + i, 200, "b" + std::to_string(i)));
  auto j = rec.Recent(7);
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["items"][0]["body"], "b4");
  EXPECT_EQ(j["items"][2]["body"], "b2");
  EXPECT_EQ(j["stats"]["requests"], 5);
  EXPECT_EQ(j["stats"]["errors"], 0);
  EXPECT_EQ(j["stats"]["last_status"], 200);
  EXPECT_TRUE(j["stats"]["last_error"].is_null());
  EXPECT_TRUE(rec.Recent(8)["items"].empty());
  EXPECT_EQ(rec.Stats(8)["requests"], 0);
}

TEST(Recorder, AnErrorKeepsTheDetailAndFieldErrors) {
  Recorder rec;
  rec.Record(1, Req(5, 422, "{}",
                    R"({"detail":"invalid","errors":[{"field":"/alerts/0/labels","message":)"
                    R"("must have at least one non-empty label"}]})"));
  rec.Record(1,
             Req(6, 400, "{}", R"({"status":"invalid event","errors":["Invalid routing key"]})"));
  rec.Record(1, Req(7, 200, "{}"));
  auto j = rec.Recent(1);
  EXPECT_TRUE(j["items"][0]["error"].is_null());
  EXPECT_EQ(j["items"][1]["error"], "Invalid routing key");
  EXPECT_EQ(j["items"][2]["error"],
            "invalid; /alerts/0/labels: must have at least one non-empty label");
  EXPECT_EQ(j["stats"]["errors"], 2);
  EXPECT_EQ(j["stats"]["last_status"], 200);
  EXPECT_EQ(j["stats"]["last_error"], "Invalid routing key");
}

TEST(Recorder, AFieldErrorTheDetailAlreadyNamesIsNotRepeated) {
  Recorder rec;
  rec.Record(1, Req(5, 422, "{}",
                    R"({"detail":"/alerts/0/labels/x: must be a string","errors":[{"field":)"
                    R"("/alerts/0/labels/x","message":"must be a string"}]})"));
  EXPECT_EQ(rec.Recent(1)["items"][0]["error"], "/alerts/0/labels/x: must be a string");
}

TEST(Recorder, LongBodiesAreCutAndSaySo) {
  Recorder rec(20, 16);
  IntakeRequest r = Req(1, 200, std::string(100, 'x'));
  r.body_bytes = 5000;
  rec.Record(1, std::move(r));
  auto item = rec.Recent(1)["items"][0];
  EXPECT_EQ(item["body_bytes"], 5000);
  EXPECT_TRUE(item["body"].get<std::string>().starts_with(std::string(16, 'x')));
  EXPECT_NE(item["body"].get<std::string>().find("5000 bytes in all"), std::string::npos);
}

TEST(Recorder, PrintableMakesAnyBytesValidUtf8) {
  EXPECT_EQ(Recorder::Printable("plain", 100), "plain");
  EXPECT_EQ(Recorder::Printable("a\xff"
                                "b",
                                100),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(Recorder::Printable("\xC0\xAF", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(Recorder::Printable("\xED\xA0\x80", 100),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  // Cut on a character boundary: "é" is two bytes and does not fit in the last one.
  EXPECT_EQ(Recorder::Printable("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(Recorder::Printable("\xF0\x9F\x94\xA5!", 5), "\xF0\x9F\x94\xA5!");
  // ASCII runs are cut at the limit too, before and after other characters.
  EXPECT_EQ(Recorder::Printable("abcdef", 3), "abc");
  EXPECT_EQ(Recorder::Printable("abc", 0), "");
  EXPECT_EQ(Recorder::Printable("\xC3\xA9xyz\xC3\xA9", 4), "\xC3\xA9xy");
  EXPECT_EQ(Recorder::Printable("x\xffyz", 3), "x");  // the replacement is 3 bytes
  EXPECT_EQ(Recorder::Printable("x\xffyz", 5), "x\xEF\xBF\xBDy");
  nlohmann::json j = Recorder::Printable("\xfe\xff", 100);
  EXPECT_NO_THROW((void)j.dump());
}

TEST(Recorder, ForgetDropsAnIntegration) {
  Recorder rec;
  rec.Record(3, Req(1, 500, ""));
  rec.Forget(3);
  EXPECT_EQ(rec.Stats(3)["requests"], 0);
}

}  // namespace
}  // namespace klaxon::intake
