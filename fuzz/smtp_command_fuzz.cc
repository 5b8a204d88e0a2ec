// Fuzzes the SMTP codec: command lines, every argument parser, SASL PLAIN, and the DATA reader
// fed in two pieces. Invariants that must hold for any input trap on violation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/protocol/protocol.h"

namespace smtp = pushmail::smtp;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckReply(const smtp::Reply& r) {
  Check(r.code >= 400 && r.code < 600);
  std::string wire = r.Format();
  Check(wire.size() >= 5 && wire.substr(wire.size() - 2) == "\r\n");
}

template <class T>
void CheckParsed(const smtp::Parsed<T>& p) {
  if (!p) CheckReply(p.error());
}

void FuzzCommands(std::string_view input) {
  smtp::LineSplitter lines(64);
  std::string_view rest = input;
  while (!rest.empty()) {
    auto r = lines.Next(rest);
    Check(r.consumed <= rest.size());
    if (r.status == smtp::LineSplitter::Status::kNeedMore && r.consumed == 0) break;
    if (r.status == smtp::LineSplitter::Status::kLine) {
      Check(r.line.size() < 64);
      auto command = smtp::ParseCommand(r.line);
      CheckParsed(command);
      if (command) {
        std::string_view arg = command->argument;
        switch (command->verb) {
          case smtp::Verb::kMail: {
            auto m = smtp::ParseMailFrom(arg);
            CheckParsed(m);
            if (m) Check(m->path.ToString().size() <= 2 * arg.size() + 2);
            break;
          }
          case smtp::Verb::kRcpt:
            CheckParsed(smtp::ParseRcptTo(arg, arg.size() % 2 == 0));
            break;
          case smtp::Verb::kHelo:
          case smtp::Verb::kEhlo:
            CheckParsed(smtp::ParseHelo(arg));
            break;
          case smtp::Verb::kBdat:
            CheckParsed(smtp::ParseBdat(arg));
            break;
          case smtp::Verb::kAuth: {
            auto a = smtp::ParseAuth(arg);
            CheckParsed(a);
            if (a && a->initial_response) CheckParsed(smtp::DecodePlain(*a->initial_response));
            break;
          }
          default:
            break;
        }
      }
    }
    rest.remove_prefix(r.consumed);
  }
}

void FuzzData(std::string_view input) {
  constexpr size_t kMaxSize = 512, kMaxLine = 80;
  size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  smtp::DataReader reader(kMaxSize, kMaxLine);
  size_t used = reader.Consume(input.substr(0, split));
  Check(used <= split);
  if (!reader.done() && used == split) used += reader.Consume(input.substr(split));
  Check(used <= input.size());
  Check(reader.message().size() <= kMaxSize + kMaxLine);
  if (reader.done()) {
    Check(used >= 3 && input.substr(used - 3, 3) == ".\r\n");
    if (auto v = reader.Verdict()) CheckReply(*v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzCommands(input);
  FuzzData(input);
  return 0;
}
