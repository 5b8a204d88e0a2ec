#pragma once
// What the standard methods of RFC 8620 5 share across data types: /changes from the change
// log, /set's arguments, answer and PatchObjects, /query's filter, sort and window, and
// /queryChanges. The data types (mailbox_*.cc, identity.cc, submission*.cc, ...) supply only
// what is theirs.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jmap/api.h"
#include "jmap/arguments.h"

namespace pushmail::jmap {

using JmapIdOf = std::string (*)(int64_t);

// --- Foo/changes (RFC 8620 5.2).

// Answers Foo/changes for `type` from the change log. `changes`, when given, receives what the
// store said (Mailbox/changes adds updatedProperties from it).
MethodResult StandardChanges(MethodContext& c, const boost::json::object& args,
                             store::DataType type, JmapIdOf id, store::Changes* changes = nullptr);

// --- Foo/set (RFC 8620 5.3).

struct SetArguments {
  std::optional<std::string> if_in_state;
  std::vector<std::pair<std::string, boost::json::object>> create;  // creation id, object
  std::vector<std::pair<std::string, boost::json::object>> update;  // id ("#" resolved), patch
  std::vector<std::string> destroy;                                 // ids ("#" resolved)
};

// Reads accountId, ifInState, create, update and destroy; at most maxObjectsInSet objects.
// An ifInState that is not `state` is stateMismatch. A "#creation" id of update or destroy is
// resolved when the creation was made by an earlier call; else it stays as given.
std::optional<MethodError> ReadSetArguments(const MethodContext& c, const boost::json::object& args,
                                            store::ModSeq state, SetArguments& out);

// After the creates of this call: each "#creation" id of update and destroy that names one of
// them becomes its id (RFC 8620 5.3: a creation may be updated or destroyed in the same call).
void ResolveCreationIds(const MethodContext& c, SetArguments& set);

// A SetError (RFC 8620 5.3); `properties` for invalidProperties.
boost::json::object SetError(std::string_view type, std::string_view description = {},
                             const std::vector<std::string>& properties = {});
inline boost::json::object InvalidProperties(const std::vector<std::string>& properties,
                                             std::string_view description = {}) {
  return SetError("invalidProperties", description, properties);
}

// The /set response being built.
class SetAnswer {
 public:
  // Records the creation, also for later "#creationId" references.
  void Created(MethodContext& c, const std::string& creation_id, const std::string& id,
               boost::json::object properties);
  void NotCreated(const std::string& creation_id, boost::json::object error) {
    not_created_[creation_id] = std::move(error);
  }
  void Updated(const std::string& id, boost::json::value properties = nullptr) {
    updated_[id] = std::move(properties);
  }
  void NotUpdated(const std::string& id, boost::json::object error) {
    not_updated_[id] = std::move(error);
  }
  void Destroyed(const std::string& id) { destroyed_.emplace_back(id); }
  void NotDestroyed(const std::string& id, boost::json::object error) {
    not_destroyed_[id] = std::move(error);
  }
  bool WasDestroyed(std::string_view id) const;
  const boost::json::object& created() const { return created_; }
  boost::json::object Finish(const MethodContext& c, store::ModSeq old_state,
                             store::ModSeq new_state) const;
  // With newState read from the account now. Should that read fail, the answer still reports
  // every write (the writes are committed) with old_state as newState: a client that asks
  // /changes from it hears of its own writes again, which is harmless; losing them is not.
  boost::json::object Finish(MethodContext& c, store::ModSeq old_state, store::DataType type) const;

 private:
  boost::json::object created_, not_created_, updated_, not_updated_, not_destroyed_;
  boost::json::array destroyed_;
};

// Applies a PatchObject to `object`: "a" replaces property a (null included: the caller reads
// null as its default), "a/b" sets or (with null) removes key b of the object a. false, with
// `error` set, for a path into something that is not an object or a path that is a prefix of
// another (invalidPatch).
bool ApplyPatch(boost::json::object& object, const boost::json::object& patch, std::string& error);

// The first segment of each path of `patch`, unescaped: the properties it changes.
std::vector<std::string> PatchedProperties(const boost::json::object& patch);

// A JSON Pointer reference token with ~1 and ~0 undone (RFC 6901); one with a bad escape is
// taken as it is.
std::string UnescapePointerToken(std::string_view token);

// --- Foo/query (RFC 8620 5.5).

struct Comparator {
  std::string property;
  bool ascending = true;
  std::string collation;  // empty: the default
};

// Reads "sort": each property must be in `supported` (else unsupportedSort), and a collation
// one of collationAlgorithms.
std::optional<MethodError> ReadSort(const boost::json::object& args,
                                    const std::vector<std::string>& supported,
                                    std::vector<Comparator>& out);

// Compares two strings as `collation` says: "i;octet" as they are, else ASCII letters folded.
int CompareStrings(std::string_view a, std::string_view b, std::string_view collation);

// Checks a filter tree: FilterOperators must be well formed and each FilterCondition passes
// `check` (which returns unsupportedFilter or invalidArguments). A null filter passes.
using ConditionCheck = std::function<std::optional<MethodError>(const boost::json::object&)>;
std::optional<MethodError> CheckFilter(const boost::json::value& filter,
                                       const ConditionCheck& check);

// Whether an object matches a checked filter tree; `match` decides each FilterCondition.
using ConditionMatch = std::function<bool(const boost::json::object&)>;
bool MatchFilter(const boost::json::value& filter, const ConditionMatch& match);

// The Foo/query answer for `ids`, the whole sorted and filtered result: position, anchor,
// anchorOffset, limit and calculateTotal applied.
MethodResult QueryAnswer(const MethodContext& c, const boost::json::object& args,
                         const std::vector<std::string>& ids, store::ModSeq state);

// --- Foo/queryChanges (RFC 8620 5.6).

// Answers from the change log: `removed` lists every object changed or destroyed since
// sinceQueryState (a changed one may have left the results or moved), `added` every one of the
// current results (`ids`, at `state`) created or changed since, with its index. Exact enough
// for RFC 8620 5.6, which lets removed name objects that were not in the old results.
MethodResult QueryChangesAnswer(MethodContext& c, const boost::json::object& args,
                                store::DataType type, JmapIdOf id,
                                const std::vector<std::string>& ids, store::ModSeq state);

// --- Values.

// Whether `v` is a JMAP EmailAddress[] ({"name": String|null, "email": String}).
bool IsEmailAddressList(const boost::json::value& v);

}  // namespace pushmail::jmap
