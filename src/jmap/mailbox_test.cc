// Mailbox/get counts, /changes, /query, /queryChanges and /set over a real store, each kept to
// the account that asks.
#include <boost/json.hpp>

#include "jmap/api_fixture.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class MailboxTest : public ApiFixture {
 protected:
  // Mailbox/set create of `objects` (JSON), returning the response arguments.
  json::object Create(const std::string& objects) {
    return One(alice_, "Mailbox/set", Args(alice_, "\"create\":" + objects));
  }
  std::vector<std::string> QueryIds(const std::string& rest) {
    auto r = One(alice_, "Mailbox/query", Args(alice_, rest));
    std::vector<std::string> out;
    for (const auto& id : r.at("ids").as_array()) out.emplace_back(id.as_string());
    return out;
  }
  std::string Id(const std::string& name) { return MailboxId(alice_, name); }
};

TEST_F(MailboxTest, GetCountsThreadsAndRights) {
  Deliver(alice_, "one", "Message-ID: <one@x>\r\n");
  Deliver(alice_, "re: one", "Message-ID: <two@x>\r\nReferences: <one@x>\r\n");
  Deliver(alice_, "other");
  auto r = One(alice_, "Mailbox/get", Args(alice_, "\"ids\":[\"" + Id("INBOX") + "\"]"));
  const auto& inbox = r.at("list").at(0);
  EXPECT_EQ(inbox.at("totalEmails"), 3);
  EXPECT_EQ(inbox.at("unreadEmails"), 3);
  EXPECT_EQ(inbox.at("totalThreads"), 2);
  EXPECT_EQ(inbox.at("unreadThreads"), 2);
  EXPECT_EQ(inbox.at("myRights").at("mayRename"), false);
  EXPECT_EQ(inbox.at("myRights").at("mayDelete"), false);
  r = One(alice_, "Mailbox/get", Args(alice_, "\"ids\":[\"" + Id("Sent") + "\"]"));
  EXPECT_EQ(r.at("list").at(0).at("myRights").at("mayDelete"), true);
}

TEST_F(MailboxTest, ChangesTellCountsOnlyUpdates) {
  auto state = One(alice_, "Mailbox/get", Args(alice_)).at("state");
  Deliver(alice_, "hello");
  auto r = One(alice_, "Mailbox/changes", Args(alice_, "\"sinceState\":" + json::serialize(state)));
  EXPECT_EQ(r.at("updated"), json::array{json::string(Id("INBOX"))});
  EXPECT_EQ(r.at("updatedProperties"),
            json::parse(R"(["totalEmails","unreadEmails","totalThreads","unreadThreads"])"));
  One(alice_, "Mailbox/set",
      Args(alice_, R"("update":{")" + Id("INBOX") + R"(":{"isSubscribed":false}})"));
  r = One(alice_, "Mailbox/changes", Args(alice_, "\"sinceState\":" + json::serialize(state)));
  EXPECT_EQ(r.at("updated").as_array().size(), 1u);
  EXPECT_TRUE(r.at("updatedProperties").is_null());
  // Paging by maxChanges, never inside one commit; and someone else's account.
  r = One(alice_, "Mailbox/changes", Args(alice_, R"("sinceState":"0","maxChanges":3)"), "error");
  EXPECT_EQ(r.at("type"), "cannotCalculateChanges");  // six mailboxes were made at once
  state = One(alice_, "Mailbox/get", Args(alice_)).at("state");
  One(alice_, "Mailbox/set", Args(alice_, R"("create":{"x":{"name":"X"}})"));
  One(alice_, "Mailbox/set", Args(alice_, R"("create":{"y":{"name":"Y"}})"));
  r = One(alice_, "Mailbox/changes",
          Args(alice_, "\"maxChanges\":1,\"sinceState\":" + json::serialize(state)));
  EXPECT_EQ(r.at("hasMoreChanges"), true);
  EXPECT_EQ(r.at("created"), json::array{json::string(Id("X"))});
  r = One(alice_, "Mailbox/changes",
          Args(alice_, "\"sinceState\":" + json::serialize(r.at("newState"))));
  EXPECT_EQ(r.at("hasMoreChanges"), false);
  EXPECT_EQ(r.at("created"), json::array{json::string(Id("Y"))});
  r = One(bob_, "Mailbox/changes", Args(alice_, "\"sinceState\":\"0\""), "error");
  EXPECT_EQ(r.at("type"), "accountNotFound");
  r = One(alice_, "Mailbox/changes", Args(alice_, "\"sinceState\":\"999\""), "error");
  EXPECT_EQ(r.at("type"), "cannotCalculateChanges");
}

