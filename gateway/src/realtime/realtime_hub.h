// The open WebSockets of the gateway by user and session: wakes a user's
// sockets when the sync hub says the user has news (the same wake-up as the
// long poll), closes a session's sockets when it is revoked, and keeps at
// most `max_per_user` sockets per user (a new one closes the oldest).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace messenger::gateway {

// One socket as the hub sees it.
class RealtimeClient {
 public:
  virtual ~RealtimeClient() = default;
  // The user has news: look at the sync feed.
  virtual void Wake() = 0;
  virtual void Close(uint16_t code, const char* reason) = 0;
};

// Close codes of /v1/ws (documented in the README).
inline constexpr uint16_t kWsCloseUnauthenticated = 4001;
inline constexpr uint16_t kWsCloseSessionEnded = 4002;
inline constexpr uint16_t kWsCloseBadFrame = 4003;
inline constexpr uint16_t kWsCloseSlowReader = 4008;
inline constexpr uint16_t kWsCloseTooMany = 4009;
inline constexpr uint16_t kWsCloseInternal = 1011;
// The gateway may have missed revocations (its NATS connection was down):
// reconnect, which authenticates again, and resume from the last token.
inline constexpr uint16_t kWsCloseReauthenticate = 1012;

class RealtimeHub {
 public:
  explicit RealtimeHub(size_t max_per_user) : max_per_user_(max_per_user) {}

  // Registers a socket; the user's oldest is closed (kWsCloseTooMany) when
  // this one passes the cap.
  void Add(const std::string& user_id, const std::string& session_id,
           const std::shared_ptr<RealtimeClient>& client);
  void Remove(const std::string& user_id, const std::string& session_id,
              const RealtimeClient* client);
  void Wake(const std::vector<std::string>& user_ids);
  // Closes every socket with `code`.
  void CloseAll(uint16_t code, const char* reason);
  // The session was revoked (logout, session deleted, token revoked).
  void CloseSession(const std::string& session_id);
  size_t size() const;

 private:
  struct Slot {
    std::string session_id;
    std::weak_ptr<RealtimeClient> client;
    const RealtimeClient* raw;
  };
  const size_t max_per_user_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<Slot>> by_user_;  // oldest first
  std::unordered_multimap<std::string, std::string> users_by_session_;
  size_t size_ = 0;
};

}  // namespace messenger::gateway
