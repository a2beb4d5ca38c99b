// The end-to-end encryption relay's requests (keys/upload, keys/query,
// keys/claim, sendToDevice) checked and bounded. The server never reads a
// key: it checks the shape the spec gives and that device keys belong to the
// caller's device. Pure, no IO.
//
// Errors: INVALID_ARGUMENT for a malformed body (M_BAD_JSON), OUT_OF_RANGE
// for a request over its bound (M_TOO_LARGE).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace messenger::messaging {

struct E2eeLimits {
  int64_t max_keys_per_upload = 100;       // one-time plus fallback keys in one upload
  int64_t max_one_time_keys = 200;         // stored per device (MESSENGER_E2EE_MAX_ONE_TIME_KEYS)
  int64_t max_devices_per_request = 1000;  // devices one query, claim or sendToDevice names
  int64_t inbox_size = 1000;         // to-device messages waiting per device (MESSENGER_E2EE_INBOX)
  int64_t to_device_per_sync = 100;  // to-device messages one sync delivers
};

// Bytes of one key object, of device keys, and of one to-device content.
inline constexpr size_t kMaxKeyBytes = 4096;
inline constexpr size_t kMaxDeviceKeysBytes = 16384;
inline constexpr size_t kMaxToDeviceContentBytes = 65536;

// The caller as the gateway authenticated it.
struct E2eeCaller {
  std::string user_id;         // account uuid
  std::string matrix_user_id;  // "@localpart:server"
  std::string device_id;       // the session's Matrix device
  std::string session_id;
};

// A one-time or fallback key: "<algorithm>:<key_id>" -> its JSON value.
struct UploadedKey {
  std::string algorithm;
  std::string key_id;
  std::string json;
  bool operator==(const UploadedKey&) const = default;
};

struct KeyUpload {
  std::optional<std::string> device_keys;  // JSON object text
  std::vector<UploadedKey> one_time_keys;
  std::vector<UploadedKey> fallback_keys;
};

// Device keys must name the caller's user and device (INVALID_ARGUMENT).
absl::StatusOr<KeyUpload> ParseKeyUpload(std::string_view body, const E2eeCaller& caller,
                                         const E2eeLimits& limits);

// keys/query: Matrix user id -> the devices asked for (empty: all).
absl::StatusOr<std::map<std::string, std::vector<std::string>>> ParseKeyQuery(
    std::string_view body, const E2eeLimits& limits);

struct ClaimTarget {
  std::string user;  // Matrix user id
  std::string device_id;
  std::string algorithm;
};
absl::StatusOr<std::vector<ClaimTarget>> ParseKeyClaim(std::string_view body,
                                                       const E2eeLimits& limits);

inline constexpr char kAllDevices[] = "*";
struct ToDeviceMessage {
  std::string user;       // Matrix user id
  std::string device_id;  // or kAllDevices
  std::string content;    // JSON object text
};
absl::StatusOr<std::vector<ToDeviceMessage>> ParseSendToDevice(std::string_view body,
                                                               const E2eeLimits& limits);

// The event a recipient's sync shows: {"type","sender","content"}.
std::string ToDeviceEvent(std::string_view type, std::string_view sender, std::string_view content);

// The localpart of "@localpart:server_name" when the user is of
// `server_name` (nullopt otherwise, or when malformed).
std::optional<std::string> LocalpartOf(std::string_view user_id, std::string_view server_name);
// "@localpart:server_name"; a remote user's username (already its full
// Matrix id, federation/remote_users.h) as it is.
std::string MatrixUserIdOf(std::string_view localpart, std::string_view server_name);

}  // namespace messenger::messaging
