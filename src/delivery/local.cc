#include "delivery/local.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "delivery/vacation.h"

namespace pushmail::delivery {

std::string NewId(size_t length) {
  std::string id(length, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(id.data()), static_cast<int>(length));
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKLMNPQRSTVWXYZ";
  for (char& c : id) c = kAlphabet[static_cast<unsigned char>(c) % 32];
  return id;
}

std::string WithoutHeaderField(std::string_view message, std::string_view name) {
  std::string out;
  bool dropping = false;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t eol = message.find('\n', pos);
    size_t next = eol == std::string_view::npos ? message.size() : eol + 1;
    std::string_view line = message.substr(pos, next - pos);
    if (line == "\r\n" || line == "\n") break;  // the header ends: the body stays as it is
    bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      size_t colon = line.find(':');
      std::string_view field = line.substr(0, std::min(colon, line.size()));
      dropping = colon != std::string_view::npos && EqualsIgnoreCase(field, name);
    }
    if (!dropping) out += line;
    pos = next;
  }
  out += message.substr(pos);
  return out;
}

std::string HostName(const Config& config) {
  if (!config.hostname.empty()) return config.hostname;
  if (!config.domains.empty()) return config.domains.front();
  return "localhost";
}

std::string LocalTraceFields(std::string_view return_path, std::string_view host,
                             std::string_view via, std::string_view id, int64_t when) {
  std::string out = "Return-Path: <" + std::string(return_path) + ">\r\n";
  out += "Received: by " + std::string(host) + " (pushmail " + std::string(via) + ")\r\n";
  out += "\tid " + std::string(id) + ";\r\n\t" + Rfc5322Date(when) + "\r\n";
  return out;
}

Result<std::vector<store::Delivered>> DeliverLocally(store::Store& store, const Config& config,
                                                     LocalMessage m) {
  int64_t now = UnixNow();
  std::string id = NewId();
  store::Incoming in;
  in.message = LocalTraceFields(m.return_path, HostName(config), m.via, id, now) + m.message;
  in.summary = mime::Parse(in.message);
  in.received_at = now;
  in.recipients = m.recipients;
  auto away = OnVacation(store, in.recipients, now);
  std::optional<Arrival> arrival;
  if (!away.empty()) arrival = Describe(in.message, in.summary, m.return_path, now);
  size_t size = in.message.size();
  auto delivered = store.DeliverSync(std::move(in));
  if (!delivered) {
    spdlog::error("delivery: {} via {} not stored: {}", id, m.via, delivered.error().message());
    return delivered;
  }
  spdlog::info("delivery: {} from=<{}> via {} rcpts={} size={} stored", id, m.return_path, m.via,
               delivered->size(), size);
  if (arrival) AnswerVacations(store, config, *arrival, away);
  return delivered;
}

}  // namespace pushmail::delivery
