// VacationResponse/get and /set over a real store.
#include <boost/json.hpp>

#include "jmap/api_fixture.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class VacationResponseTest : public ApiFixture {};

TEST_F(VacationResponseTest, TheSingletonIsReadAndPatched) {
  auto r = One(alice_, "VacationResponse/get", Args(alice_));
  EXPECT_EQ(r.at("list"), json::parse(R"([{"id":"singleton","isEnabled":false,"fromDate":null,)"
                                      R"("toDate":null,"subject":null,"textBody":null,)"
                                      R"("htmlBody":null}])"));
  r = One(alice_, "VacationResponse/set",
          Args(alice_, R"("update":{"singleton":{"isEnabled":true,)"
                       R"("fromDate":"2030-01-02T03:04:05Z","toDate":"2030-02-01T00:00:00.5Z",)"
                       R"("subject":"Away","textBody":"Back in February"}})"));
  EXPECT_TRUE(r.at("updated").as_object().contains("singleton")) << r;
  EXPECT_NE(r.at("newState"), r.at("oldState"));
  r = One(alice_, "VacationResponse/get",
          Args(alice_, R"("ids":["singleton","other"],"properties":["fromDate","toDate"])"));
  EXPECT_EQ(r.at("list"), json::parse(R"([{"id":"singleton","fromDate":"2030-01-02T03:04:05Z",)"
                                      R"("toDate":"2030-02-01T00:00:00Z"}])"));
  EXPECT_EQ(r.at("notFound"), json::array{"other"});
  EXPECT_TRUE(store_->VacationActive(alice_.account, 1894000000));  // 2030-01-07
  EXPECT_FALSE(store_->VacationActive(bob_.account, 1894000000));
  // Only updates of "singleton" with good values.
  r = One(alice_, "VacationResponse/set",
          Args(alice_, R"("create":{"x":{}},"destroy":["singleton"],"update":{)"
                       R"("singleton":{"fromDate":"tomorrow"},"other":{"isEnabled":false}})"));
  EXPECT_EQ(r.at("notCreated").at("x").at("type"), "singleton");
  EXPECT_EQ(r.at("notDestroyed").at("singleton").at("type"), "singleton");
  EXPECT_EQ(r.at("notUpdated").at("singleton").at("properties"), json::array{"fromDate"});
  EXPECT_EQ(r.at("notUpdated").at("other").at("type"), "notFound");
  r = One(alice_, "VacationResponse/set",
          Args(alice_, R"("update":{"singleton":{"isEnabled":"yes"}})"));
  EXPECT_EQ(r.at("notUpdated").at("singleton").at("properties"), json::array{"isEnabled"});
  // Bob's is his own.
  r = One(bob_, "VacationResponse/get", Args(bob_));
  EXPECT_EQ(r.at("list").at(0).at("isEnabled"), false);
  EXPECT_EQ(One(bob_, "VacationResponse/set", Args(alice_), "error").at("type"), "accountNotFound");
  EXPECT_EQ(One(bob_, "VacationResponse/get", Args(alice_), "error").at("type"), "accountNotFound");
}

}  // namespace
}  // namespace pushmail::jmap
