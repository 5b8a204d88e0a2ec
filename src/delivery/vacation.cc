#include "delivery/vacation.h"

#include <algorithm>

#include "base/base64.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "delivery/local.h"

namespace pushmail::delivery {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x80 && (c >= 0x20 || c == '\t');
  });
}

// RFC 2047 encoded words for a header value that is not plain ASCII: chunks of at most 45
// octets, never inside a UTF-8 sequence, folded onto lines of their own.
std::string EncodeWords(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  std::string out;
  while (!text.empty()) {
    size_t n = std::min<size_t>(45, text.size());
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + EncodeBase64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

// A display name as a phrase: encoded words, or a quoted string when it has specials.
std::string Phrase(std::string_view name) {
  if (!IsAscii(name)) return EncodeWords(name);
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string Crlf(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  if (out.empty() || !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// A body part's header fields and body: 7bit when it can be, else base64.
std::string Part(std::string_view type, std::string_view text) {
  std::string body = Crlf(text);
  bool plain = std::all_of(body.begin(), body.end(),
                           [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
  size_t line = 0;
  for (char ch : body) {
    line = ch == '\n' ? 0 : line + 1;
    plain = plain && line <= 998;
  }
  std::string out = "Content-Type: " + std::string(type) + "; charset=utf-8\r\n";
  if (plain) return out + "Content-Transfer-Encoding: 7bit\r\n\r\n" + body;
  std::string encoded = EncodeBase64(text), wrapped;
  for (size_t i = 0; i < encoded.size(); i += 76) wrapped += encoded.substr(i, 76) + "\r\n";
  return out + "Content-Transfer-Encoding: base64\r\n\r\n" + wrapped;
}

// Readable text from HTML: tags dropped (line breaks for <br> and block ends), the common
// entities decoded. Enough for a vacation message, which is short and simple.
std::string HtmlToText(std::string_view html) {
  std::string out;
  for (size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '<') {
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string tag = AsciiLower(html.substr(i + 1, end - i - 1));
      if (tag.starts_with("br") || tag == "/p" || tag == "/div" || tag.starts_with("/h")) {
        out += '\n';
      }
      i = end;
    } else if (html[i] == '&') {
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
          {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
      bool done = false;
      for (auto [entity, ch] : kEntities) {
        if (html.substr(i).starts_with(entity)) {
          out += ch;
          i += entity.size() - 1;
          done = true;
          break;
        }
      }
      if (!done) out += '&';
    } else {
      out += html[i];
    }
  }
  return out;
}

std::string LocalPart(std::string_view address) {
  return AsciiLower(address.substr(0, address.rfind('@')));
}

}  // namespace

std::optional<std::string> HeaderField(std::string_view message, std::string_view name) {
  size_t end = message.find("\r\n\r\n");
  end = std::min(end, message.find("\n\n"));
  std::string_view header =
      message.substr(0, end == std::string_view::npos ? message.size() : end + 1);
  std::optional<std::string> value;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t eol = header.find('\n', pos);
    std::string_view line = header.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? header.size() : eol + 1;
    bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (value && continuation) {
      *value += " " + std::string(Trim(line));
      continue;
    }
    if (value) break;  // the field ended
    size_t colon = line.find(':');
    if (continuation || colon == std::string_view::npos) continue;
    if (EqualsIgnoreCase(Trim(line.substr(0, colon)), name)) {
      value = std::string(Trim(line.substr(colon + 1)));
    }
  }
  return value;
}

Arrival Describe(std::string_view message, const mime::Summary& summary,
                 std::string_view return_path, int64_t received_at) {
  Arrival a;
  a.return_path = std::string(return_path);
  a.message_id = summary.message_id;
  a.references = summary.references.empty() ? summary.in_reply_to : summary.references;
  a.subject = summary.subject;
  a.received_at = received_at;
  for (const auto* list : {&summary.to, &summary.cc, &summary.bcc}) {
    for (const auto& address : *list) a.addressed_to.push_back(AsciiLower(address.email));
  }
  auto field = [&](std::string_view name) {
    auto v = HeaderField(message, name);
    return v ? std::optional<std::string>(AsciiLower(*v)) : std::nullopt;
  };
  auto submitted = field("Auto-Submitted");
  if (submitted && submitted->substr(0, submitted->find_first_of(" \t;(")) != "no") {
    a.automatic = true;
  }
  auto precedence = field("Precedence");
  if (precedence && (*precedence == "bulk" || *precedence == "list" || *precedence == "junk")) {
    a.automatic = true;
  }
  for (std::string_view list : {"List-Id", "List-Unsubscribe", "List-Post", "List-Help",
                                "List-Subscribe", "List-Owner", "List-Archive"}) {
    if (field(list)) a.automatic = true;
  }
  auto suppress = field("X-Auto-Response-Suppress");
  if (suppress &&
      (suppress->find("oof") != std::string::npos || suppress->find("all") != std::string::npos ||
       suppress->find("autoreply") != std::string::npos)) {
    a.automatic = true;
  }
  return a;
}

std::vector<store::AccountId> OnVacation(store::Store& store,
                                         const std::vector<store::AccountId>& recipients,
                                         int64_t when) {
  std::vector<store::AccountId> away;
  for (auto account : recipients) {
    if (store.VacationActive(account, when) &&
        std::find(away.begin(), away.end(), account) == away.end()) {
      away.push_back(account);
    }
  }
  return away;
}

std::string_view Unanswerable(const Arrival& arrival, std::string_view mine) {
  if (arrival.return_path.empty()) return "it has no return path";
  if (arrival.automatic) return "it is automatic or list mail";
  std::string local = LocalPart(arrival.return_path);
  if (local.starts_with("owner-") || local.ends_with("-request") || local == "mailer-daemon" ||
      local == "listserv" || local == "majordomo") {
    return "its sender is a list or a daemon";
  }
  if (mine.empty()) return "it names the recipient in neither To, Cc nor Bcc";
  if (EqualsIgnoreCase(arrival.return_path, mine)) return "it comes from the recipient";
  return {};
}

std::string ComposeVacationReply(const VacationReply& r) {
  const Arrival& original = *r.original;
  const store::VacationResponse& v = *r.response;
  std::string subject =
      v.subject && !v.subject->empty()
          ? *v.subject
          : "Auto: " + (original.subject.empty() ? std::string("your message") : original.subject);
  std::string out;
  out += "From: " + (r.from_name.empty() ? "" : Phrase(r.from_name) + " ") + "<" + r.from + ">\r\n";
  out += "To: <" + r.to + ">\r\n";
  out += "Subject: " + EncodeWords(subject) + "\r\n";
  out += "Date: " + Rfc5322Date(r.date) + "\r\n";
  out += "Message-ID: <" + NewId() + "@" + r.host + ">\r\n";
  if (!original.message_id.empty()) {
    out += "In-Reply-To: <" + original.message_id + ">\r\n";
    out += "References:";
    for (const auto& ref : original.references) out += "\r\n <" + ref + ">";
    out += "\r\n <" + original.message_id + ">\r\n";
  }
  out += "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n";
  std::string text = v.text_body ? *v.text_body
                     : v.html_body
                         ? HtmlToText(*v.html_body)
                         : "I am away at the moment and will read your message when I am back.";
  if (!v.html_body) return out + Part("text/plain", text);
  std::string boundary = "=_pushmail_" + NewId();
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + Part("text/plain", text);
  out += "--" + boundary + "\r\n" + Part("text/html", *v.html_body);
  return out + "--" + boundary + "--\r\n";
}

namespace {

// The address of `account` that `arrival` was sent to, or empty.
std::string AddressOf(store::Store& store, store::AccountId account, const Arrival& arrival) {
  for (const auto& address : arrival.addressed_to) {
    auto owner = store.FindRecipient(address);
    if (owner && *owner == account) return address;
  }
  return {};
}

std::string NameFor(store::Store& store, store::AccountId account, std::string_view address) {
  auto identities = store.ListIdentities(account);
  if (!identities) return {};
  for (const auto& i : *identities) {
    if (AsciiLower(i.email) == address && !i.name.empty()) return i.name;
  }
  return {};
}

void AnswerOne(store::Store& store, const Config& config, const Arrival& arrival,
               store::AccountId account) {
  auto vacation = store.GetVacationResponse(account);
  if (!vacation || !vacation->ActiveAt(arrival.received_at)) return;
  std::string mine = AddressOf(store, account, arrival);
  auto sender = store.FindRecipient(arrival.return_path);
  std::string_view why = Unanswerable(arrival, mine);
  if (why.empty() && sender && *sender == account) why = "it comes from the recipient";
  if (!why.empty()) {
    spdlog::debug("vacation: account {} does not answer <{}>: {}", account, arrival.return_path,
                  why);
    return;
  }
  if (!sender) {
    std::string_view domain = arrival.return_path;
    domain.remove_prefix(std::min(domain.size(), domain.rfind('@') + 1));
    std::string reason = sender.error() != MakeError(Errc::kNotFound) ? sender.error().message()
                         : IsLocalDomain(config, domain)
                             ? "no such local user"
                             : "delivery to other domains is not supported yet (no outbound relay)";
    spdlog::info("vacation: reply from <{}> to <{}> not sent: {}", mine, arrival.return_path,
                 reason);
    return;
  }
  auto claimed = store.ClaimVacationReply(account, arrival.return_path, UnixNow(), kVacationPeriod);
  if (!claimed || !*claimed) return;  // answered within the period already
  VacationReply reply{mine,
                      NameFor(store, account, mine),
                      arrival.return_path,
                      HostName(config),
                      &arrival,
                      &*vacation,
                      UnixNow()};
  LocalMessage m{"", ComposeVacationReply(reply), {*sender}, "vacation"};
  if (auto delivered = DeliverLocally(store, config, std::move(m)); delivered) {
    spdlog::info("vacation: replied from <{}> to <{}>", mine, arrival.return_path);
  }
}

}  // namespace

void AnswerVacations(store::Store& store, const Config& config, const Arrival& arrival,
                     const std::vector<store::AccountId>& away) {
  for (auto account : away) AnswerOne(store, config, arrival, account);
}

}  // namespace pushmail::delivery
