#include "messaging-service/src/service/account_profile_members.h"

#include "common/log.h"
#include "common/status.h"
#include "messaging-service/src/service/account_data.h"
#include "messenger/events/v1/events.pb.h"

namespace messenger::messaging {
namespace {

// The member content the profile asks for, from the current one.
nlohmann::json WantedContent(nlohmann::json content, const ProfileUpdateJob& job) {
  content["membership"] = "join";
  for (const auto& [key, value] :
       {std::pair{"displayname", job.displayname}, std::pair{"avatar_url", job.avatar_url}}) {
    if (value && !value->empty()) {
      content[key] = *value;
    } else {
      content.erase(key);
    }
  }
  return content;
}

}  // namespace

ProfileMemberWriter::ProfileMemberWriter(AccountStore& store, MessagingManager& messaging)
    : store_(store), messaging_(messaging) {}

ProfileMemberWriter::~ProfileMemberWriter() { Stop(); }

void ProfileMemberWriter::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ProfileMemberWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::Status ProfileMemberWriter::OnProfileUpdated(const bus::Event& event, pg::Tx& tx) {
  events::v1::ProfileUpdated data;
  RETURN_IF_ERROR(event.DataTo(data));
  ASSIGN_OR_RETURN(std::string user, AccountUser(data.user_id()));
  const ProfileUpdateJob job{user, data.display_name(), data.avatar_url(), "", 0};
  std::unique_ptr<AccountTx> account = store_.Within(tx);
  RETURN_IF_ERROR(account->SaveProfile(job));
  RETURN_IF_ERROR(account->QueueProfileUpdate(job));
  tx.AfterCommit([this] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      poked_ = true;
    }
    wake_.notify_all();
  });
  return absl::OkStatus();
}

absl::Status ProfileMemberWriter::UpdateRoom(const ProfileUpdateJob& job, const std::string& mxid,
                                             const std::string& room_id) {
  absl::StatusOr<std::vector<matrix::Event>> state =
      messaging_.MatrixRoomState(job.user_id, room_id);
  // Left meanwhile: nothing to update there.
  if (absl::IsPermissionDenied(state.status()) || absl::IsNotFound(state.status())) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(state.status());
  nlohmann::json current = nlohmann::json::object();
  for (const auto& event : *state) {
    if (event.type() == matrix::kMemberType && event.state_key() == mxid) current = event.content();
  }
  nlohmann::json wanted = WantedContent(current, job);
  if (wanted == current) return absl::OkStatus();
  WriteDraft draft{
      {mxid, matrix::kMemberType, mxid, std::move(wanted), std::nullopt}, job.user_id, job.user_id};
  absl::StatusOr<std::vector<StoredEvent>> written =
      messaging_.writer().WriteState(room_id, {draft}, nullptr);
  // Refused by the room's rules (e.g. left just now): skip that room.
  if (absl::IsPermissionDenied(written.status())) return absl::OkStatus();
  return written.status();
}

absl::StatusOr<bool> ProfileMemberWriter::RunOnce() {
  ASSIGN_OR_RETURN(std::optional<ProfileUpdateJob> job, store_.NextProfileUpdate());
  if (!job) return false;
  ASSIGN_OR_RETURN(std::string mxid, messaging_.MatrixIdOf(job->user_id));
  ASSIGN_OR_RETURN(std::vector<std::string> rooms,
                   store_.JoinedRoomsAfter(job->user_id, job->after_room, kBatchRooms));
  for (const auto& room_id : rooms) {
    absl::Status status = UpdateRoom(*job, mxid, room_id);
    // Storage down: the batch is tried again. A room that refuses is
    // skipped, so one bad room cannot hold the queue.
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) return status;
    if (!status.ok()) {
      log::Warn("profile member event not written",
                {{"room_id", room_id}, {"error", std::string(status.message())}});
    }
  }
  const bool done = rooms.size() < static_cast<size_t>(kBatchRooms);
  RETURN_IF_ERROR(store_.ProfileUpdateProgress(
      job->user_id, job->revision, rooms.empty() ? job->after_room : rooms.back(), done));
  return true;
}

void ProfileMemberWriter::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    poked_ = false;
    lock.unlock();
    absl::StatusOr<bool> worked = RunOnce();
    if (!worked.ok()) {
      log::Warn("profile member update failed",
                {{"error", std::string(worked.status().message())}});
    }
    lock.lock();
    if (worked.ok() && *worked) continue;
    // Idle or failing: wait for a poke or the poll (a failure is retried then).
    wake_.wait_for(lock, absl::ToChronoMilliseconds(kIdlePoll), [this] { return stop_ || poked_; });
  }
}

}  // namespace messenger::messaging
