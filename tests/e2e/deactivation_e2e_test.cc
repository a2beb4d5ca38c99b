// Account deactivation across every service (issue 14): alice closes her
// account through Matrix and dave through /v1 (tests/matrix/deactivation_test.py
// over HTTP, answers validated against the spec); then the bus holds
// user.deactivated, session.revoked (reason deactivated) and
// friendship.removed once each, with every field.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

std::vector<bus::Event> Of(const std::vector<bus::Event>& events, const std::string& field,
                           const std::string& value) {
  std::vector<bus::Event> out;
  for (const bus::Event& e : events) {
    if (e.Data()[field] == value) out.push_back(e);
  }
  return out;
}

TEST(DeactivationTest, MatrixAndV1DeactivationReachEveryService) {
  const absl::Time start = absl::Now() - absl::Seconds(1);
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string log = absl::StrCat((*messenger)->log_path(), ".deactivation.log");
  const std::string notes_path = absl::StrCat((*messenger)->log_path(), ".deactivation.json");
  const std::string command = absl::StrCat(
      "timeout 300 /usr/bin/python3 '", MESSENGER_SOURCE_DIR,
      "/tests/matrix/deactivation_test.py' --base http://127.0.0.1:", (*messenger)->http_port(),
      " --notes '", notes_path, "' > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0)
      << "deactivation_test.py failed; its output:" << Dump(log)
      << "\nmessenger log:" << Dump((*messenger)->log_path());
  std::ifstream in(notes_path);
  const nlohmann::json notes = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(notes.is_object()) << notes_path;
  const std::string alice = notes["alice"], dave = notes["dave"], bob = notes["bob"];

  // Only the types below are counted (the others are the scenario's
  // accounts, rooms and messages); each must be there exactly once.
  EventAudit audit = AuditEvents(**messenger,
                                 {{"user.deactivated", 2}, {"friendship.removed", 2}},
                                 {.timeout = absl::Seconds(60), .not_before = start});
  for (const std::string& problem : audit.problems) {
    EXPECT_TRUE(problem.starts_with("events {")) << problem;  // counts of other types
  }
  for (const std::string& user : {alice, dave}) {
    SCOPED_TRACE(user);
    std::vector<bus::Event> deactivated = Of(audit.by_type["user.deactivated"], "user_id", user);
    ASSERT_EQ(deactivated.size(), 1u);
    EXPECT_EQ(deactivated[0].Data()["erase"], true);  // Matrix erase: true; /v1 always
    EXPECT_TRUE(IsRfc3339Utc(deactivated[0].Data()["deactivated_at"]));
    EXPECT_EQ(deactivated[0].source, "auth");

    // Each had one session (registration, login): revoked once, as deactivated.
    std::vector<bus::Event> revoked = Of(audit.by_type["session.revoked"], "user_id", user);
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].Data()["reason"], "deactivated");
    EXPECT_FALSE(revoked[0].Data()["session_id"].get<std::string>().empty());

    std::vector<bus::Event> removed = Of(audit.by_type["friendship.removed"], "removed_by", user);
    ASSERT_EQ(removed.size(), 1u);
    const nlohmann::json data = removed[0].Data();
    const std::string low = std::min(user, bob), high = std::max(user, bob);
    EXPECT_EQ(data["user_a"], low);
    EXPECT_EQ(data["user_b"], high);
    EXPECT_TRUE(IsRfc3339Utc(data["removed_at"]));
  }
  // Her group leave is the /v1 fact as well; the direct room has none.
  std::vector<bus::Event> left =
      Of(audit.by_type["conversation.member_removed"], "user_id", alice);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].Data()["conversation_id"], notes["group"]);
  EXPECT_EQ(left[0].Data()["reason"], "left");
  // The erasures: one profile.updated each with the fields cleared.
  for (const std::string& user : {alice, dave}) {
    std::vector<bus::Event> updates = Of(audit.by_type["profile.updated"], "user_id", user);
    ASSERT_FALSE(updates.empty()) << user;
    EXPECT_EQ(updates.back().Data()["display_name"], "") << user;
  }
}

}  // namespace
}  // namespace messenger::e2e
