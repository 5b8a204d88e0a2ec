// JMAP Email over a real store: argument parsing (filters, sorts, header properties, dates),
// Email/set, /get, /query, /queryChanges, /import and the blob functions, with a second account
// that must see nothing of the first's.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <ctime>

#include "jmap/api.h"
#include "jmap/api_fixture.h"
#include "jmap/blobs.h"
#include "jmap/email_filter.h"
#include "jmap/email_render.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "testing/temp_dir.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

std::optional<MethodError> Parse(const std::string& args, ParsedEmailQuery& out) {
  return ParseEmailQuery(json::parse(args).as_object(), out);
}

TEST(EmailFilter, ReadsConditionsOperatorsAndSorts) {
  ParsedEmailQuery q;
  ASSERT_FALSE(Parse(R"({"filter":{"operator":"OR","conditions":[
      {"inMailbox":"M3","hasKeyword":"$Seen"},{"text":"hi"},{"header":["X-A","b"]}]},
      "sort":[{"property":"subject","isAscending":false}],"collapseThreads":true})",
                     q));
  using Op = store::EmailFilter::Op;
  const auto& f = q.query.filter;
  ASSERT_EQ(f.op, Op::kOr);
  ASSERT_EQ(f.children.size(), 3u);
  EXPECT_EQ(f.children[0].op, Op::kAnd);  // a condition with two properties
  EXPECT_EQ(f.children[0].children[0].op, Op::kInMailbox);
  EXPECT_EQ(f.children[0].children[0].number, 3);
  EXPECT_EQ(f.children[1].children[0].columns, ~0u);
  EXPECT_EQ(f.children[2].children[0].value, "b");
  EXPECT_EQ(q.search_texts, std::vector<std::string>{"hi"});
  EXPECT_FALSE(q.thread_dependent);
  EXPECT_TRUE(q.query.collapse_threads);
  ASSERT_EQ(q.query.sort.size(), 1u);
  EXPECT_FALSE(q.query.sort[0].ascending);
  ParsedEmailQuery t;
  ASSERT_FALSE(Parse(R"({"filter":{"someInThreadHaveKeyword":"$flagged"}})", t));
  EXPECT_TRUE(t.thread_dependent);
  ParsedEmailQuery m;
  ASSERT_FALSE(Parse(R"({"filter":{"inMailbox":"not-ours"}})", m));
  EXPECT_EQ(m.query.filter.children[0].op, Op::kFalse);
}

TEST(EmailFilter, Errors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"filter":{"nope":1}})", "unsupportedFilter"},
      {R"({"filter":{"operator":"XOR","conditions":[]}})", "unsupportedFilter"},
      {R"({"filter":{"operator":"AND"}})", "invalidArguments"},
      {R"({"filter":{"hasKeyword":"bad(word"}})", "invalidArguments"},
      {R"({"filter":{"before":"2024-13-01T00:00:00Z"}})", "invalidArguments"},
      {R"({"filter":{"minSize":-1}})", "invalidArguments"},
      {R"({"filter":{"header":[]}})", "invalidArguments"},
      {R"({"filter":[]})", "invalidArguments"},
      {R"({"sort":[{"property":"nope"}]})", "unsupportedSort"},
      {R"({"sort":[{"property":"size","collation":"i;klingon"}]})", "unsupportedSort"},
      {R"({"sort":[{"property":"hasKeyword"}]})", "invalidArguments"},
      {R"({"collapseThreads":1})", "invalidArguments"},
  };
  for (const auto& [args, type] : cases) {
    ParsedEmailQuery q;
    auto e = Parse(args, q);
    ASSERT_TRUE(e) << args;
    EXPECT_EQ(e->type, type) << args;
  }
  std::string deep = R"({"text":"x"})";
  for (int i = 0; i <= kMaxFilterDepth; ++i) {
    deep.insert(0, R"({"operator":"NOT","conditions":[)").append("]}");
  }
  ParsedEmailQuery q;
  EXPECT_EQ(Parse(R"({"filter":)" + deep + "}", q)->type, "unsupportedFilter");
}

