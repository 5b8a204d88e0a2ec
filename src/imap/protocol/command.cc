#include "imap/protocol/command.h"

#include <utility>

#include "base/base64.h"
#include "imap/protocol/chars.h"
#include "imap/protocol/command_internal.h"

namespace pushmail::imap {
namespace {

using args::Cursor;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = chars::ToUpper(c);
  return out;
}

bool IsPlainAtom(const Token* t) {
  if (!t || t->kind != TokenKind::kAtom) return false;
  for (char c : t->raw) {
    if (!chars::IsAtomChar(c)) return false;
  }
  return true;
}

Parsed<Login> ParseLogin(Cursor& in) {
  auto user = args::Astring(in.Next());
  if (!user) return std::move(user.error());
  auto password = args::Astring(in.Next());
  if (!password) return std::move(password.error());
  return Login{std::string(*user), std::string(*password)};
}

Parsed<Authenticate> ParseAuthenticate(Cursor& in) {
  const Token* mech = in.Next();
  if (!IsPlainAtom(mech)) return Bad("Invalid SASL mechanism");
  Authenticate auth{Upper(mech->raw), std::nullopt};
  if (const Token* ir = in.Next()) {
    if (ir->kind != TokenKind::kAtom) return Bad("Invalid initial response");
    if (ir->raw == "=") {
      auth.initial_response.emplace();
    } else if (IsCanonicalBase64(ir->raw)) {
      auth.initial_response.emplace(ir->raw);
    } else {
      return Bad("Initial response is not base64");
    }
  }
  return auth;
}

Parsed<Enable> ParseEnable(Cursor& in) {
  Enable enable;
  while (const Token* t = in.Next()) {
    if (!IsPlainAtom(t)) return Bad("Invalid capability");
    enable.capabilities.push_back(Upper(t->raw));
  }
  if (enable.capabilities.empty()) return args::Missing("capability");
  return enable;
}

Parsed<Id> ParseId(Cursor& in) {
  const Token* t = in.Next();
  if (!t) return args::Missing("ID parameters");
  Id id;
  if (t->IsNil()) return id;
  if (!t->IsList() || t->children.size() % 2 != 0) return Bad("ID takes NIL or pairs of strings");
  if (t->children.size() > 60) return Bad("Too many ID parameters");
  id.params.emplace();
  for (size_t i = 0; i < t->children.size(); i += 2) {
    auto field = args::String(&t->children[i]);
    if (!field || field->size() > 30) return Bad("Invalid ID field");
    const Token& v = t->children[i + 1];
    std::optional<std::string> value;
    if (!v.IsNil()) {
      auto s = args::String(&v);
      if (!s || s->size() > 1024) return Bad("Invalid ID value");
      value.emplace(*s);
    }
    id.params->emplace_back(std::string(*field), std::move(value));
  }
  return id;
}

Parsed<Compress> ParseCompress(Cursor& in) {
  const Token* t = in.Next();
  if (!IsPlainAtom(t)) return Bad("Invalid compression mechanism");
  return Compress{Upper(t->raw)};
}

Parsed<MailboxArgument> ParseMailboxArgument(Cursor& in, const ParseOptions& options) {
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  return MailboxArgument{std::move(*mailbox)};
}

Parsed<Rename> ParseRename(Cursor& in, const ParseOptions& options) {
  auto from = args::Mailbox(in.Next(), options.utf8);
  if (!from) return std::move(from.error());
  auto to = args::Mailbox(in.Next(), options.utf8);
  if (!to) return std::move(to.error());
  return Rename{std::move(*from), std::move(*to)};
}

Parsed<UidExpunge> ParseUidExpunge(Cursor& in, const ParseOptions& options) {
  auto set = detail::SetArgument(in.Next(), options.limits);
  if (!set) return std::move(set.error());
  return UidExpunge{std::move(*set)};
}

template <class T>
Parsed<Arguments> Wrap(Parsed<T> parsed) {
  if (!parsed) return std::move(parsed.error());
  return Arguments(std::move(*parsed));
}

Parsed<Arguments> Dispatch(const Command& c, Cursor& in, const ParseOptions& o) {
  switch (c.verb) {
    case Verb::kLogin:
      return Wrap(ParseLogin(in));
    case Verb::kAuthenticate:
      return Wrap(ParseAuthenticate(in));
    case Verb::kEnable:
      return Wrap(ParseEnable(in));
    case Verb::kId:
      return Wrap(ParseId(in));
    case Verb::kCompress:
      return Wrap(ParseCompress(in));
    case Verb::kSelect:
    case Verb::kExamine:
      return Wrap(detail::ParseSelect(in, o));
    case Verb::kCreate:
      return Wrap(detail::ParseCreate(in, o));
    case Verb::kDelete:
    case Verb::kSubscribe:
    case Verb::kUnsubscribe:
      return Wrap(ParseMailboxArgument(in, o));
    case Verb::kRename:
      return Wrap(ParseRename(in, o));
    case Verb::kList:
    case Verb::kLsub:
      return Wrap(detail::ParseList(in, o, c.verb == Verb::kLsub));
    case Verb::kStatus:
      return Wrap(detail::ParseStatus(in, o));
    case Verb::kNotify:
      return Wrap(detail::ParseNotify(in, o));
    case Verb::kAppend:
      return Wrap(detail::ParseAppend(in, o));
    case Verb::kStore:
      return Wrap(detail::ParseStore(in, o));
    case Verb::kCopy:
    case Verb::kMove:
      return Wrap(detail::ParseCopy(in, o));
    case Verb::kFetch:
      return Wrap(detail::ParseFetch(in, o, c.uid));
    case Verb::kSearch:
      return Wrap(ParseSearch(in.TakeRest(), o.limits));
    case Verb::kExpunge:
      if (c.uid) return Wrap(ParseUidExpunge(in, o));
      return Arguments(NoArguments{});
    default:
      return Arguments(NoArguments{});
  }
}

}  // namespace

namespace detail {

Parsed<SequenceSet> SetArgument(const Token* t, const Limits& limits, bool allow_saved) {
  if (!t) return args::Missing("sequence set");
  if (t->kind != TokenKind::kAtom) return Bad("Invalid sequence set");
  return ParseSequenceSet(t->raw, limits, allow_saved);
}

Error Leftover() { return Bad("Too many arguments"); }

}  // namespace detail

Parsed<Request> ParseRequest(const Command& command, const ParseOptions& options) {
  Cursor in(command.args);
  auto args = Dispatch(command, in, options);
  if (args && !in.AtEnd()) args = detail::Leftover();
  if (!args) {
    Error e = std::move(args.error());
    e.tag = command.tag;
    return e;
  }
  return Request{command.tag, command.verb, command.uid, std::move(*args)};
}

Parsed<Request> ParseRequest(std::string_view text, const ParseOptions& options) {
  auto command = ParseCommand(text, options.limits);
  if (!command) return std::move(command.error());
  return ParseRequest(*command, options);
}

Parsed<std::optional<std::string>> ParseSaslResponse(std::string_view line) {
  if (line == "*") return std::optional<std::string>();
  std::optional<std::string> decoded = DecodeBase64(line);
  if (!decoded) return Bad("Response is not base64");
  return std::optional<std::string>(std::move(*decoded));
}

bool IsIdleDone(std::string_view line) { return chars::EqualsIgnoreCase(line, "DONE"); }

}  // namespace pushmail::imap
