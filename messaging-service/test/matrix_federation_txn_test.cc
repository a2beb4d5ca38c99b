#include <gtest/gtest.h>

#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/event_signing.h"
#include "messaging-service/src/domain/matrix/federation_txn.h"
#include "messaging-service/test/matrix_dag_builder.h"
#include "messaging-service/test/matrix_spec_vectors.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;
using absl::StatusCode;

std::string Body(const Json& body) { return body.dump(); }

TEST(FederationTxnTest, ParsesATransaction) {
  const Json pdu = *ParseJson(kMinimalEventSigned);
  auto txn =
      ParseTransaction(Body({{"origin", "domain"},
                             {"origin_server_ts", 5},
                             {"pdus", {pdu}},
                             {"edus", {{{"edu_type", "m.typing"}, {"content", Json::object()}}}}}),
                       "domain");
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_EQ(txn->origin, "domain");
  EXPECT_EQ(txn->origin_server_ts, 5);
  ASSERT_EQ(txn->pdus.size(), 1u);
  EXPECT_EQ(txn->pdus[0], pdu);
  EXPECT_EQ(txn->edus.size(), 1u);
}

TEST(FederationTxnTest, RefusesWhatIsNotATransaction) {
  const Json ok = {{"origin", "domain"}, {"origin_server_ts", 5}, {"pdus", Json::array()}};
  EXPECT_TRUE(ParseTransaction(Body(ok), "domain").ok());
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"not JSON", "{"},
      {"not an object", "[]"},
      {"another origin", Body({{"origin", "other"}, {"origin_server_ts", 5}, {"pdus", {}}})},
      {"no origin", Body({{"origin_server_ts", 5}, {"pdus", Json::array()}})},
      {"no ts", Body({{"origin", "domain"}, {"pdus", Json::array()}})},
      {"no pdus", Body({{"origin", "domain"}, {"origin_server_ts", 5}})},
      {"pdus not a list", Body({{"origin", "domain"}, {"origin_server_ts", 5}, {"pdus", 1}})},
      {"pdu not an object",
       Body({{"origin", "domain"}, {"origin_server_ts", 5}, {"pdus", Json::array({1})}})},
      {"51 pdus", Body({{"origin", "domain"},
                        {"origin_server_ts", 5},
                        {"pdus", std::vector<Json>(51, Json::object())}})},
      {"101 edus", Body({{"origin", "domain"},
                         {"origin_server_ts", 5},
                         {"pdus", Json::array()},
                         {"edus", std::vector<Json>(101, Json::object())}})},
  };
  for (const auto& [what, body] : bad) {
    EXPECT_EQ(ParseTransaction(body, "domain").status().code(), StatusCode::kInvalidArgument)
        << what;
  }
}

TEST(FederationTxnTest, AnswersEachPduByItsEventId) {
  const Json pdu = *ParseJson(kMinimalEventSigned);
  EXPECT_EQ(AnswerIdOf(pdu), *ComputeEventId(pdu));
  EXPECT_EQ(AnswerIdOf(Json::array()), "");
  const Json answer = TransactionAnswer(
      {{"$a", absl::OkStatus()}, {"$b", absl::PermissionDeniedError("not allowed")}});
  EXPECT_EQ(answer, Json::parse(R"({"pdus": {"$a": {}, "$b": {"error": "not allowed"}}})"));
  EXPECT_EQ(TransactionAnswer({}), Json::parse(R"({"pdus": {}})"));
}

// Only a server with a joined user reads a room, unless it is world_readable.
TEST(FederationTxnTest, ServerMayReadARoomWhereOneOfItsUsersIsJoined) {
  test_dag::DagBuilder dag;
  dag.AddInitialEvents();
  dag.AddMember("REMOTE", "@eve:remote.test", "@eve:remote.test", "join", {"START"});
  dag.AddMember("LEFT", "@eve:remote.test", "@eve:remote.test", "leave", {"REMOTE"});
  dag.Add("WR", test_dag::kAlice, kHistoryVisibilityType, "",
          {{"history_visibility", "world_readable"}}, {"LEFT"});
  auto state_of = [&](const std::string& name) {
    return *LoadState(dag.StateAfter(name), dag.source());
  };
  EXPECT_TRUE(ServerMayReadRoom(state_of("START"), "example.com"));
  EXPECT_FALSE(ServerMayReadRoom(state_of("START"), "remote.test"));
  EXPECT_TRUE(ServerMayReadRoom(state_of("REMOTE"), "remote.test"));
  EXPECT_FALSE(ServerMayReadRoom(state_of("LEFT"), "remote.test"));
  EXPECT_TRUE(ServerMayReadRoom(state_of("WR"), "remote.test"));
}

}  // namespace
}  // namespace messenger::matrix
