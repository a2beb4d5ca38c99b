// Federation keys against a real PostgreSQL: the signing key from a file or
// the database, rotation into old_verify_keys, and remote key documents
// fetched once, then served from memory and the table.
#include <gtest/gtest.h>

#include <fstream>

#include "common/bus/outbox.h"
#include "common/pg/migrations.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common_bus_migrations.h"
#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/federation/federation_store.h"
#include "messaging-service/src/federation/local_keys.h"
#include "messaging-service/src/federation/remote_keys.h"
#include "messaging-service/src/storage/pg_messaging_store.h"
#include "messaging_migrations.h"

namespace messenger::federation {
namespace {

constexpr char kSeed[] = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";

// Answers key fetches with a document of `remote` signed by `key`; counts them.
class FakeServer final : public HttpFetcher {
 public:
  FakeServer(const Clock& clock) : HttpFetcher({}), clock_(clock) {}
  absl::StatusOr<HttpReply> Fetch(const Endpoint& endpoint, const std::string& method,
                                  const std::string& target,
                                  const std::map<std::string, std::string>&,
                                  const std::string&) override {
    ++fetches;
    if (down) return absl::UnavailableError("down");
    EXPECT_EQ(target, "/_matrix/key/v2/server");
    auto doc = matrix::BuildServerKeys(endpoint.host_header, {key}, {}, clock_.Now() + validity);
    return HttpReply{200, doc->dump()};
  }
  matrix::Ed25519Key key = *matrix::Ed25519Key::FromSeed(std::string(32, 'r'), "r1");
  absl::Duration validity = absl::Hours(1);
  int fetches = 0;
  bool down = false;

 private:
  const Clock& clock_;
};

class FederationKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status opened = testing::OpenTestDatabase(
        "messaging", 4, {&pg::OutboxMigrations(), &pg::MessagingMigrations()}, &db_, &pool_);
    ASSERT_TRUE(opened.ok()) << opened;
    messaging_ = std::make_unique<messaging::PgMessagingStore>(*pool_, outbox_);
    store_ = std::make_unique<PgFederationStore>(*pool_);
  }

  absl::StatusOr<LocalKeys> Start(const std::string& key_file) {
    ASSIGN_OR_RETURN(matrix::Ed25519Key key, LoadSigningKey(*messaging_, key_file, rng_));
    return LocalKeys::Create("hs.test", std::move(key), *messaging_, *store_, clock_,
                             absl::Hours(24));
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::Pool> pool_;
  bus::Outbox outbox_;
  std::unique_ptr<messaging::PgMessagingStore> messaging_;
  std::unique_ptr<PgFederationStore> store_;
  FakeClock clock_;
  SecureRng rng_;
  testing::TempDir dir_{"federation-keys"};
};

TEST_F(FederationKeysTest, GeneratedKeyIsKeptThenRetiredByAKeyFile) {
  auto first = Start("");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string generated = first->signing_key().key_id();
  auto again = Start("");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->signing_key().key_id(), generated);  // stored, not generated twice
  auto doc = again->Document();
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE((*doc)["old_verify_keys"].empty());
  EXPECT_EQ((*doc)["valid_until_ts"], absl::ToUnixMillis(clock_.Now() + absl::Hours(24)));

  clock_.Advance(absl::Hours(2));
  const std::string file = dir_.path() + "/signing.key";
  std::ofstream(file) << "ed25519 a_file " << kSeed << "\n";
  auto rotated = Start(file);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(rotated->signing_key().key_id(), "ed25519:a_file");
  doc = rotated->Document();
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE((*doc)["verify_keys"].contains("ed25519:a_file"));
  ASSERT_TRUE((*doc)["old_verify_keys"].contains(generated)) << doc->dump();
  EXPECT_EQ((*doc)["old_verify_keys"][generated]["key"], first->signing_key().public_key_base64());
  EXPECT_EQ((*doc)["old_verify_keys"][generated]["expired_ts"], absl::ToUnixMillis(clock_.Now()));
  EXPECT_TRUE(matrix::CheckServerKeys(*doc, "hs.test").ok());

  // Another file key later: both earlier keys are old, each with its own time.
  clock_.Advance(absl::Hours(1));
  std::ofstream(file) << "ed25519 b_file " << kSeed << "\n";
  auto second = Start(file);
  ASSERT_TRUE(second.ok());
  doc = second->Document();
  EXPECT_EQ((*doc)["old_verify_keys"].size(), 2u);
  EXPECT_EQ((*doc)["old_verify_keys"][generated]["expired_ts"],
            absl::ToUnixMillis(clock_.Now() - absl::Hours(1)));
  EXPECT_EQ((*doc)["old_verify_keys"]["ed25519:a_file"]["expired_ts"],
            absl::ToUnixMillis(clock_.Now()));
  EXPECT_FALSE(Start(dir_.path() + "/missing.key").ok());
}

