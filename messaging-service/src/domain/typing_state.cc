#include "messaging-service/src/domain/typing_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace messenger::messaging {
namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

TypingState::TypingState(TypingLimits limits)
    : limits_(limits), reader_rooms_("messaging_typing_readers", limits.readers) {}

uint64_t TypingState::NextStampLocked(absl::Time now) {
  clock_ = std::max(clock_ + 1, static_cast<uint64_t>(std::max<int64_t>(Micros(now), 0)));
  return clock_;
}

void TypingState::IndexLocked(const std::string& room_id, const std::vector<std::string>& readers) {
  for (const std::string& reader : readers) {
    std::vector<std::string> rooms = reader_rooms_.Get(reader).value_or(std::vector<std::string>{});
    rooms.erase(std::remove(rooms.begin(), rooms.end(), room_id), rooms.end());
    rooms.push_back(room_id);
    if (rooms.size() > limits_.rooms_per_reader) {
      rooms.erase(rooms.begin(), rooms.end() - static_cast<ptrdiff_t>(limits_.rooms_per_reader));
    }
    reader_rooms_.Put(reader, std::move(rooms));
  }
}

void TypingState::ForgetIdleLocked(absl::Time now) {
  const int64_t before = Micros(now - limits_.retention);
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    if (it->second.typers.empty() && it->second.changed_us < before) {
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
  idle_checked_us_ = Micros(now);
}

void TypingState::EraseExpiryLocked(int64_t expires_us, const std::string& room_id,
                                    const std::string& user_id) {
  auto [first, last] = expiries_.equal_range(expires_us);
  for (auto it = first; it != last; ++it) {
    if (it->second.first == room_id && it->second.second == user_id) {
      expiries_.erase(it);
      return;
    }
  }
}

absl::StatusOr<bool> TypingState::ChangeLocked(const TypingChange& change, bool local,
                                               absl::Time now) {
  auto room_it = rooms_.find(change.room_id);
  const bool new_typer = change.typing && (room_it == rooms_.end() ||
                                           !room_it->second.typers.contains(change.user_id));
  if (new_typer && typing_ >= limits_.total) {
    return absl::ResourceExhaustedError("too many people are typing right now; retry shortly");
  }
  if (room_it == rooms_.end()) {
    if (!change.typing) return false;  // nobody types there: nothing to stop
    if (rooms_.size() >= limits_.rooms) ForgetIdleLocked(now);
    if (rooms_.size() >= limits_.rooms) {
      return absl::ResourceExhaustedError(
          "too many conversations with typing right now; retry shortly");
    }
    room_it = rooms_.emplace(change.room_id, Room{}).first;
  }
  Room& room = room_it->second;
  bool changed = false;
  auto typer = room.typers.find(change.user_id);
  if (change.typing) {
    if (typer == room.typers.end()) {
      if (room.typers.size() >= limits_.per_room) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "at most ", limits_.per_room, " people can be typing in one conversation"));
      }
      typer = room.typers.emplace(change.user_id, Typer{}).first;
      ++typing_;
      changed = true;
    } else {
      EraseExpiryLocked(typer->second.expires_us, change.room_id, change.user_id);
    }
    typer->second = Typer{change.expires_us, local};
    expiries_.emplace(change.expires_us, std::make_pair(change.room_id, change.user_id));
  } else if (typer != room.typers.end()) {
    EraseExpiryLocked(typer->second.expires_us, change.room_id, change.user_id);
    room.typers.erase(typer);
    --typing_;
    changed = true;
  }
  if (changed) {
    room.stamp = std::max(room.stamp, change.stamp);
    room.changed_us = Micros(now);
    room.readers = change.readers;
    IndexLocked(change.room_id, room.readers);
  }
  return changed;
}

