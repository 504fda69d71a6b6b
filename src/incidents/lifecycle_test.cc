#include "incidents/lifecycle.h"

#include <gtest/gtest.h>

namespace klaxon::incidents {
namespace {

using S = IncidentStatus;

TEST(Lifecycle, ParsesEveryStatusName) {
  for (S s : AllStatuses()) EXPECT_EQ(ParseStatus(StatusName(s)), s);
  EXPECT_FALSE(ParseStatus("open"));
  EXPECT_FALSE(ParseStatus(""));
}

TEST(Lifecycle, ForwardMovesFromTriggeredAreLegal) {
  for (S to : {S::kAcknowledged, S::kInvestigating, S::kIdentified, S::kMonitoring, S::kResolved})
    EXPECT_TRUE(CheckTransition(S::kTriggered, to).ok()) << StatusName(to);
}

TEST(Lifecycle, WorkingStatusesMoveEitherWay) {
  for (S a : {S::kInvestigating, S::kIdentified, S::kMonitoring})
    for (S b : {S::kInvestigating, S::kIdentified, S::kMonitoring})
      EXPECT_EQ(CheckTransition(a, b).ok(), a != b) << StatusName(a) << "->" << StatusName(b);
}

TEST(Lifecycle, IllegalMovesAreConflicts) {
  struct Case {
    S from, to;
  };
  for (auto c : {Case{S::kAcknowledged, S::kAcknowledged},
                 Case{S::kInvestigating, S::kAcknowledged}, Case{S::kMonitoring, S::kTriggered},
                 Case{S::kResolved, S::kInvestigating}, Case{S::kResolved, S::kResolved},
                 Case{S::kAcknowledged, S::kTriggered}, Case{S::kTriggered, S::kTriggered}}) {
    Status st = CheckTransition(c.from, c.to);
    EXPECT_EQ(st.code(), Code::kConflict) << StatusName(c.from) << "->" << StatusName(c.to);
  }
}

TEST(Lifecycle, EveryOpenStatusMayResolve) {
  for (S s : AllStatuses())
    EXPECT_EQ(CheckTransition(s, S::kResolved).ok(), s != S::kResolved) << StatusName(s);
}

TEST(Lifecycle, DefaultSchemeHasFourOrderedLevels) {
  auto sev = DefaultSeverities();
  ASSERT_EQ(sev.size(), 4u);
  for (size_t i = 0; i < sev.size(); ++i) EXPECT_EQ(sev[i].rank, static_cast<int>(i + 1));
  EXPECT_NE(FindSeverity("SEV-2"), nullptr);
  EXPECT_EQ(FindSeverity("P1"), nullptr);
}

}  // namespace
}  // namespace klaxon::incidents