TEST_F(MailboxTest, QueryFiltersSortsAndPages) {
  Create(
      R"({"w":{"name":"Work","sortOrder":10},"a":{"name":"alpha","parentId":"#w","sortOrder":2},)"
      R"("b":{"name":"Beta","parentId":"#w","sortOrder":1,"isSubscribed":false}})");
  std::string work = Id("Work"), alpha = Id("Work/alpha"), beta = Id("Work/Beta");
  auto all = QueryIds("");
  ASSERT_EQ(all.size(), 9u);
  EXPECT_EQ(all[0], Id("INBOX"));  // sortOrder 0; the tree is flat by default
  EXPECT_EQ(QueryIds(R"("filter":{"parentId":")" + work + R"("})"),
            (std::vector<std::string>{beta, alpha}));
  EXPECT_EQ(QueryIds(R"("filter":{"parentId":null},"sort":[{"property":"name"}])").at(0),
            Id("Archive"));
  EXPECT_EQ(QueryIds(R"("filter":{"role":"sent"})"), std::vector<std::string>{Id("Sent")});
  EXPECT_EQ(QueryIds(R"("filter":{"hasAnyRole":false,"isSubscribed":true})"),
            (std::vector<std::string>{alpha, work}));
  EXPECT_EQ(QueryIds(R"("filter":{"name":"ALP"})"), std::vector<std::string>{alpha});
  EXPECT_EQ(QueryIds(R"("filter":{"operator":"NOT","conditions":[{"hasAnyRole":true},)"
                     R"({"name":"a"}]})"),
            std::vector<std::string>{work});
  EXPECT_EQ(QueryIds(R"("filter":{"operator":"OR","conditions":[{"role":"trash"},)"
                     R"({"isSubscribed":false}]})"),
            (std::vector<std::string>{beta, Id("Trash")}));
  // Names sorted case-insensitively, descending; as a tree, children follow their parent.
  auto by_name = QueryIds(R"("sort":[{"property":"name","isAscending":false}])");
  EXPECT_EQ(by_name.front(), work);
  EXPECT_EQ(by_name.back(), alpha);
  auto tree = QueryIds(R"("sort":[{"property":"name"}],"sortAsTree":true)");
  auto at = std::find(tree.begin(), tree.end(), work) - tree.begin();
  ASSERT_LT(at + 2, static_cast<long>(tree.size()));
  EXPECT_EQ(tree[at + 1], alpha);
  EXPECT_EQ(tree[at + 2], beta);
  // filterAsTree: a match whose parent does not match is left out.
  EXPECT_EQ(QueryIds(R"("filter":{"name":"a"},"filterAsTree":true)").size(),
            QueryIds(R"("filter":{"name":"a"})").size() - 2);
  // The window.
  auto r = One(alice_, "Mailbox/query",
               Args(alice_, R"("position":-2,"limit":1,"calculateTotal":true)"));
  EXPECT_EQ(r.at("position"), 7);
  EXPECT_EQ(r.at("ids"), json::array{json::string(all[7])});
  EXPECT_EQ(r.at("total"), 9);
  EXPECT_EQ(r.at("canCalculateChanges"), true);
  r = One(alice_, "Mailbox/query",
          Args(alice_, R"("anchor":")" + all[3] + R"(","anchorOffset":-1,"limit":2)"));
  EXPECT_EQ(r.at("position"), 2);
  EXPECT_EQ(r.at("ids"), (json::array{json::string(all[2]), json::string(all[3])}));
  EXPECT_FALSE(r.contains("total"));
  EXPECT_EQ(One(alice_, "Mailbox/query", Args(alice_, R"("position":50)")).at("ids"),
            json::array());
  const std::pair<const char*, const char*> errors[] = {
      {R"("anchor":"M99999")", "anchorNotFound"},
      {R"("sort":[{"property":"totalEmails"}])", "unsupportedSort"},
      {R"("sort":[{"property":"name","collation":"i;klingon"}])", "unsupportedSort"},
      {R"("filter":{"nope":1})", "unsupportedFilter"},
      {R"("filter":{"operator":"XOR","conditions":[]})", "unsupportedFilter"},
      {R"("filter":{"name":5})", "invalidArguments"},
      {R"("limit":-1)", "invalidArguments"},
  };
  for (auto [args, type] : errors) {
    EXPECT_EQ(One(alice_, "Mailbox/query", Args(alice_, args), "error").at("type"), type) << args;
  }
  // Bob's query of his own account lists his mailboxes, not Alice's.
  r = One(bob_, "Mailbox/query", Args(bob_));
  EXPECT_EQ(r.at("ids").as_array().size(), 6u);
  EXPECT_EQ(std::count(r.at("ids").as_array().begin(), r.at("ids").as_array().end(),
                       json::value(json::string(work))),
            0);
}

TEST_F(MailboxTest, QueryChangesFromTheChangeLog) {
  auto query = One(alice_, "Mailbox/query", Args(alice_, R"("sort":[{"property":"name"}])"));
  auto since = json::serialize(query.at("queryState"));
  Create(R"({"n":{"name":"Bills"}})");
  One(alice_, "Mailbox/set", Args(alice_, R"("update":{")" + Id("Junk") + R"(":{"name":"Spam"}})"));
  auto r = One(alice_, "Mailbox/queryChanges",
               Args(alice_, R"("sort":[{"property":"name"}],"calculateTotal":true,)"
                            R"("sinceQueryState":)" +
                                since));
  EXPECT_EQ(r.at("oldQueryState"), query.at("queryState"));
  EXPECT_EQ(r.at("total"), 7);
  EXPECT_EQ(r.at("removed"), json::array{json::string(Id("Spam"))});
  // Sorted by name: Archive, Bills, Drafts, INBOX, Sent, Spam, Trash.
  EXPECT_EQ(r.at("added"), json::parse(R"([{"id":")" + Id("Bills") +
                                       R"(","index":1},)"
                                       R"({"id":")" +
                                       Id("Spam") + R"(","index":5}])"));
  // Applying the changes to the old ids gives the new ones.
  auto now = One(alice_, "Mailbox/query", Args(alice_, R"("sort":[{"property":"name"}])"));
  EXPECT_EQ(now.at("queryState"), r.at("newQueryState"));
  r = One(alice_, "Mailbox/queryChanges",
          Args(alice_, R"("sinceQueryState":)" + since + R"(,"maxChanges":1)"), "error");
  EXPECT_EQ(r.at("type"), "tooManyChanges");
  r = One(alice_, "Mailbox/queryChanges", Args(alice_, R"("sinceQueryState":"x")"), "error");
  EXPECT_EQ(r.at("type"), "cannotCalculateChanges");
  r = One(bob_, "Mailbox/queryChanges", Args(alice_, R"("sinceQueryState":)" + since), "error");
  EXPECT_EQ(r.at("type"), "accountNotFound");
}