TEST_F(FederationKeysTest, RemoteKeysAreFetchedOnceAndKeptUntilTheyExpire) {
  auto local = Start("");
  ASSERT_TRUE(local.ok());
  FakeServer server(clock_);
  ServerResolver resolver({}, server, clock_, 10);
  FederationClient client(resolver, server, "hs.test", local->signing_key());
  auto remote = std::make_unique<RemoteKeys>(*store_, client, *local, clock_, 10);

  auto key = remote->VerifyKey("remote.test:8448", "ed25519:r1");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, server.key.public_key());
  EXPECT_EQ(server.fetches, 1);
  ASSERT_TRUE(remote->Get("remote.test:8448", clock_.Now() + absl::Minutes(30)).ok());
  EXPECT_EQ(server.fetches, 1);  // from memory

  // A new process: from the table, still no fetch.
  remote = std::make_unique<RemoteKeys>(*store_, client, *local, clock_, 10);
  server.down = true;
  EXPECT_TRUE(remote->VerifyKey("remote.test:8448", "ed25519:r1").ok());
  EXPECT_EQ(server.fetches, 1);
  // Unknown key id: one more fetch (the server is down), then refused.
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(remote->VerifyKey("remote.test:8448", "ed25519:new").status().code(),
            absl::StatusCode::kUnavailable);
  server.down = false;
  EXPECT_EQ(remote->VerifyKey("remote.test:8448", "ed25519:new").status().code(),
            absl::StatusCode::kUnauthenticated);
  const int fetched = server.fetches;
  EXPECT_EQ(remote->VerifyKey("remote.test:8448", "ed25519:new").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(server.fetches, fetched);  // not again within 30 s

  // Past valid_until_ts the document is fetched again.
  clock_.Advance(absl::Hours(2));
  EXPECT_TRUE(remote->VerifyKey("remote.test:8448", "ed25519:r1").ok());
  EXPECT_EQ(server.fetches, fetched + 1);
  // Our own name answers our own document, no fetch.
  EXPECT_EQ(*remote->VerifyKey("hs.test", local->signing_key().key_id()),
            local->signing_key().public_key());
  EXPECT_EQ(server.fetches, fetched + 1);
}

// Event signatures are checked with the key valid at the event's time: a
// document that expired before the event does not vouch for it, and a
// timestamp in the future does not make every event fetch the keys again.
TEST_F(FederationKeysTest, EventKeysAreThoseValidAtTheEventsTime) {
  auto local = Start("");
  ASSERT_TRUE(local.ok());
  FakeServer server(clock_);
  ServerResolver resolver({}, server, clock_, 10);
  FederationClient client(resolver, server, "hs.test", local->signing_key());
  RemoteKeys remote(*store_, client, *local, clock_, 10);
  matrix::ServerKeySource& keys = remote;

  auto key = keys.PublicKeyAt("remote.test:8448", "ed25519:r1", clock_.Now() - absl::Minutes(10));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, server.key.public_key());
  EXPECT_EQ(keys.PublicKeyAt("remote.test:8448", "ed25519:r1", clock_.Now() + absl::Hours(2))
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(server.fetches, 1);
  EXPECT_EQ(keys.PublicKeyAt("remote.test:8448", "ed25519:other", clock_.Now()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

// A retried /send transaction gets the answer of its first delivery.
TEST_F(FederationKeysTest, TransactionAnswersAreKeptPerOriginAndTxnId) {
  EXPECT_EQ(*store_->TransactionAnswer("remote.test", "t1"), std::nullopt);
  EXPECT_EQ(*store_->KeepTransactionAnswer("remote.test", "t1", "first", clock_.Now()), "first");
  EXPECT_EQ(*store_->KeepTransactionAnswer("remote.test", "t1", "second", clock_.Now()), "first");
  EXPECT_EQ(*store_->TransactionAnswer("remote.test", "t1"), "first");
  // Another origin's txnId is another transaction.
  EXPECT_EQ(*store_->KeepTransactionAnswer("other.test", "t1", "other", clock_.Now()), "other");

  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*store_->KeepTransactionAnswer("remote.test", "t2", "later", clock_.Now()), "later");
  EXPECT_EQ(*store_->ForgetTransactions(clock_.Now()), 2);
  EXPECT_EQ(*store_->TransactionAnswer("remote.test", "t1"), std::nullopt);
  EXPECT_EQ(*store_->TransactionAnswer("remote.test", "t2"), "later");
}

}  // namespace
}  // namespace messenger::federation
