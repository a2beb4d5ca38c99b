// The fixture of tests that call FederationRooms as the fake server
// hs1.test: its key served, its requests signed, this server "localhost"
// over a real PostgreSQL with a local user bob.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "messaging-service/src/domain/matrix/request_auth.h"
#include "messaging-service/src/domain/matrix/server_keys.h"
#include "messaging-service/src/federation/federation_client.h"
#include "messaging-service/src/federation/federation_room_store.h"
#include "messaging-service/src/federation/federation_rooms.h"
#include "messaging-service/src/federation/local_keys.h"
#include "messaging-service/src/federation/remote_keys.h"
#include "messaging-service/test/messaging_pg_fixture.h"

namespace messenger::federation::testing_signed {

// hs1.test publishes its key; nothing else is asked of it here.
class FakeHs1 final : public HttpFetcher {
 public:
  FakeHs1() : HttpFetcher(Options{.tls = false}) {}
  absl::StatusOr<HttpReply> Fetch(const Endpoint&, const std::string&, const std::string& target,
                                  const std::map<std::string, std::string>&,
                                  const std::string&) override {
    if (target != "/_matrix/key/v2/server") return HttpReply{404, "{}"};
    auto doc = matrix::BuildServerKeys("hs1.test", {key}, {}, absl::Now() + absl::Hours(1));
    return HttpReply{200, doc->dump()};
  }
  matrix::Ed25519Key key = *matrix::Ed25519Key::FromSeed(std::string(32, 'a'), "a1");
};

class SignedFederationFixture
    : public messaging::testing_users::MessagingPgFixture<messaging::testing_users::FakeFriends> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenStore(8));
    bob_ = LocalUser("bob");
    fed_store_ = std::make_unique<PgFederationStore>(*pool_);
    auto local = LocalKeys::Create("localhost", our_key_, *store_, *fed_store_,
                                   SystemClock::Instance(), absl::Hours(24));
    ASSERT_TRUE(local.ok()) << local.status();
    local_ = std::make_unique<LocalKeys>(std::move(*local));
    resolver_ = std::make_unique<ServerResolver>(
        std::map<std::string, std::string>{{"hs1.test", "127.0.0.1:8448"}}, hs1_,
        SystemClock::Instance(), 16);
    client_ = std::make_unique<FederationClient>(*resolver_, hs1_, "localhost", our_key_);
    keys_ =
        std::make_unique<RemoteKeys>(*fed_store_, *client_, *local_, SystemClock::Instance(), 16);
    auth_ = std::make_unique<RequestAuthenticator>(*keys_, "localhost", std::set<std::string>{});
    room_store_ = std::make_unique<PgFederationRoomStore>(*pool_);
    rooms_ =
        std::make_unique<FederationRooms>(*auth_, *keys_, *fed_store_, *room_store_, *store_,
                                          manager_->writer(), "localhost", SystemClock::Instance());
  }

  // A request of hs1.test, signed.
  absl::StatusOr<InboundRequest> Signed(const std::string& uri, const nlohmann::json& body) {
    ASSIGN_OR_RETURN(std::string header,
                     matrix::SignRequest({"PUT", uri, "hs1.test", "localhost", body}, hs1_.key));
    return InboundRequest{"PUT", uri, {header}, body.dump()};
  }

  matrix::Ed25519Key our_key_ = *matrix::Ed25519Key::FromSeed(std::string(32, 'l'), "l1");
  FakeHs1 hs1_;
  std::unique_ptr<PgFederationStore> fed_store_;
  std::unique_ptr<LocalKeys> local_;
  std::unique_ptr<ServerResolver> resolver_;
  std::unique_ptr<FederationClient> client_;
  std::unique_ptr<RemoteKeys> keys_;
  std::unique_ptr<RequestAuthenticator> auth_;
  std::unique_ptr<PgFederationRoomStore> room_store_;
  std::unique_ptr<FederationRooms> rooms_;
  std::string bob_;
};

}  // namespace messenger::federation::testing_signed
