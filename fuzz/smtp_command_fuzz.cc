// Fuzzes the SMTP codec: the input is split into command lines, each parsed and handed to the
// argument parser its verb selects, SASL PLAIN included; the same input is also read as DATA,
// fed whole, in two pieces (split where the first octet says) and octet by octet. Invariants
// that must hold for any input trap on violation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/protocol/protocol.h"

namespace smtp = pushmail::smtp;

namespace {

constexpr size_t kMaxCommandLine = 80;
constexpr size_t kMaxSize = 512;
constexpr size_t kMaxLine = 80;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckRefusal(const smtp::Reply& r) {
  Check(r.code >= 400 && r.code < 600 && !r.ok());
  std::string wire = r.Format();
  Check(wire.size() >= 5 && wire.ends_with("\r\n"));
  // One wire line per reply line: no CR or LF may leak from the text.
  size_t line_ends = 0;
  for (char c : wire) line_ends += c == '\n';
  Check(line_ends == std::max<size_t>(r.lines.size(), 1));
}

template <class T>
bool Accepted(const smtp::Parsed<T>& p) {
  if (!p) CheckRefusal(p.error());
  return static_cast<bool>(p);
}

// What ToString writes must read back as the same address.
void CheckRoundTrip(const smtp::Address& a, bool reverse) {
  std::string path = "<" + a.ToString() + ">";
  if (reverse) {
    auto again = smtp::ParseMailFrom("FROM:" + path + (a.IsUtf8() ? " SMTPUTF8" : ""));
    Check(again && again->path.local == a.local && again->path.domain == a.domain);
  } else {
    auto again = smtp::ParseRcptTo("TO:" + path, a.IsUtf8());
    Check(again && again->path.local == a.local && again->path.domain == a.domain);
  }
}

void FuzzPlain(std::string_view base64) {
  auto c = smtp::DecodePlain(base64);
  if (!Accepted(c)) return;
  Check(!c->authcid.empty() && !c->password.empty());
  Check((c->authzid.size() + c->authcid.size() + c->password.size() + 2) * 4 <= base64.size() * 3);
}

void FuzzArgument(smtp::Verb verb, std::string_view arg, bool flag) {
  switch (verb) {
    case smtp::Verb::kMail:
      if (auto m = smtp::ParseMailFrom(arg); Accepted(m)) {
        Check(m->smtputf8 || !m->path.IsUtf8());
        Check(m->path.local.size() <= 64 && m->path.domain.size() <= 255);
        CheckRoundTrip(m->path, true);
      }
      break;
    case smtp::Verb::kRcpt:
      if (auto r = smtp::ParseRcptTo(arg, flag); Accepted(r)) {
        Check(!r->path.IsNull() && (flag || !r->path.IsUtf8()));
        CheckRoundTrip(r->path, false);
      }
      break;
    case smtp::Verb::kHelo:
    case smtp::Verb::kEhlo:
      if (auto h = smtp::ParseHelo(arg); Accepted(h)) Check(*h == arg && h->size() <= 255);
      break;
    case smtp::Verb::kBdat:
      if (auto b = smtp::ParseBdat(arg); Accepted(b)) {
        Check(std::to_string(b->size).size() <= arg.size());
      }
      break;
    case smtp::Verb::kAuth:
      if (auto a = smtp::ParseAuth(arg); Accepted(a)) {
        Check(!a->mechanism.empty() && a->mechanism.size() <= 20);
        for (char c : a->mechanism) Check(!(c >= 'a' && c <= 'z'));
        if (a->initial_response && *a->initial_response != "=") FuzzPlain(*a->initial_response);
      }
      break;
    default:
      FuzzPlain(arg);  // what a client sends after "334 " is a bare base64 line
      break;
  }
}

void FuzzCommands(std::string_view input) {
  smtp::LineSplitter lines(kMaxCommandLine);
  std::string_view rest = input;
  while (!rest.empty()) {
    auto r = lines.Next(rest);
    Check(r.consumed <= rest.size());
    if (r.status == smtp::LineSplitter::Status::kNeedMore) {
      Check(r.consumed == 0 || r.consumed == rest.size());
      if (r.consumed == 0) break;
    } else {
      Check(r.consumed > 0 && rest[r.consumed - 1] == '\n');
    }
    if (r.status == smtp::LineSplitter::Status::kLine) {
      Check(r.consumed <= kMaxCommandLine && r.line.find('\n') == std::string_view::npos);
      Check(r.line.data() == rest.data());
      auto command = smtp::ParseCommand(r.line);
      if (Accepted(command)) {
        Check(command->argument.size() < r.line.size() || command->argument.empty());
        FuzzArgument(command->verb, command->argument, r.line.size() % 2 == 0);
      }
    }
    rest.remove_prefix(r.consumed);
  }
}

struct DataOutcome {
  bool done = false;
  size_t consumed = 0;
  int code = 0;
  std::string enhanced;
  std::string message;
  bool operator==(const DataOutcome&) const = default;
};

// Feeds `input` in pieces that end at each of `cuts` (ascending) and at the end.
template <class Cuts>
DataOutcome ReadData(std::string_view input, const Cuts& cuts) {
  smtp::DataReader reader(kMaxSize, kMaxLine);
  DataOutcome out;
  size_t start = 0;
  auto feed = [&](size_t end) {
    if (reader.done() || end <= start) return;
    size_t used = reader.Consume(input.substr(start, end - start));
    Check(used <= end - start);
    Check(reader.done() || used == end - start);  // the reader buffers what it has not finished
    out.consumed += used;
    start = end;
  };
  for (size_t cut : cuts) feed(cut);
  feed(input.size());
  out.done = reader.done();
  if (auto verdict = reader.Verdict(); out.done && verdict) {
    CheckRefusal(*verdict);
    out.code = verdict->code;
    out.enhanced = verdict->enhanced;
  }
  out.message = reader.message();
  if (out.done) Check(reader.Consume(input) == 0);
  return out;
}

// Where the data must end: the first CRLF "." CRLF, or "." CRLF at the very start.
std::optional<size_t> ExpectedEnd(std::string_view input) {
  if (input.starts_with(".\r\n")) return 3;
  size_t marker = input.find("\r\n.\r\n");
  if (marker == std::string_view::npos) return std::nullopt;
  return marker + 5;
}

struct OctetCuts {
  size_t size;
  struct Iterator {
    size_t i;
    size_t operator*() const { return i; }
    Iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i != o.i; }
  };
  Iterator begin() const { return {1}; }
  Iterator end() const { return {size > 0 ? size : 1}; }
};

void FuzzData(std::string_view input) {
  size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  DataOutcome whole = ReadData(input, std::initializer_list<size_t>{});
  DataOutcome halves = ReadData(input, std::initializer_list<size_t>{split});
  DataOutcome octets = ReadData(input, OctetCuts{input.size()});
  Check(whole == halves && whole == octets);

  auto end = ExpectedEnd(input);
  Check(whole.done == end.has_value());
  Check(whole.consumed == (end ? *end : input.size()));
  Check(whole.message.size() <= kMaxSize);
  if (!whole.done || whole.code != 0) return;
  const std::string& m = whole.message;
  Check(m.empty() || m.ends_with("\r\n"));
  Check(m.find('\0') == std::string::npos);
  for (size_t i = m.find('\n'); i != std::string::npos; i = m.find('\n', i + 1)) {
    Check(i > 0 && m[i - 1] == '\r');  // every line end stored as CRLF
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzCommands(input);
  FuzzData(input);
  return 0;
}
