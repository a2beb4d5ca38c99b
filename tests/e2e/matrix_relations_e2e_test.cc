// Matrix edits, reactions, replies, member changes and typing are the same
// facts as /v1's, both ways (tests/matrix/relations_cross_test.py over HTTP),
// and a Matrix edit or join publishes what /v1's does, once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/e2e/event_checks.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

TEST(MatrixRelationsTest, EditsReactionsRepliesMembersAndTypingCrossBothApis) {
  const absl::Time start = absl::Now() - absl::Seconds(1);
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"},
                                            {"MESSENGER_SEND_RATE_PER_S", "100000"},
                                            {"MESSENGER_SEND_BURST", "100000"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string log = absl::StrCat((*messenger)->log_path(), ".relations_cross.log");
  const std::string notes_path = absl::StrCat((*messenger)->log_path(), ".relations_notes.json");
  const std::string command = absl::StrCat(
      "timeout 300 /usr/bin/python3 '", MESSENGER_SOURCE_DIR,
      "/tests/matrix/relations_cross_test.py' --base http://127.0.0.1:", (*messenger)->http_port(),
      " --notes '", notes_path, "' > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  // The bus checks below run either way: each failed part shows.
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0)
      << "relations_cross_test.py failed; its output:" << Dump(log)
      << "\nmessenger log:" << Dump((*messenger)->log_path());
  std::ifstream in(notes_path);
  const nlohmann::json notes = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(notes.is_object()) << notes_path;

  // The whole stream once the outbox drained; only the types below are
  // counted here (the others are the scenario's accounts, friendships...).
  EventAudit audit =
      AuditEvents(**messenger, {{"message.edited", 2}, {"conversation.member_added", 2}},
                  {.not_before = start});
  for (const std::string& problem : audit.problems) {
    EXPECT_TRUE(problem.starts_with("events {")) << problem;  // counts of other types
  }
  int matrix_edits = 0;
  for (const bus::Event& e : audit.by_type["message.edited"]) {
    if (e.Data()["message_id"] == notes["matrix_edited"]) {
      ++matrix_edits;
      EXPECT_EQ(e.Data()["sender_id"], notes["bob"]);
    }
  }
  EXPECT_EQ(matrix_edits, 1) << "message.edited once for the Matrix edit (retried once)";
  int bob_added = 0;
  for (const bus::Event& e : audit.by_type["conversation.member_added"]) {
    if (e.Data()["user_id"] != notes["bob"]) continue;
    ++bob_added;
    EXPECT_EQ(e.Data()["added_by"], notes["alice"]) << "the inviter added the Matrix joiner";
  }
  EXPECT_EQ(bob_added, 1);
}

// Runs tests/matrix/`script` against a fresh messenger; fails the test with
// its output and the messenger's log unless it exits 0.
void ExpectMatrixScriptPasses(const std::string& script) {
  auto messenger = MessengerProcess::Start({{"MESSENGER_SERVER_NAME", "localhost"},
                                            {"MESSENGER_SEND_RATE_PER_S", "100000"},
                                            {"MESSENGER_SEND_BURST", "100000"}});
  ASSERT_TRUE(messenger.ok()) << messenger.status();
  const std::string log = absl::StrCat((*messenger)->log_path(), ".", script, ".log");
  const std::string command =
      absl::StrCat("timeout 300 /usr/bin/python3 '", MESSENGER_SOURCE_DIR, "/tests/matrix/", script,
                   "' --base http://127.0.0.1:", (*messenger)->http_port(), " > '", log, "' 2>&1");
  const int status = std::system(command.c_str());
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0)
      << script << " failed; its output:" << Dump(log)
      << "\nmessenger log:" << Dump((*messenger)->log_path());
}

// GET /_matrix/client/v1/rooms/{roomId}/relations/... (relations_read_test.py):
// edits and reactions paginated both ways, filtered, visible as history is,
// and the spec's errors for bad input.
TEST(MatrixRelationsTest, RelationsEndpointPagesEditsAndReactions) {
  ExpectMatrixScriptPasses("relations_read_test.py");
}

// Bundled m.replace aggregations (tests/matrix/bundled_edits_test.py): the
// latest edit rides along on /messages, /event, /context and sync
// timelines; a redacted edit and another user's edit do not.
TEST(MatrixRelationsTest, EditsAreBundledWhereverTheEventIsServed) {
  ExpectMatrixScriptPasses("bundled_edits_test.py");
}

}  // namespace
}  // namespace messenger::e2e