TEST(EmailIds, DatesAndHeaderProperties) {
  EXPECT_EQ(ParseUtcDate("2014-10-30T06:12:00Z"), 1414649520);
  EXPECT_EQ(ParseUtcDate("2014-10-30T14:12:00.123+08:00"), 1414649520);
  EXPECT_FALSE(ParseUtcDate("2014-10-30 06:12:00Z"));
  EXPECT_FALSE(ParseUtcDate("2014-10-30T06:12:00"));
  auto h = ParseHeaderProperty("header:List-Post:asURLs:all");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->name, "List-Post");
  EXPECT_EQ(h->form, HeaderProperty::Form::kUrls);
  EXPECT_TRUE(h->all);
  EXPECT_TRUE(ParseHeaderProperty("header:X-Anything:asDate"));  // any form for unknown ones
  EXPECT_FALSE(ParseHeaderProperty("header:Subject:asDate"));
  EXPECT_FALSE(ParseHeaderProperty("header:Received:asText"));
  EXPECT_FALSE(ParseHeaderProperty("header:X:all:asRaw"));
  EXPECT_FALSE(ParseHeaderProperty("header:"));
  EXPECT_FALSE(ParseHeaderProperty("header:X:asRaw:all:more"));
}

class EmailApiTest : public ApiFixture {
 protected:
  // One call's response arguments.
  json::object Call(const Principal& who, const std::string& name, const std::string& args) {
    return ApiFixture::Call(who, "[[\"" + name + "\"," + args + ",\"0\"]]").at(0).at(1).as_object();
  }
};

TEST_F(EmailApiTest, CreateGetUpdateQueryAndDestroy) {
  std::string a = Account(alice_);
  auto set = Call(alice_, "Email/set",
                  R"({"accountId":")" + a + R"(","create":{"c":{
      "mailboxIds":{")" +
                      MailboxId(alice_, "Drafts") + R"(":true},"keywords":{"$draft":true},
      "from":[{"name":"Alice","email":"alice@example.test"}],"subject":"Plan",
      "bodyStructure":{"type":"multipart/mixed","subParts":[
        {"partId":"1","type":"text/plain"},
        {"partId":"2","type":"text/plain","disposition":"attachment","name":"notes.txt"}]},
      "bodyValues":{"1":{"value":"Body text"},"2":{"value":"Notes"}}}}})");
  ASSERT_TRUE(set.at("created").is_object()) << json::serialize(set);
  std::string id(set.at("created").at("c").at("id").as_string());
  auto get = Call(alice_, "Email/get",
                  R"({"accountId":")" + a + R"(","ids":[")" + id +
                      R"("],"properties":["subject","bodyStructure",)"
                      R"("attachments","textBody","keywords"]})");
  const auto& e = get.at("list").at(0).as_object();
  EXPECT_EQ(e.at("subject"), "Plan");
  EXPECT_EQ(e.at("bodyStructure").at("subParts").as_array().size(), 2u);
  EXPECT_EQ(e.at("attachments").at(0).at("name"), "notes.txt");
  EXPECT_EQ(e.at("textBody").as_array().size(), 1u);
  std::string state(get.at("state").as_string());
  // An update that removes $draft and files it; the query sees it in Sent only.
  auto upd = Call(alice_, "Email/set",
                  R"({"accountId":")" + a + R"(","update":{")" + id +
                      R"(":{"keywords/$draft":null,"mailboxIds":{")" + MailboxId(alice_, "Sent") +
                      R"(":true}}}})");
  EXPECT_TRUE(upd.at("updated").as_object().contains(id)) << json::serialize(upd);
  auto q = Call(alice_, "Email/query",
                R"({"accountId":")" + a + R"(","filter":{"inMailbox":")" +
                    MailboxId(alice_, "Sent") + R"("},"calculateTotal":true})");
  EXPECT_EQ(q.at("ids"), json::array{json::string(id)});
  EXPECT_EQ(q.at("total"), 1);
  auto qc = Call(alice_, "Email/queryChanges",
                 R"({"accountId":")" + a + R"(","filter":{"inMailbox":")" +
                     MailboxId(alice_, "Sent") + R"("},"sinceQueryState":")" + state + R"("})");
  EXPECT_EQ(qc.at("added").at(0).at("id"), json::string(id));
  EXPECT_EQ(qc.at("added").at(0).at("index"), 0);
  // Bob: nothing of it, whatever he asks.
  std::string b = Account(bob_);
  auto bob_set = Call(bob_, "Email/set",
                      R"({"accountId":")" + b + R"(","update":{")" + id +
                          R"(":{"keywords/$seen":true}},"destroy":[")" + id + R"("]})");
  EXPECT_EQ(bob_set.at("notUpdated").at(id).at("type"), "notFound");
  EXPECT_EQ(bob_set.at("notDestroyed").at(id).at("type"), "notFound");
  auto bob_query = Call(bob_, "Email/query", R"({"accountId":")" + b + R"("})");
  EXPECT_TRUE(bob_query.at("ids").as_array().empty());
  auto destroy =
      Call(alice_, "Email/set", R"({"accountId":")" + a + R"(","destroy":[")" + id + R"("]})");
  EXPECT_EQ(destroy.at("destroyed"), json::array{json::string(id)});
}

