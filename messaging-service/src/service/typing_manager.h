// Typing notices: who types in which conversation, in memory only (never in
// the database) and shared by every messaging replica through the core NATS
// subject kTypingSubject. A change made here is published there; one heard
// there is applied to this replica's TypingState. Either way the room's
// other members' long polls wake up (CommitAnnouncer::Woke), and an expiry
// wakes them again (a thread here sweeps them).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "messaging-service/src/domain/typing_state.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/writer/commit_announcer.h"

namespace messenger::messaging {

// Core NATS (no JetStream): a lost change is a missed hint, nothing more.
inline constexpr char kTypingSubject[] = "messenger.typing";

class TypingManager {
 public:
  using Publish = std::function<void(const std::string& payload)>;

  TypingManager(MessagingStore& store, MessagingManager& messaging, CommitAnnouncer& announcer,
                const Clock& clock, TypingLimits limits = {});
  ~TypingManager();

  // Where changes made here go (kTypingSubject); none in a single process.
  // Set before the first change.
  void SetPublisher(Publish publish) { publish_ = std::move(publish); }
  // Also told of each change made here (OutgoingTyping: other servers).
  // Set before the first change.
  using Changed =
      std::function<void(const std::string& user_id, const std::string& room_id, bool typing)>;
  void SetFederationSink(Changed sink) { federation_sink_ = std::move(sink); }
  // `user_id` starts (for `timeout`) or stops typing in `room_id`, of which
  // it must be a joined member (PERMISSION_DENIED; NOT_FOUND for no room).
  absl::Status Set(const std::string& user_id, const std::string& room_id, bool typing,
                   absl::Duration timeout);
  // A payload from kTypingSubject; this replica's own and malformed ones are
  // ignored.
  void Heard(std::string_view payload);
  // What the user's sync shows from a token's typing cursor.
  TypingView For(const std::string& user_id, uint64_t cursor);
  uint64_t Cursor() { return state_.Cursor(); }

  // The wire form of a change (exposed for tests).
  static std::string Encode(const TypingChange& change, const std::string& writer);
  static std::optional<std::pair<TypingChange, std::string>> Decode(std::string_view payload);

 private:
  void RunExpiry();

  MessagingStore& store_;
  MessagingManager& messaging_;
  CommitAnnouncer& announcer_;
  const Clock& clock_;
  TypingState state_;
  Publish publish_;
  Changed federation_sink_;
  std::string writer_id_;  // tells this replica's changes from others'
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread expiry_;  // last: started once the members above exist
};

}  // namespace messenger::messaging
