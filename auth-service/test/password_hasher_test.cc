#include "auth-service/src/domain/password_hasher.h"

#include <gtest/gtest.h>

namespace messenger::auth {
namespace {

// The smallest cost libsodium allows: the tests check behaviour, not strength.
const Argon2Cost kTestCost{.opslimit = 1, .memlimit = 8 * 1024};

TEST(PasswordHasher, HashesAreArgon2idAndSalted) {
  Argon2Hasher hasher(kTestCost);
  auto a = hasher.Hash("correct horse");
  auto b = hasher.Hash("correct horse");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find("correct horse"), std::string::npos);
}

TEST(PasswordHasher, VerifiesOnlyTheRightPassword) {
  Argon2Hasher hasher(kTestCost);
  auto hash = hasher.Hash("correct horse");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hasher.Verify(*hash, "correct horse"));
  EXPECT_FALSE(hasher.Verify(*hash, "correct horsE"));
  EXPECT_FALSE(hasher.Verify("not a hash", "correct horse"));
}

TEST(PasswordHasher, CostIsTheConfiguredOne) {
  Argon2Hasher hasher({.opslimit = 3, .memlimit = 16 * 1024});
  auto hash = hasher.Hash("x");
  ASSERT_TRUE(hash.ok());
  EXPECT_NE(hash->find("m=16,t=3"), std::string::npos) << *hash;
}

}  // namespace
}  // namespace messenger::auth
