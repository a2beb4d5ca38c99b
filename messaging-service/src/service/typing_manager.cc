#include "messaging-service/src/service/typing_manager.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/log.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {
namespace {

// Longest wait of the expiry thread when nobody types (it also forgets idle
// rooms then).
constexpr absl::Duration kIdleSweep = absl::Seconds(1);

}  // namespace

TypingManager::TypingManager(MessagingStore& store, MessagingManager& messaging,
                             CommitAnnouncer& announcer, const Clock& clock, TypingLimits limits)
    : store_(store),
      messaging_(messaging),
      announcer_(announcer),
      clock_(clock),
      state_(limits),
      writer_id_(HexEncode(SecureRng::Instance().Bytes(8))),
      expiry_([this] { RunExpiry(); }) {}

TypingManager::~TypingManager() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  expiry_.join();
}

std::string TypingManager::Encode(const TypingChange& change, const std::string& writer) {
  return nlohmann::json{{"room_id", change.room_id}, {"user_id", change.user_id},
                        {"typing", change.typing},   {"expires_us", change.expires_us},
                        {"stamp", change.stamp},     {"readers", change.readers},
                        {"writer", writer}}
      .dump();
}

std::optional<std::pair<TypingChange, std::string>> TypingManager::Decode(
    std::string_view payload) {
  const nlohmann::json json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  auto str = [&](const char* key) -> const nlohmann::json* {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? &*it : nullptr;
  };
  auto readers = json.find("readers");
  auto typing = json.find("typing");
  auto expires = json.find("expires_us");
  auto stamp = json.find("stamp");
  if (!str("room_id") || !str("user_id") || !str("writer") || readers == json.end() ||
      !readers->is_array() || typing == json.end() || !typing->is_boolean() ||
      expires == json.end() || !expires->is_number_integer() || stamp == json.end() ||
      !stamp->is_number_unsigned()) {
    return std::nullopt;
  }
  TypingChange change;
  change.room_id = str("room_id")->get<std::string>();
  change.user_id = str("user_id")->get<std::string>();
  change.typing = typing->get<bool>();
  change.expires_us = expires->get<int64_t>();
  change.stamp = stamp->get<uint64_t>();
  for (const auto& reader : *readers) {
    if (!reader.is_string()) return std::nullopt;
    change.readers.push_back(reader.get<std::string>());
  }
  return std::make_pair(std::move(change), str("writer")->get<std::string>());
}

absl::Status TypingManager::Set(const std::string& user_id, const std::string& room_id, bool typing,
                                absl::Duration timeout) {
  if (!IsUuid(user_id)) return absl::InvalidArgumentError("user ids are UUIDs");
  RETURN_IF_ERROR(messaging_.CheckMember(room_id, user_id));
  ASSIGN_OR_RETURN(std::vector<std::string> readers, store_.JoinedMembers(room_id));
  readers.erase(std::remove(readers.begin(), readers.end(), user_id), readers.end());
  ASSIGN_OR_RETURN(std::optional<TypingChange> change,
                   state_.Set(room_id, user_id, typing, timeout, std::move(readers), clock_.Now()));
  if (!change) return absl::OkStatus();
  // The change before the wake-up, on one connection: a replica that a woken
  // gateway asks has most likely applied it already (if not, the reader gets
  // it with its next look: the cursor keeps it).
  if (publish_) publish_(Encode(*change, writer_id_));
  if (federation_sink_) federation_sink_(user_id, room_id, typing);
  if (change->wake) announcer_.Woke(change->readers);
  if (typing) wake_.notify_all();  // maybe a sooner expiry
  return absl::OkStatus();
}

void TypingManager::Heard(std::string_view payload) {
  std::optional<std::pair<TypingChange, std::string>> heard = Decode(payload);
  if (!heard || heard->second == writer_id_) return;
  if (state_.Apply(heard->first, clock_.Now())) announcer_.hub().Notify(heard->first.readers);
  if (heard->first.typing) wake_.notify_all();
}

TypingView TypingManager::For(const std::string& user_id, uint64_t cursor) {
  return state_.For(user_id, cursor, clock_.Now());
}

void TypingManager::RunExpiry() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const absl::Time now = clock_.Now();
    std::optional<absl::Time> next = state_.NextExpiry();
    const absl::Time until = std::min(now + kIdleSweep, next.value_or(absl::InfiniteFuture()));
    if (until > now) {
      wake_.wait_for(lock, absl::ToChronoNanoseconds(until - now));
      if (stopping_) break;
    }
    lock.unlock();
    for (const TypingState::Expired& expired : state_.Expire(clock_.Now())) {
      // The replica that took the typing tells the gateways; every replica
      // wakes its own long polls.
      if (expired.local) {
        announcer_.Woke(expired.readers);
      } else {
        announcer_.hub().Notify(expired.readers);
      }
    }
    lock.lock();
  }
}

}  // namespace messenger::messaging
