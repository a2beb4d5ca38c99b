// The end-to-end encryption relay's parts of the Matrix /sync:
// - "to_device": the device's to-device messages after its cursor; a sync
//   whose cursor has passed them acknowledges (deletes) them.
// - "device_lists": users whose device lists changed after the cursor, and
//   always the device's one-time key counts and unused fallback key types.
#pragma once

#include <string>

#include "messaging-service/src/service/user_sync_section.h"
#include "messaging-service/src/storage/e2ee_store.h"

namespace messenger::messaging {

class ToDeviceSection final : public UserSyncSection {
 public:
  // At most `per_sync` messages a sync (the rest come with the next).
  ToDeviceSection(E2eeStore& store, int per_sync) : store_(store), per_sync_(per_sync) {}
  absl::string_view name() const override { return "to_device"; }
  absl::StatusOr<UserSyncOutput> Collect(const UserSyncInput& in) override;

 private:
  E2eeStore& store_;
  const int per_sync_;
};

// The device-list section's name: its slot in next_batch tokens.
inline constexpr char kDeviceListsSection[] = "device_lists";

class DeviceListsSection final : public UserSyncSection {
 public:
  DeviceListsSection(E2eeStore& store, std::string server_name)
      : store_(store), server_name_(std::move(server_name)) {}
  absl::string_view name() const override { return kDeviceListsSection; }
  absl::StatusOr<UserSyncOutput> Collect(const UserSyncInput& in) override;

 private:
  E2eeStore& store_;
  const std::string server_name_;
};

}  // namespace messenger::messaging
