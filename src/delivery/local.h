#pragma once
// Delivery into local accounts of a message made inside the server: a JMAP EmailSubmission or
// a vacation reply. It goes the way SMTP intake's mail goes (Store::Deliver: one blob, one
// commit, the hub publishes), with the trace fields a delivery gets (RFC 5321 4.4).

#include <string>
#include <vector>

#include "base/config.h"
#include "base/result.h"
#include "store/store.h"

namespace pushmail::delivery {

struct LocalMessage {
  std::string return_path;  // the envelope sender; empty for <>
  std::string message;      // the message as submitted, without trace fields
  std::vector<store::AccountId> recipients;
  std::string via;  // what handed it over, named in Received: ("JMAP submission", "vacation")
};

// Adds Return-Path: and Received:, parses the message, delivers it to every recipient's inbox
// in one commit, then lets the recipients' vacation responses answer. Blocks on the store: call
// it from the blocking pool.
Result<std::vector<store::Delivered>> DeliverLocally(store::Store& store, const Config& config,
                                                     LocalMessage message);

// "Return-Path: <...>" and "Received: by HOST (pushmail VIA) id ID; DATE", CRLF-terminated.
std::string LocalTraceFields(std::string_view return_path, std::string_view host,
                             std::string_view via, std::string_view id, int64_t when);

// `message` without its header fields named `name` (case-insensitive), continuation lines
// included: Bcc: leaves a message before it is delivered (RFC 5322 3.6.3).
std::string WithoutHeaderField(std::string_view message, std::string_view name);

// A fresh random id of `length` characters of a base-32 alphabet: for Received: and
// Message-ID: (16), and the SMTP queue id (8).
std::string NewId(size_t length = 16);

// The host name the server names itself with: config.hostname, else the first domain, else
// "localhost".
std::string HostName(const Config& config);

}  // namespace pushmail::delivery
