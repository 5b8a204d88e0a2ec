#include "imap/protocol/parser.h"

#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "imap/protocol/chars.h"

namespace pushmail::imap {
namespace {

struct VerbEntry {
  std::string_view name;
  Verb verb;
  bool uid;  // may follow "UID"
};

constexpr std::array<VerbEntry, 32> kVerbs{{
    {"CAPABILITY", Verb::kCapability, false},
    {"NOOP", Verb::kNoop, false},
    {"LOGOUT", Verb::kLogout, false},
    {"STARTTLS", Verb::kStartTls, false},
    {"AUTHENTICATE", Verb::kAuthenticate, false},
    {"LOGIN", Verb::kLogin, false},
    {"ENABLE", Verb::kEnable, false},
    {"ID", Verb::kId, false},
    {"COMPRESS", Verb::kCompress, false},
    {"SELECT", Verb::kSelect, false},
    {"EXAMINE", Verb::kExamine, false},
    {"CREATE", Verb::kCreate, false},
    {"DELETE", Verb::kDelete, false},
    {"RENAME", Verb::kRename, false},
    {"SUBSCRIBE", Verb::kSubscribe, false},
    {"UNSUBSCRIBE", Verb::kUnsubscribe, false},
    {"LIST", Verb::kList, false},
    {"LSUB", Verb::kLsub, false},
    {"NAMESPACE", Verb::kNamespace, false},
    {"STATUS", Verb::kStatus, false},
    {"APPEND", Verb::kAppend, false},
    {"IDLE", Verb::kIdle, false},
    {"NOTIFY", Verb::kNotify, false},
    {"CHECK", Verb::kCheck, false},
    {"CLOSE", Verb::kClose, false},
    {"UNSELECT", Verb::kUnselect, false},
    {"EXPUNGE", Verb::kExpunge, true},
    {"SEARCH", Verb::kSearch, true},
    {"FETCH", Verb::kFetch, true},
    {"STORE", Verb::kStore, true},
    {"COPY", Verb::kCopy, true},
    {"MOVE", Verb::kMove, true},
}};

const VerbEntry* FindVerb(std::string_view name) {
  for (const VerbEntry& e : kVerbs) {
    if (chars::EqualsIgnoreCase(e.name, name)) return &e;
  }
  return nullptr;
}

// Reads a token sequence. Recursion is bounded by Limits::max_depth.
class Tokenizer {
 public:
  Tokenizer(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Parsed<std::vector<Token>> ReadAll() {
    std::vector<Token> out;
    if (!ReadSequence(out, 0, false)) return Bad(std::move(error_));
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpaces() {
    while (!AtEnd() && Peek() == ' ') ++pos_;
  }
  bool Fail(std::string text) {
    error_ = std::move(text);
    return false;
  }
  bool FailAt() {
    char c = Peek();
    if (c == '\0') return Fail("NUL octet in command");
    if (c == '\r' || c == '\n') return Fail("Unexpected line end (is a literal missing?)");
    if (chars::IsCtl(c)) return Fail("Control character in command");
    std::string text = "Expected a space before '";
    text.append(1, c).append("'");
    return Fail(std::move(text));
  }

  bool ReadSequence(std::vector<Token>& out, size_t depth, bool in_list) {
    for (;;) {
      SkipSpaces();
      if (AtEnd()) return in_list ? Fail("Missing ')'") : true;
      if (Peek() == ')') {
        if (!in_list) return Fail("Unexpected ')'");
        ++pos_;
        return true;
      }
      Token& t = out.emplace_back();
      if (!ReadToken(t, depth)) return false;
      // Lists may touch, as in body structures and address lists: "(...)(...)".
      bool touching = t.IsList() && !AtEnd() && Peek() == '(';
      if (!AtEnd() && Peek() != ' ' && Peek() != ')' && !touching) return FailAt();
    }
  }

  bool ReadToken(Token& t, size_t depth) {
    if (++tokens_ > limits_.max_tokens) return Fail("Too many arguments");
    char c = Peek();
    if (c == '(') return ReadList(t, depth);
    if (c == '"') return ReadQuoted(t);
    if (c == '{' || (c == '~' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{')) {
      return ReadLiteral(t);
    }
    return ReadWord(t);
  }

  bool ReadList(Token& t, size_t depth) {
    if (depth + 1 > limits_.max_depth) return Fail("Too deeply nested");
    size_t start = pos_++;
    t.kind = TokenKind::kList;
    if (!ReadSequence(t.children, depth + 1, true)) return false;
    t.raw = text_.substr(start, pos_ - start);
    return true;
  }

  bool ReadQuoted(Token& t) {
    size_t start = ++pos_;
    t.kind = TokenKind::kQuoted;
    for (; !AtEnd(); ++pos_) {
      char c = Peek();
      if (c == '"') {
        t.raw = text_.substr(start, pos_++ - start);
        return true;
      }
      if (c == '\r' || c == '\n' || c == '\0') break;
      if (c == '\\') {
        if (++pos_ >= text_.size()) break;
        c = Peek();
        if (c != '"' && c != '\\') return Fail("Invalid escape in quoted string");
      }
      t.unescaped += c;
    }
    return Fail("Unterminated quoted string");
  }

  bool ReadLiteral(Token& t) {
    t.kind = TokenKind::kLiteral;
    t.binary = Peek() == '~';
    pos_ += t.binary ? 2 : 1;
    uint64_t size = 0;
    size_t digits = 0;
    for (; !AtEnd() && chars::IsDigit(Peek()); ++pos_, ++digits) {
      uint64_t d = static_cast<uint64_t>(Peek() - '0');
      if (size > (std::numeric_limits<uint64_t>::max() - d) / 10) return Fail("Literal too big");
      size = size * 10 + d;
    }
    if (!AtEnd() && Peek() == '+') ++pos_;
    if (digits == 0 || AtEnd() || Peek() != '}') return Fail("Invalid literal syntax");
    ++pos_;
    if (text_.substr(pos_, 2) == "\r\n") {
      pos_ += 2;
    } else if (text_.substr(pos_, 1) == "\n") {
      pos_ += 1;
    } else {
      return Fail("Literal marker not followed by a line end");
    }
    if (size > text_.size() - pos_) return Fail("Literal longer than the command");
    t.raw = text_.substr(pos_, static_cast<size_t>(size));
    pos_ += static_cast<size_t>(size);
    if (!t.binary && std::memchr(t.raw.data(), '\0', t.raw.size())) {
      return Fail("NUL octet in literal (use literal8)");
    }
    return true;
  }

  // Where the "]" closing a bracket that opens at `open` is, or npos when the bracket does not
  // close on this line (then "[" is an ordinary atom octet, as in "[Gmail]/Sent"). After a
  // bracket failed to close, no later "[" before the point where that scan stopped is tried,
  // which keeps tokenizing linear in the text's size.
  size_t CloseBracket(size_t open) {
    if (open < no_brackets_until_) return std::string_view::npos;
    bool quoted = false;
    size_t i = open + 1;
    for (; i < text_.size(); ++i) {
      char c = text_[i];
      if (chars::IsCtl(c)) break;
      if (quoted && c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ']' && !quoted) {
        return i;
      }
    }
    no_brackets_until_ = i;
    return std::string_view::npos;
  }

  bool ReadWord(Token& t) {
    size_t start = pos_;
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '(' || c == ')' || c == '"' || chars::IsCtl(c)) break;
      if (c == '[') {
        size_t close = CloseBracket(pos_);
        if (close != std::string_view::npos) pos_ = close;
      }
      ++pos_;
    }
    if (pos_ == start) return FailAt();
    t.kind = TokenKind::kAtom;
    t.raw = text_.substr(start, pos_ - start);
    return true;
  }

  std::string_view text_;
  const Limits& limits_;
  size_t pos_ = 0;
  size_t tokens_ = 0;
  size_t no_brackets_until_ = 0;  // see CloseBracket
  std::string error_;
};

Error Tagged(std::string tag, Error e) {
  e.tag = std::move(tag);
  return e;
}

}  // namespace

bool Token::IsAtom(std::string_view upper) const {
  return kind == TokenKind::kAtom && chars::EqualsIgnoreCase(raw, upper);
}

std::string_view VerbName(Verb verb) {
  for (const VerbEntry& e : kVerbs) {
    if (e.verb == verb) return e.name;
  }
  return "";
}

Parsed<std::vector<Token>> Tokenize(std::string_view text, const Limits& limits) {
  return Tokenizer(text, limits).ReadAll();
}

Parsed<Command> ParseCommand(std::string_view text, const Limits& limits) {
  if (text.empty()) return Bad("Empty command");
  size_t sp = text.find(' ');
  std::string_view tag = text.substr(0, sp);
  if (!chars::IsValidTag(tag)) return Bad("Invalid tag");
  Command command;
  command.tag = std::string(tag);
  auto next_word = [&text, &sp]() {
    while (sp < text.size() && text[sp] == ' ') ++sp;
    size_t start = sp;
    sp = text.find(' ', start);
    return text.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
  };
  if (sp == std::string_view::npos) return Tagged(command.tag, Bad("Missing command"));
  std::string_view name = next_word();
  if (chars::EqualsIgnoreCase(name, "UID")) {
    command.uid = true;
    if (sp == std::string_view::npos) return Tagged(command.tag, Bad("Missing command after UID"));
    name = next_word();
  }
  const VerbEntry* entry = FindVerb(name);
  if (!entry) return Tagged(command.tag, Bad("Unknown command"));
  if (command.uid && !entry->uid) return Tagged(command.tag, Bad("UID cannot prefix this command"));
  command.verb = entry->verb;
  if (sp != std::string_view::npos) {
    auto args = Tokenize(text.substr(sp), limits);
    if (!args) return Tagged(command.tag, std::move(args.error()));
    command.args = std::move(*args);
  }
  return command;
}

}  // namespace pushmail::imap
