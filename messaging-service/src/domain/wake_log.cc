#include "messaging-service/src/domain/wake_log.h"

#include <algorithm>

namespace messenger::messaging {

void WakeLog::Reset(uint64_t horizon, uint64_t known_from) {
  std::lock_guard lock(mutex_);
  users_.Clear();
  horizon_ = std::max(horizon_, horizon);
  unknown_below_ = known_from;
  distrust_from_ = 0;
}

void WakeLog::Heard(absl::Span<const std::string> readers, std::optional<uint64_t> xid) {
  std::lock_guard lock(mutex_);
  ++ticket_;
  for (const std::string& reader : readers) {
    std::optional<Reader> known = users_.Get(reader);
    // A new reader in a full record pushes one out, whose rows may be
    // anywhere: trust nobody until a read bounds them.
    if (!known && users_.size() >= users_.capacity() && distrust_from_ == 0) {
      distrust_from_ = ticket_;
    }
    Reader r = known.value_or(Reader{});
    if (xid) {
      r.bound = std::max(r.bound, *xid + 1);
    } else {
      r.pending = ticket_;
    }
    users_.Put(reader, r);
  }
}

void WakeLog::Forget() {
  std::lock_guard lock(mutex_);
  ++ticket_;
  if (distrust_from_ == 0) distrust_from_ = ticket_;
}

uint64_t WakeLog::ReadStarting() {
  std::lock_guard lock(mutex_);
  return ticket_;
}

void WakeLog::ObservedLocked(uint64_t ticket, uint64_t horizon, uint64_t xmax) {
  horizon_ = std::max(horizon_, horizon);
  // The read's snapshot was taken after every wake-up up to `ticket`, so
  // their commits have xids below its xmax.
  if (distrust_from_ != 0 && distrust_from_ <= ticket) {
    unknown_below_ = std::max(unknown_below_, xmax);
    distrust_from_ = 0;
  }
}

void WakeLog::Observed(uint64_t ticket, uint64_t horizon, uint64_t xmax) {
  std::lock_guard lock(mutex_);
  ObservedLocked(ticket, horizon, xmax);
}

void WakeLog::ReadDone(absl::string_view reader, uint64_t ticket, uint64_t horizon, uint64_t xmax) {
  std::lock_guard lock(mutex_);
  ObservedLocked(ticket, horizon, xmax);
  users_.Update(std::string(reader), [&](Reader& r) {
    if (r.pending != 0 && r.pending <= ticket) {
      r.pending = 0;
      r.bound = std::max(r.bound, xmax);
    }
  });
}

bool WakeLog::MayHaveAfter(absl::string_view reader, SyncKey since) const {
  std::lock_guard lock(mutex_);
  if (distrust_from_ != 0 || since.xid < unknown_below_) return true;
  std::optional<Reader> r = users_.Get(std::string(reader));
  if (!r) return false;
  return r->pending != 0 || since.xid < r->bound;
}

uint64_t WakeLog::Horizon() const {
  std::lock_guard lock(mutex_);
  return horizon_;
}

}  // namespace messenger::messaging