TEST_F(MailboxTest, SetCreatesChildrenBeforeParentsAreListedAndReturnsDefaults) {
  auto response =
      Request(alice_,
              "[[\"Mailbox/set\"," +
                  Args(alice_, R"("create":{"c":{"name":"Child","parentId":"#p"},)"
                               R"("p":{"name":"Parent","role":"important"}})") +
                  R"(,"0"],["Mailbox/get",)" +
                  Args(alice_, R"("ids":["#c"],"properties":["parentId"])") + R"(,"1"]])",
              R"(,"createdIds":{"old":"M1"})");
  const auto& set = response.at("methodResponses").at(0).at(1);
  ASSERT_TRUE(set.at("notCreated").is_null()) << set;
  const auto& child = set.at("created").at("c");
  EXPECT_EQ(child.at("sortOrder"), 0);
  EXPECT_EQ(child.at("isSubscribed"), true);
  EXPECT_TRUE(child.at("role").is_null());
  EXPECT_EQ(child.at("totalEmails"), 0);
  EXPECT_EQ(child.at("myRights").at("mayDelete"), true);
  EXPECT_FALSE(child.as_object().contains("name"));  // given by the client
  EXPECT_EQ(child.at("id"), json::value(json::string(Id("Parent/Child"))));
  EXPECT_EQ(store_->FindMailbox(alice_.account, "Parent").value().role, "important");
  EXPECT_NE(set.at("newState"), set.at("oldState"));
  EXPECT_EQ(response.at("createdIds").at("c"), child.at("id"));
  EXPECT_EQ(response.at("createdIds").at("old"), "M1");
  // "#c" is resolved in the later call of the same request.
  const auto& get = response.at("methodResponses").at(1).at(1);
  EXPECT_EQ(get.at("list").at(0).at("parentId"), set.at("created").at("p").at("id"));
}

TEST_F(MailboxTest, SetRefusesWhatRfc8621Forbids) {
  Create(R"({"p":{"name":"P"},"c":{"name":"C","parentId":"#p"}})");
  Deliver(alice_, "keep me");
  std::string inbox = Id("INBOX"), p = Id("P"), c = Id("P/C");
  auto r =
      Create(R"({"slash":{"name":"a/b"},"dup":{"name":"Sent"},"role":{"name":"x","role":"nope"},)"
             R"("taken":{"name":"y","role":"sent"},"server":{"name":"z","totalEmails":1},)"
             R"("parent":{"name":"q","parentId":"M99999"},"empty":{"name":""},)"
             R"("loop":{"name":"l","parentId":"#loop"}})");
  const auto& nc = r.at("notCreated");
  const std::pair<const char*, const char*> expect[] = {
      {"slash", "name"},         {"dup", "name"},        {"role", "role"},  {"taken", "role"},
      {"server", "totalEmails"}, {"parent", "parentId"}, {"empty", "name"}, {"loop", "parentId"}};
  for (auto [id, property] : expect) {
    EXPECT_EQ(nc.at(id).at("type"), "invalidProperties") << id;
    EXPECT_EQ(nc.at(id).at("properties"), json::array{property}) << id;
  }
  EXPECT_TRUE(r.at("created").is_null());
  r = One(alice_, "Mailbox/set",
          Args(alice_, R"("update":{")" + inbox + R"(":{"name":"Inbox2"},")" + p +
                           R"(":{"parentId":")" + c + R"("},")" + c +
                           R"(":{"name":"Sent","parentId":null},"M99999":{"name":"x"}},)"
                           R"("destroy":[")" +
                           inbox + R"(",")" + p + R"(","M99999"])"));
  EXPECT_EQ(r.at("notUpdated").at(inbox).at("type"), "forbidden");
  EXPECT_EQ(r.at("notUpdated").at(p).at("properties"), json::array{"parentId"});
  EXPECT_EQ(r.at("notUpdated").at(c).at("properties"), json::array{"name"});
  EXPECT_EQ(r.at("notUpdated").at("M99999").at("type"), "notFound");
  EXPECT_EQ(r.at("notDestroyed").at(inbox).at("type"), "forbidden");
  EXPECT_EQ(r.at("notDestroyed").at(p).at("type"), "mailboxHasChild");
  EXPECT_EQ(r.at("notDestroyed").at("M99999").at("type"), "notFound");
  // An email in the way, unless the client says to remove it.
  ASSERT_TRUE(store_->Copy(alice_.account, store_->FindMailbox(alice_.account, "INBOX")->id, {1},
                           store_->FindMailbox(alice_.account, "P/C")->id, false));
  r = One(alice_, "Mailbox/set", Args(alice_, R"("destroy":[")" + c + R"("])"));
  EXPECT_EQ(r.at("notDestroyed").at(c).at("type"), "mailboxHasEmail");
  r = One(
      alice_, "Mailbox/set",
      Args(alice_, R"("destroy":[")" + p + R"(",")" + c + R"("],"onDestroyRemoveEmails":true)"));
  EXPECT_EQ(r.at("destroyed"), (json::array{json::string(c), json::string(p)}));
  EXPECT_EQ(store_->CountMailbox(store_->FindMailbox(alice_.account, "INBOX")->id)->messages, 1);
  // ifInState, and arguments of the wrong shape.
  r = One(alice_, "Mailbox/set", Args(alice_, R"("ifInState":"1","destroy":[])"), "error");
  EXPECT_EQ(r.at("type"), "stateMismatch");
  r = One(alice_, "Mailbox/set", Args(alice_, R"("create":[])"), "error");
  EXPECT_EQ(r.at("type"), "invalidArguments");
}

