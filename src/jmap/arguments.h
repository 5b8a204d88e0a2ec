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

inline MethodError InvalidArguments(std::string description) {
  return {"invalidArguments", std::move(description)};
}

}  // namespace pushmail::jmap
