#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/pdu_checks.h"
#include "messaging-service/test/matrix_dag_builder.h"
#include "messaging-service/test/matrix_spec_vectors.h"

namespace messenger::matrix {
namespace {

using Json = nlohmann::json;
using absl::StatusCode;
using test_dag::DagBuilder;
using test_dag::kAlice;
using test_dag::kZara;

// Keys by (server, key id), each valid until a time.
class FakeKeys : public ServerKeySource {
 public:
  void Add(const std::string& server, const Ed25519Key& key,
           absl::Time valid_until = absl::InfiniteFuture()) {
    keys_[{server, key.key_id()}] = {key.public_key(), valid_until};
  }
  absl::StatusOr<std::string> PublicKeyAt(const std::string& server_name, const std::string& key_id,
                                          absl::Time at) override {
    ++lookups_;
    if (unavailable_) return absl::UnavailableError("keys unavailable");
    const auto it = keys_.find({server_name, key_id});
    if (it == keys_.end()) return absl::UnauthenticatedError("unknown key");
    if (it->second.second < at) return absl::UnauthenticatedError("expired key");
    return it->second.first;
  }
  bool unavailable_ = false;
  int lookups_ = 0;

 private:
  std::map<std::pair<std::string, std::string>, std::pair<std::string, absl::Time>> keys_;
};

class PduSignatureTest : public ::testing::Test {
 protected:
  PduSignatureTest() : pdu_(*ParseJson(kMinimalEventSigned)) { keys_.Add("domain", SpecKey()); }

  absl::StatusOr<CheckedPdu> Check(const Json& pdu) {
    return CheckPduFormatAndSignatures(pdu, keys_);
  }