TEST_F(MailboxTest, UpdateRenamesMovesAndSubscribesThroughTheStore) {
  Create(R"({"w":{"name":"Work"},"o":{"name":"Old"}})");
  std::string work = Id("Work"), old = Id("Old");
  auto r = One(alice_, "Mailbox/set",
               Args(alice_, R"("update":{")" + old + R"(":{"name":"2026","parentId":")" + work +
                                R"(","isSubscribed":false,"sortOrder":4,"role":"archive"}})"));
  EXPECT_EQ(r.at("notUpdated").at(old).at("properties"), json::array{"role"});  // Archive has it
  r = One(alice_, "Mailbox/set",
          Args(alice_, R"("update":{")" + old + R"(":{"name":"2026","parentId":")" + work +
                           R"(","isSubscribed":false,"sortOrder":4}})"));
  ASSERT_TRUE(r.at("updated").as_object().contains(old)) << r;
  auto moved = store_->FindMailbox(alice_.account, "Work/2026").value();
  EXPECT_EQ(store::MailboxJmapId(moved.id), old);
  EXPECT_FALSE(moved.subscribed);
  EXPECT_EQ(moved.sort_order, 4);
  // A patch that changes nothing changes no state.
  auto state = One(alice_, "Mailbox/get", Args(alice_)).at("state");
  r = One(alice_, "Mailbox/set", Args(alice_, R"("update":{")" + old + R"(":{"sortOrder":4}})"));
  EXPECT_EQ(r.at("newState"), state);
  // Bob cannot touch it, nor name Alice's account.
  r = One(bob_, "Mailbox/set",
          Args(bob_, R"("update":{")" + old + R"(":{"name":"x"}},"destroy":[")" + work + R"("])"));
  EXPECT_EQ(r.at("notUpdated").at(old).at("type"), "notFound");
  EXPECT_EQ(r.at("notDestroyed").at(work).at("type"), "notFound");
  r = One(bob_, "Mailbox/set", Args(alice_, R"("destroy":[")" + work + R"("])"), "error");
  EXPECT_EQ(r.at("type"), "accountNotFound");
  r = One(bob_, "Mailbox/query", Args(alice_), "error");
  EXPECT_EQ(r.at("type"), "accountNotFound");
  EXPECT_TRUE(store_->FindMailbox(alice_.account, "Work").has_value());
}

