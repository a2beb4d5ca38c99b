// Profile changes as member events: profile.updated (consumed idempotently:
// the change is queued in the consumer's transaction, the latest profile
// replacing an older one still queued) becomes an m.room.member join event
// with the new displayname/avatar_url in every room the user has joined,
// written through RoomWriter::WriteState. A thread works the queue in
// batches of kBatchRooms rooms, a job that did a batch going behind the
// others, so a user in many rooms delays nobody and never blocks the
// consumer. A room whose member event already says so is skipped (a
// redelivery or a second replica writes nothing new).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "common/bus/event.h"
#include "common/pg/pg.h"
#include "messaging-service/src/service/messaging_manager.h"
#include "messaging-service/src/storage/account_store.h"

namespace messenger::messaging {

class ProfileMemberWriter {
 public:
  static constexpr int kBatchRooms = 20;
  // Also looks for jobs other replicas queued this often.
  static constexpr absl::Duration kIdlePoll = absl::Seconds(2);

  ProfileMemberWriter(AccountStore& store, MessagingManager& messaging);
  ~ProfileMemberWriter();

  // Starts the thread (not started: RunOnce by hand, as tests do).
  void Start();
  void Stop();
  // profile.updated inside the consumer's transaction.
  absl::Status OnProfileUpdated(const bus::Event& event, pg::Tx& tx);
  // One batch of the oldest job; false when nothing was queued.
  absl::StatusOr<bool> RunOnce();

 private:
  // Writes the member event in one room unless it already says so.
  absl::Status UpdateRoom(const ProfileUpdateJob& job, const std::string& mxid,
                          const std::string& room_id);
  void Loop();

  AccountStore& store_;
  MessagingManager& messaging_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool poked_ = false;
  std::thread thread_;  // last
};

}  // namespace messenger::messaging