TEST_F(EmailApiTest, BlobsBelongToTheirAccount) {
  auto up = Upload(*store_, alice_, Account(alice_), "message/rfc822",
                   "Subject: hi\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                   "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                   "aGVsbG8=\r\n--b--\r\n");
  ASSERT_EQ(up.status, 201) << up.body;
  std::string blob(json::parse(up.body).at("blobId").as_string());
  EXPECT_EQ(Download(*store_, alice_, Account(alice_), PartBlobId(blob, "1")).body, "hello");
  EXPECT_EQ(Download(*store_, alice_, Account(alice_), PartBlobId(blob, "9")).status, 404);
  EXPECT_EQ(Download(*store_, bob_, Account(bob_), blob).status, 404);
  EXPECT_EQ(Download(*store_, bob_, Account(alice_), blob).status, 404);
  EXPECT_EQ(Upload(*store_, bob_, Account(alice_), "", "x").status, 404);
  auto imported =
      Call(alice_, "Email/import",
           R"({"accountId":")" + Account(alice_) + R"(","emails":{"i":{"blobId":")" + blob +
               R"(","mailboxIds":{")" + MailboxId(alice_, "INBOX") + R"(":true}}}})");
  EXPECT_EQ(imported.at("created").at("i").at("blobId"), json::string(blob));
  auto theirs = Call(bob_, "Email/import",
                     R"({"accountId":")" + Account(bob_) + R"(","emails":{"i":{"blobId":")" + blob +
                         R"(","mailboxIds":{")" + MailboxId(bob_, "INBOX") + R"(":true}}}})");
  EXPECT_EQ(theirs.at("notCreated").at("i").at("type"), "blobNotFound");
}

// A bridged account's upstream that takes appends (mirroring them at once) and refuses every
// other write: the store then fails an Email/set's updates and destroys after its creates have
// committed.
class RefusingUpstream : public store::UpstreamWrites {
 public:
  RefusingUpstream(store::Store& store, store::AccountId account)
      : store_(store), account_(account) {}
  bool Intercepts(store::AccountId account) override { return account == account_ && !mirroring_; }
  ErrorCode AppendMessage(store::AccountId, store::MailboxId mailbox,
                          const store::Incoming& message, store::Delivered& out) override {
    store::Incoming copy = message;
    copy.mailbox = mailbox;
    copy.more_mailboxes.clear();
    mirroring_ = true;
    auto delivered = store_.DeliverAll({std::move(copy)});
    mirroring_ = false;
    if (!delivered) return delivered.error();
    out = delivered->at(0);
    return {};
  }
  ErrorCode StoreKeywords(store::AccountId, store::MailboxId, const std::vector<store::Uid>&,
                          store::KeywordOp, const store::Keywords&) override {
    return MakeError(Errc::kIo);
  }
  ErrorCode RemoveMessages(store::AccountId, store::MailboxId,
                           const std::vector<store::Uid>&) override {
    return MakeError(Errc::kIo);
  }
  ErrorCode CopyMessages(store::AccountId, store::MailboxId, const std::vector<store::Uid>&,
                         store::MailboxId, bool, store::CopyResult&) override {
    return MakeError(Errc::kIo);
  }
  ErrorCode CreateMailbox(store::AccountId, std::string_view) override {
    return MakeError(Errc::kIo);
  }
  ErrorCode RenameMailbox(store::AccountId, store::MailboxId, std::string_view) override {
    return MakeError(Errc::kIo);
  }
  ErrorCode DeleteMailbox(store::AccountId, store::MailboxId) override {
    return MakeError(Errc::kIo);
  }

 private:
  store::Store& store_;
  store::AccountId account_;
  std::atomic<bool> mirroring_{false};
};

