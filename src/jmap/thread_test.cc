// Thread/get and Thread/changes over a real store.
#include <boost/json.hpp>

#include "jmap/api_fixture.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class ThreadTest : public ApiFixture {};

TEST_F(ThreadTest, GetListsEmailsOldestFirstForTheOwnerOnly) {
  auto state = One(alice_, "Thread/get", Args(alice_, R"("ids":[])")).at("state");
  auto first = Deliver(alice_, "one", "Message-ID: <one@x>\r\n", 2000);
  auto reply = Deliver(alice_, "re", "Message-ID: <two@x>\r\nIn-Reply-To: <one@x>\r\n", 1000);
  auto other = Deliver(alice_, "other", "", 3000);
  ASSERT_EQ(first.thread, reply.thread);
  std::string thread = store::ThreadJmapId(first.thread);
  auto r =
      One(alice_, "Thread/get", Args(alice_, R"("ids":[")" + thread + R"(","T99999","nope"])"));
  EXPECT_EQ(r.at("list"), json::parse(R"([{"id":")" + thread + R"(","emailIds":[")" +
                                      store::EmailJmapId(reply.email) + R"(",")" +
                                      store::EmailJmapId(first.email) + R"("]}])"));
  EXPECT_EQ(r.at("notFound"), json::parse(R"(["T99999","nope"])"));
  r = One(alice_, "Thread/get", Args(alice_, R"("ids":[")" + thread + R"("],"properties":[])"));
  EXPECT_EQ(r.at("list"), json::parse(R"([{"id":")" + thread + R"("}])"));
  EXPECT_EQ(One(alice_, "Thread/get", Args(alice_), "error").at("type"), "requestTooLarge");
  // Changes: two threads made since.
  r = One(alice_, "Thread/changes", Args(alice_, "\"sinceState\":" + json::serialize(state)));
  EXPECT_EQ(r.at("created"),
            (json::array{json::string(thread), json::string(store::ThreadJmapId(other.thread))}));
  // Bob sees none of it.
  r = One(bob_, "Thread/get", Args(bob_, R"("ids":[")" + thread + R"("])"));
  EXPECT_EQ(r.at("notFound"), json::array{json::string(thread)});
  EXPECT_EQ(One(bob_, "Thread/get", Args(alice_, R"("ids":[])"), "error").at("type"),
            "accountNotFound");
  r = One(bob_, "Thread/changes", Args(bob_, R"("sinceState":"0")"));
  EXPECT_EQ(r.at("created"), json::array());
  EXPECT_EQ(One(bob_, "Thread/changes", Args(alice_, R"("sinceState":"0")"), "error").at("type"),
            "accountNotFound");
}

}  // namespace
}  // namespace pushmail::jmap
