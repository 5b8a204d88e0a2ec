// `pushmail rules test RULES [MESSAGE ...]`: checks a rules file and shows what it would do with
// each message, given as a message file or as the id of an email on the server.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "client/commands.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "client/mail.h"
#include "client/rules.h"
#include "mime/headers.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

void AddAddresses(const std::vector<mime::Address>& list, std::vector<std::string>& out) {
  for (const auto& a : list) {
    out.push_back(a.email);
    if (!a.name.empty()) out.push_back(DisplayAddress(a.name, a.email));
  }
}

MessageFacts FactsOfFile(const std::string& raw) {
  mime::Summary s = mime::Parse(raw);
  MessageFacts f;
  AddAddresses(s.from, f.from);
  AddAddresses(s.to, f.to);
  AddAddresses(s.cc, f.to);
  f.subject = s.subject;
  f.size = static_cast<int64_t>(raw.size());
  auto header = mime::Slice(raw, {s.body.header_offset, s.body.body_offset});
  for (const auto& field : mime::SplitHeader(header)) {
    f.headers.emplace_back(field.name, mime::HeaderText(field.value));
  }
  return f;
}

std::string Describe(const Rule& r) {
  std::vector<std::string> when;
  if (r.from) when.push_back("from " + *r.from);
  if (r.to) when.push_back("to " + *r.to);
  if (r.subject) when.push_back("subject " + *r.subject);
  for (const auto& [name, pattern] : r.headers) {
    std::string header = name;
    header.append(": ").append(pattern);
    when.push_back(std::move(header));
  }
  if (r.size_above) when.push_back("size > " + std::to_string(*r.size_above));
  if (r.size_below) when.push_back("size < " + std::to_string(*r.size_below));
  std::string out;
  for (const auto& w : when) out += (out.empty() ? "" : " and ") + w;
  return out + " -> " + DescribeActions(r.actions) + (r.keep_going ? " (continue)" : "");
}

}  // namespace

int RunRulesTest(const std::string& rules_file, const std::vector<std::string>& messages) {
  RuleSet rules = LoadRulesFile(rules_file);
  if (messages.empty()) {
    std::printf("%s: %zu rules\n", rules_file.c_str(), rules.rules.size());
    for (const auto& r : rules.rules)
      std::printf("  %s: %s\n", r.name.c_str(), Describe(r).c_str());
    return 0;
  }
  std::unique_ptr<JmapClient> client;
  for (const auto& m : messages) {
    MessageFacts facts;
    if (std::filesystem::is_regular_file(m)) {
      facts = FactsOfFile(RequireFile(m, 256u << 20));
    } else {
      if (!client) client = std::make_unique<JmapClient>(RequireLogin());
      json::object got = client->CallOne(
          "Email/get",
          json::object{{"ids", json::array{m}}, {"properties", FactsProperties(true)}});
      const auto* list = got.if_contains("list");
      if (!list || !list->is_array() || list->as_array().empty()) {
        throw Failure(FailureKind::kNotFound,
                      "'" + m + "' is neither a message file nor the id of a message");
      }
      facts = RuleFacts(FactsFromJson(list->as_array().front().as_object(), {}));
    }
    Verdict v = ApplyRules(rules, facts);
    std::string matched;
    for (const auto& n : v.matched) matched += (matched.empty() ? "'" : ", '") + n + "'";
    if (v.matched.empty()) {
      std::printf("%s: no rule matches -> show as usual\n", m.c_str());
    } else {
      std::printf("%s: %s %s -> %s\n", m.c_str(), v.matched.size() > 1 ? "rules" : "rule",
                  matched.c_str(), DescribeActions(v.actions).c_str());
    }
  }
  return 0;
}

}  // namespace pushmail::client
