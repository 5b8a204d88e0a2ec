#pragma once
// Reading the arguments every /get and /changes method shares (RFC 8620 5.1, 5.2). Each
// returns the value or sets `error` (invalidArguments, accountNotFound, requestTooLarge).

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jmap/api.h"

namespace pushmail::jmap {

// Checks "accountId" against the authenticated account.
std::optional<MethodError> CheckAccount(const MethodContext& c, const boost::json::object& args);

// "ids": nullopt for null or absent (all objects), else at most maxObjectsInGet strings.
std::optional<std::vector<std::string>> ReadIds(const MethodContext& c,
                                                const boost::json::object& args,
                                                std::optional<MethodError>& error);

// "properties": `all` for null or absent; else each must be one of `all`. "id" is always
// returned (RFC 8620 5.1).
std::vector<std::string> ReadProperties(const boost::json::object& args,
                                        const std::vector<std::string>& all,
                                        std::optional<MethodError>& error);

// An id as an argument gives it: "#name" is the id the creation "name" got earlier in the request
// (RFC 8620 5.3); nullopt for a creation id not made (yet).
std::optional<std::string> ResolveId(const MethodContext& c, std::string_view id);

// An optional integer argument in [min, max]; `fallback` when absent or null.
std::optional<int64_t> ReadInt(const boost::json::object& args, std::string_view key,
                               int64_t fallback, int64_t min, int64_t max,
                               std::optional<MethodError>& error);
// An optional boolean argument; `fallback` when absent or null.
bool ReadBool(const boost::json::object& args, std::string_view key, bool fallback,
              std::optional<MethodError>& error);

inline MethodError InvalidArguments(std::string description) {
  return {"invalidArguments", std::move(description)};
}

}  // namespace pushmail::jmap