// RFC 8620 5.3: a server-set property sent back with its current value is no error (a client
// that patches with what Mailbox/get gave it); a changed one is, and each is named.
TEST_F(MailboxTest, UpdateAcceptsServerSetPropertiesUnchanged) {
  Deliver(alice_, "one");
  auto got = One(alice_, "Mailbox/get", Args(alice_, "\"ids\":[\"" + Id("INBOX") + "\"]"));
  json::object inbox = got.at("list").at(0).as_object();
  inbox["isSubscribed"] = false;
  const struct {
    std::string patch;
    std::vector<std::string> refused;  // empty: updated
  } cases[] = {
      {json::serialize(inbox), {}},
      {R"({"totalThreads":1,"unreadEmails":1,"myRights/mayDelete":false})", {}},
      {R"({"id":")" + Id("INBOX") + R"(","sortOrder":1})", {}},
      {R"({"totalThreads":7})", {"totalThreads"}},
      {R"({"totalThreads":7,"unreadEmails":0,"myRights/mayDelete":true})",
       {"totalThreads", "unreadEmails", "myRights"}},
      {R"({"id":"M999","nope":1})", {"id", "nope"}},
  };
  for (const auto& c : cases) {
    auto r = One(alice_, "Mailbox/set",
                 Args(alice_, R"("update":{")" + Id("INBOX") + R"(":)" + c.patch + "}"));
    if (c.refused.empty()) {
      EXPECT_TRUE(r.at("updated").as_object().contains(Id("INBOX"))) << c.patch << r;
      continue;
    }
    const auto& e = r.at("notUpdated").at(Id("INBOX"));
    EXPECT_EQ(e.at("type"), "invalidProperties") << c.patch;
    json::array want;
    for (const auto& p : c.refused) want.emplace_back(p);
    EXPECT_EQ(e.at("properties"), want) << c.patch;
  }
}

}  // namespace
}  // namespace pushmail::jmap
