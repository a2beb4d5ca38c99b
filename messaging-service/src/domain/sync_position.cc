#include "messaging-service/src/domain/sync_position.h"

#include <algorithm>

namespace messenger::messaging {

int64_t ToWire(SyncKey key) {
  if (key.xid == 0) return key.pos;
  return kXidTokenBase + static_cast<int64_t>(key.xid);
}

SyncKey FromWire(int64_t wire) {
  if (wire < kXidTokenBase) return {0, wire};
  return SyncKey::Below(static_cast<uint64_t>(wire - kXidTokenBase));
}

SyncKey NextKey(SyncKey since, std::optional<SyncKey> last, bool full, uint64_t horizon) {
  if (full && last) {
    // Legacy rows are paged by position; any other page ends with a whole
    // transaction, so the next one starts above it.
    return last->xid == 0 ? *last : SyncKey::Below(last->xid + 1);
  }
  // Everything below the horizon that this user may see was returned.
  return std::max(since, SyncKey::Below(horizon));
}

}  // namespace messenger::messaging
