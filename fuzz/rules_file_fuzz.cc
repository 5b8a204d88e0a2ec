// Fuzzes the client's rules file parser (TOML through toml++) and, with the same input as HTML,
// the HTML-to-text renderer. Invariants trap on violation: a parse either fails with a message
// or yields rules within the limits, each with a condition and an action; applying them to a
// message made of the input never fails; the rendered text stays within ten times the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/html_text.h"
#include "client/rules.h"

namespace pc = pushmail::client;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto rules = pc::ParseRules(input, &error);
  Check(rules.has_value() == error.empty());
  if (rules) {
    Check(rules->rules.size() <= pc::kMaxRules);
    pc::MessageFacts message;
    message.from = {std::string(input.substr(0, 64))};
    message.subject = std::string(input.substr(0, 200));
    message.headers = {{"List-Id", std::string(input)}};
    message.size = static_cast<int64_t>(size);
    for (const auto& r : rules->rules) {
      Check(!r.actions.empty());
      Check(r.from || r.to || r.subject || !r.headers.empty() || r.size_above || r.size_below);
    }
    pc::Verdict v = pc::ApplyRules(*rules, message);
    Check(v.matched.size() <= rules->rules.size());
  }
  std::string text = pc::HtmlToReadableText(input);
  Check(text.size() <= 10 * size + 64);
  return 0;
}