absl::StatusOr<std::optional<TypingChange>> TypingState::Set(const std::string& room_id,
                                                             const std::string& user_id,
                                                             bool typing, absl::Duration timeout,
                                                             std::vector<std::string> readers,
                                                             absl::Time now) {
  if (typing && (timeout <= absl::ZeroDuration() || timeout > limits_.max_timeout)) {
    return absl::InvalidArgumentError(absl::StrCat("timeout_ms must be from 1 to ",
                                                   absl::ToInt64Milliseconds(limits_.max_timeout)));
  }
  std::lock_guard lock(mutex_);
  ExpireLocked(now, &expired_);
  TypingChange change;
  change.room_id = room_id;
  change.user_id = user_id;
  change.typing = typing;
  change.expires_us = typing ? Micros(now + timeout) : 0;
  change.readers = std::move(readers);
  // Stopping while not typing: nothing to tell anyone.
  if (!typing) {
    auto room = rooms_.find(room_id);
    if (room == rooms_.end() || !room->second.typers.contains(user_id)) return std::nullopt;
  }
  change.stamp = NextStampLocked(now);
  absl::StatusOr<bool> changed = ChangeLocked(change, /*local=*/true, now);
  if (!changed.ok()) return changed.status();
  change.wake = *changed;
  return change;
}

bool TypingState::Apply(const TypingChange& change, absl::Time now) {
  std::lock_guard lock(mutex_);
  clock_ = std::max(clock_, change.stamp);
  ExpireLocked(now, &expired_);
  absl::StatusOr<bool> changed = ChangeLocked(change, /*local=*/false, now);
  return changed.ok() && *changed;
}

void TypingState::ExpireLocked(absl::Time now, std::vector<Expired>* out) {
  const int64_t now_us = Micros(now);
  std::map<std::string, bool> touched;  // room -> any typer set here
  while (!expiries_.empty() && expiries_.begin()->first <= now_us) {
    const auto [expires_us, key] = *expiries_.begin();
    expiries_.erase(expiries_.begin());
    auto room = rooms_.find(key.first);
    if (room == rooms_.end()) continue;
    auto typer = room->second.typers.find(key.second);
    if (typer == room->second.typers.end()) continue;
    touched[key.first] = touched[key.first] || typer->second.local;
    room->second.typers.erase(typer);
    --typing_;
    // The same stamp on every replica: the expiry time.
    room->second.stamp = std::max(room->second.stamp, static_cast<uint64_t>(expires_us));
    room->second.changed_us = now_us;
    clock_ = std::max(clock_, static_cast<uint64_t>(expires_us));
  }
  for (const auto& [room_id, local] : touched) {
    const Room& room = rooms_[room_id];
    IndexLocked(room_id, room.readers);
    out->push_back({room_id, room.readers, local});
  }
}

std::vector<TypingState::Expired> TypingState::Expire(absl::Time now) {
  std::lock_guard lock(mutex_);
  std::vector<Expired> out = std::move(expired_);
  expired_.clear();
  ExpireLocked(now, &out);
  if (Micros(now) - idle_checked_us_ > absl::ToInt64Microseconds(limits_.retention) / 4) {
    ForgetIdleLocked(now);
  }
  return out;
}

TypingView TypingState::For(const std::string& reader, uint64_t cursor, absl::Time now) {
  std::lock_guard lock(mutex_);
  clock_ = std::max(clock_, cursor);
  ExpireLocked(now, &expired_);
  TypingView view;
  view.cursor = cursor;
  std::optional<std::vector<std::string>> rooms = reader_rooms_.Get(reader);
  if (!rooms) return view;
  for (const std::string& room_id : *rooms) {
    auto it = rooms_.find(room_id);
    if (it == rooms_.end() || it->second.stamp <= cursor) continue;
    TypingEvent event{room_id, {}};
    for (const auto& [user, typer] : it->second.typers) {
      if (user != reader) event.user_ids.push_back(user);
    }
    // A token without a cursor learns who types now, not who stopped.
    if (cursor == 0 && event.user_ids.empty()) continue;
    view.cursor = std::max(view.cursor, it->second.stamp);
    view.events.push_back(std::move(event));
  }
  return view;
}

uint64_t TypingState::Cursor() {
  std::lock_guard lock(mutex_);
  return clock_;
}

std::optional<absl::Time> TypingState::NextExpiry() {
  std::lock_guard lock(mutex_);
  if (expiries_.empty()) return std::nullopt;
  return absl::FromUnixMicros(expiries_.begin()->first);
}

size_t TypingState::typing_count() {
  std::lock_guard lock(mutex_);
  return typing_;
}

}  // namespace messenger::messaging
