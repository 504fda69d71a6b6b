// Evaluating a playbook's label matchers and numeric conditions against an alert, and
// the classification rules that choose an incident's severity from them.
//
// Matchers follow Alertmanager: `=`, `!=`, `=~`, `!~`; regexes are anchored ECMAScript
// and an absent label matches as "". Pure functions; any thread (compiled regexes are
// cached per thread).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "playbook/playbook.h"

namespace klaxon::playbook {

using LabelMap = std::map<std::string, std::string>;

bool Matches(const Matcher& m, const LabelMap& labels);
// Every matcher matches (an empty list matches everything).
bool MatchesAll(const std::vector<Matcher>& ms, const LabelMap& labels);

// The condition's field (annotation or label) parsed as a number, compared; a missing or
// non-numeric field does not hold.
bool Holds(const Condition& c, const LabelMap& labels, const LabelMap& annotations);
// The number the condition looks at, when present and numeric.
std::optional<double> ValueOf(const Condition& c, const LabelMap& labels,
                              const LabelMap& annotations);

struct Classification {
  std::string severity;
  std::string rule;  // the rule's name
};

// The first rule (in order) whose matchers and conditions all hold; nullopt when none.
std::optional<Classification> Classify(const std::vector<ClassificationRule>& rules,
                                       const LabelMap& labels, const LabelMap& annotations);

// "op value" as written: "> 0.1".
std::string Describe(const Condition& c);

}  // namespace klaxon::playbook