  Json pdu_;
  FakeKeys keys_;
};

TEST_F(PduSignatureTest, SpecVectorPasses) {
  auto checked = Check(pdu_);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_FALSE(checked->redacted);
  EXPECT_EQ(checked->event.sender(), "@a:domain");
}

// Each field the signature covers, changed: the PDU is refused.
TEST_F(PduSignatureTest, EverySignedFieldMutatedIsRefused) {
  const std::vector<std::pair<const char*, std::function<void(Json&)>>> mutations = {
      {"type", [](Json& p) { p["type"] = "Y"; }},
      {"room_id", [](Json& p) { p["room_id"] = "!y:domain"; }},
      {"sender", [](Json& p) { p["sender"] = "@b:domain"; }},
      {"depth", [](Json& p) { p["depth"] = 4; }},
      {"origin_server_ts", [](Json& p) { p["origin_server_ts"] = 1000001; }},
      {"origin", [](Json& p) { p["origin"] = "elsewhere"; }},
      {"prev_events", [](Json& p) { p["prev_events"] = {"$" + std::string(43, 'A')}; }},
      {"auth_events", [](Json& p) { p["auth_events"] = {"$" + std::string(43, 'B')}; }},
      {"state_key", [](Json& p) { p["state_key"] = ""; }},
      {"hashes", [](Json& p) { p["hashes"]["sha256"] = std::string(43, 'A'); }},
      {"signature",
       [](Json& p) {
         std::string sig = p["signatures"]["domain"]["ed25519:1"];
         sig[0] = sig[0] == 'A' ? 'B' : 'A';
         p["signatures"]["domain"]["ed25519:1"] = sig;
       }},
      {"no signature", [](Json& p) { p["signatures"] = Json::object(); }},
      {"unknown key",
       [](Json& p) {
         p["signatures"]["domain"] = {{"ed25519:2", p["signatures"]["domain"]["ed25519:1"]}};
       }},
  };
  for (const auto& [field, mutate] : mutations) {
    Json pdu = pdu_;
    mutate(pdu);
    EXPECT_EQ(Check(pdu).status().code(), StatusCode::kUnauthenticated) << field;
  }
}

TEST_F(PduSignatureTest, SignedByAnotherServerOnlyIsRefused) {
  Json pdu = pdu_;
  pdu["signatures"] = {{"other", pdu_["signatures"]["domain"]}};
  keys_.Add("other", SpecKey());
  EXPECT_EQ(Check(pdu).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(PduSignatureTest, KeyExpiredBeforeTheEventIsRefused) {
  FakeKeys expired;
  expired.Add("domain", SpecKey(), absl::FromUnixMillis(999999));
  EXPECT_EQ(CheckPduFormatAndSignatures(pdu_, expired).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(PduSignatureTest, UnreachableKeysAreUnavailable) {
  keys_.unavailable_ = true;
  EXPECT_EQ(Check(pdu_).status().code(), StatusCode::kUnavailable);
}

// Content is not covered by the signature but by the hash: the event is
// kept redacted, as the spec says.
TEST_F(PduSignatureTest, ContentHashMismatchRedacts) {
  Json pdu = pdu_;
  pdu["content"] = {{"body", "tampered"}};
  auto checked = Check(pdu);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_TRUE(checked->redacted);
  EXPECT_EQ(checked->event.content(), Json::object());
  // Same reference hash, so the same event id.
  EXPECT_EQ(checked->event.event_id(), Check(pdu_)->event.event_id());
}

TEST_F(PduSignatureTest, MalformedPdusAreInvalid) {
  const std::vector<std::pair<const char*, std::function<void(Json&)>>> mutations = {
      {"depth string", [](Json& p) { p["depth"] = "3"; }},
      {"no room_id", [](Json& p) { p.erase("room_id"); }},
      {"float ts", [](Json& p) { p["origin_server_ts"] = 1.5; }},
      {"bad sender", [](Json& p) { p["sender"] = "a"; }},
      {"content array", [](Json& p) { p["content"] = Json::array(); }},
      {"too many prev_events",
       [](Json& p) {
         p["prev_events"] = std::vector<std::string>(21, "$" + std::string(43, 'A'));
       }},
      {"not an object", [](Json& p) { p = Json::array(); }},
  };
  for (const auto& [what, mutate] : mutations) {
    Json pdu = pdu_;
    mutate(pdu);
    EXPECT_EQ(Check(pdu).status().code(), StatusCode::kInvalidArgument) << what;
  }
  EXPECT_EQ(keys_.lookups_, 0) << "no key is fetched for a malformed PDU";
}

// Auth rules: the DAG builder's room (alice at 100; bob, charlie, zara joined).
class PduAuthTest : public ::testing::Test {
 protected:
  PduAuthTest() { dag_.AddInitialEvents(); }

  StateMap State(const std::string& after) {
    auto state = LoadState(dag_.StateAfter(after), dag_.source());
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? *state : StateMap();
  }
  PduAuthResult Authorize(const std::string& name, const std::string& before,
                          const std::string& current) {
    auto result = AuthorizePdu(dag_.EventNamed(name), dag_.source(), State(before), State(current));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(PduAuthResult{});
  }

  DagBuilder dag_;
};

TEST_F(PduAuthTest, MemberMessageIsAccepted) {
  dag_.Add("MSG", kZara, kMessageType, std::nullopt, {{"body", "hi"}}, {"START"});
  const PduAuthResult result = Authorize("MSG", "START", "START");
  EXPECT_EQ(result.outcome, PduOutcome::kAccepted) << result.reason;
}

TEST_F(PduAuthTest, NonMemberIsRejectedByItsAuthEvents) {
  dag_.Add("MSG", "@dave:example.com", kMessageType, std::nullopt, {{"body", "hi"}}, {"START"});
  EXPECT_EQ(Authorize("MSG", "START", "START").outcome, PduOutcome::kRejected);
}

// Authorized by its auth events, but the state before it has zara banned.
TEST_F(PduAuthTest, BannedInTheStateBeforeIsRejected) {
  dag_.Add("MSG", kZara, kMessageType, std::nullopt, {{"body", "hi"}}, {"START"});
  dag_.AddMember("BAN", kAlice, kZara, "ban", {"START"});
  const PduAuthResult result = Authorize("MSG", "BAN", "BAN");
  EXPECT_EQ(result.outcome, PduOutcome::kRejected);
  EXPECT_EQ(result.reason.code(), StatusCode::kPermissionDenied);
}

// Fine before it, but zara is banned in the room's current state.
TEST_F(PduAuthTest, BannedInTheCurrentStateIsSoftFailed) {
  dag_.Add("MSG", kZara, kMessageType, std::nullopt, {{"body", "hi"}}, {"START"});
  dag_.AddMember("BAN", kAlice, kZara, "ban", {"START"});
  EXPECT_EQ(Authorize("MSG", "START", "BAN").outcome, PduOutcome::kSoftFailed);
}

TEST_F(PduAuthTest, RejectedOrMissingAuthEventsAreNotUsed) {
  dag_.AddTopic("T1", kAlice, {"START"});
  dag_.Add("MSG", kZara, kMessageType, std::nullopt, {{"body", "hi"}}, {"START"});
  EventMapSource events = dag_.source();
  const Event& message = dag_.EventNamed("MSG");
  events.Add(*events.Find(message.auth_events().front()), /*rejected=*/true);
  auto state = LoadState(dag_.StateAfter("START"), dag_.source());
  ASSERT_TRUE(state.ok());
  auto rejected = AuthorizePdu(message, events, *state, *state);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->outcome, PduOutcome::kRejected);

  EventMapSource only_message;
  only_message.Add(message);
  EXPECT_EQ(AuthorizePdu(message, only_message, *state, *state).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace messenger::matrix