// RFC 8620 5.3: the answer reports what was committed. The create commits first; the update and
// destroy that fail after it fail for their own objects only.
TEST_F(EmailApiTest, SetReportsItsCreatesWhenALaterWriteFails) {
  std::string old = store::EmailJmapId(Deliver(alice_, "old").email);
  RefusingUpstream upstream(*store_, alice_.account);
  store_->SetUpstreamWrites(&upstream);
  uint64_t errors = ServerErrorCount();
  auto set = Call(alice_, "Email/set",
                  Args(alice_, R"("create":{"c":{"mailboxIds":{")" + MailboxId(alice_, "Drafts") +
                                   R"(":true},"subject":"kept"}},"update":{")" + old +
                                   R"(":{"keywords/$seen":true}},"destroy":[")" + old + R"("])"));
  store_->SetUpstreamWrites(nullptr);
  ASSERT_TRUE(set.at("created").is_object()) << json::serialize(set);
  std::string id(set.at("created").at("c").at("id").as_string());
  EXPECT_TRUE(store_->GetEmail(*store::ParseJmapId(id, 'E')).has_value());
  EXPECT_EQ(set.at("notUpdated").at(old).at("type"), "serverFail");
  EXPECT_EQ(set.at("notDestroyed").at(old).at("type"), "serverFail");
  EXPECT_NE(set.at("newState"), set.at("oldState"));
  EXPECT_EQ(ServerErrorCount(), errors + 2);
}

// RFC 8620 5.3: an update or destroy of the same call may name a creation by "#id".
TEST_F(EmailApiTest, SetUpdatesAndDestroysItsOwnCreations) {
  std::string box = R"("mailboxIds":{")" + MailboxId(alice_, "Drafts") + R"(":true})";
  auto set = Call(alice_, "Email/set",
                  Args(alice_, R"("create":{"a":{)" + box + R"(},"b":{)" + box +
                                   R"(}},"update":{"#a":{"keywords/$seen":true}},)"
                                   R"("destroy":["#b"])"));
  std::string a(set.at("created").at("a").at("id").as_string());
  std::string b(set.at("created").at("b").at("id").as_string());
  EXPECT_TRUE(set.at("updated").as_object().contains(a)) << json::serialize(set);
  EXPECT_EQ(set.at("destroyed"), json::array{json::string(b)});
}

// RFC 8621 4.6: what a create may not give, each invalid property named, not only the first.
TEST_F(EmailApiTest, CreateNamesEveryInvalidProperty) {
  std::string box = R"("mailboxIds":{")" + MailboxId(alice_, "Drafts") + R"(":true})";
  const std::pair<std::string, std::vector<std::string>> cases[] = {
      {box + R"(,"headers":[{"name":"X-A","value":" b"}])", {"headers"}},
      {box + R"(,"bodyStructure":{"partId":"1","headers":[],"header:X-A":" b"},)"
             R"("bodyValues":{"1":{"value":"hi"}})",
       {"bodyStructure/headers"}},
      {box + R"(,"textBody":[{"partId":"1","type":"text/plain","size":2}],)"
             R"("bodyValues":{"1":{"value":"hi"}})",
       {"textBody/0/size"}},
      {box + R"(,"from":[{"email":"a@example.test"}],)"
             R"("header:From:asAddresses":[{"email":"b@example.test"}])",
       {"header:From:asAddresses"}},
      {R"("id":"E1","size":3,"mailboxIds":{"M999":true},"receivedAt":"yesterday",)"
       R"("header:From:asDate":"2020-01-01T00:00:00Z","header:Content-Type":" text/plain",)"
       R"("bodyStructure":{"type":"multipart/mixed","subParts":[{"partId":"1","charset":"x"},)"
       R"({"blobId":"nope","partId":"2"}]},"bodyValues":{"1":{"value":"a"}},"nope":1)",
       {"id", "size", "nope", "mailboxIds", "receivedAt", "header:From:asDate",
        "header:Content-Type", "bodyStructure/subParts/0/charset",
        "bodyStructure/subParts/1/partId", "bodyStructure/subParts/1/blobId"}},
  };
  for (const auto& [create, properties] : cases) {
    auto set = Call(alice_, "Email/set", Args(alice_, R"("create":{"c":{)" + create + "}}"));
    const auto& e = set.at("notCreated").at("c");
    EXPECT_EQ(e.at("type"), "invalidProperties") << create;
    json::array want;
    for (const auto& p : properties) want.emplace_back(p);
    EXPECT_EQ(e.at("properties"), want) << create << "\n" << json::serialize(e);
  }
}

}  // namespace
}  // namespace pushmail::jmap
