#include "messaging-service/src/domain/sync_position.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace messenger::messaging {
namespace {

TEST(SyncPosition, WireNumbersKeepLegacyPositionsAndCarryXids) {
  EXPECT_EQ(ToWire({0, 42}), 42);
  EXPECT_EQ(FromWire(42), (SyncKey{0, 42}));
  const SyncKey below = SyncKey::Below(123456789);
  EXPECT_EQ(FromWire(ToWire(below)), below);
  EXPECT_GE(ToWire(below), kXidTokenBase);
  // A legacy position sorts before every xid: its rows come first.
  EXPECT_LT(FromWire(kXidTokenBase - 1), FromWire(kXidTokenBase + 3));
}

TEST(SyncPosition, NextKeyPagesLegacyRowsAndSkipsWholeTransactions) {
  // A full legacy page continues by position.
  EXPECT_EQ(NextKey({0, 5}, SyncKey{0, 105}, true, 900), (SyncKey{0, 105}));
  // A full page ends with a whole transaction: the next starts above it.
  EXPECT_EQ(NextKey({0, 5}, SyncKey{700, 3}, true, 900), SyncKey::Below(701));
  // Otherwise everything below the horizon was returned.
  EXPECT_EQ(NextKey({0, 5}, SyncKey{700, 3}, false, 900), SyncKey::Below(900));
  EXPECT_EQ(NextKey({0, 5}, std::nullopt, false, 900), SyncKey::Below(900));
  // A horizon read on a replica that lags never moves a token back.
  EXPECT_EQ(NextKey(SyncKey::Below(950), std::nullopt, false, 900), SyncKey::Below(950));
}

// A model of the database: transactions take increasing xids when they
// start, rows take positions from one sequence as they are written, and
// they commit (or roll back) in any order. A read sees what committed
// before its snapshot, and returns it the way kSyncRows and
// PgMessagingStore::SyncRows do.
class StreamModel {
 public:
  struct Row {
    SyncKey key;
    auto operator<=>(const Row&) const = default;
  };

  uint64_t Begin() {
    running_.insert(next_xid_);
    return next_xid_++;
  }
  void Write(uint64_t xid) { pending_[xid].push_back({{xid, ++position_}}); }
  void End(uint64_t xid, bool commit) {
    running_.erase(xid);
    if (commit) {
      for (const Row& row : pending_[xid]) committed_.insert(row);
    }
    pending_.erase(xid);
  }
  std::vector<uint64_t> Running() const { return {running_.begin(), running_.end()}; }
  uint64_t Horizon() const { return running_.empty() ? next_xid_ : *running_.begin(); }
  const std::set<Row>& committed() const { return committed_; }

  // The rows after `since` below the horizon (at most `limit`, then the rest
  // of the last transaction) and the next key.
  std::vector<Row> Read(SyncKey& since, size_t limit) const {
    const uint64_t horizon = Horizon();
    std::vector<Row> out;
    for (const Row& row : committed_) {
      if (row.key > since && row.key.xid < horizon && out.size() < limit) out.push_back(row);
    }
    const bool full = out.size() >= limit;
    if (full && out.back().key.xid != 0) {
      const SyncKey last = out.back().key;
      for (const Row& row : committed_) {
        if (row.key > last && row.key.xid == last.xid) out.push_back(row);
      }
    }
    std::optional<SyncKey> last;
    if (!out.empty()) last = out.back().key;
    since = NextKey(since, last, full, horizon);
    return out;
  }

 private:
  uint64_t next_xid_ = 3;  // PostgreSQL's first normal xid
  int64_t position_ = 0;
  std::set<uint64_t> running_;
  std::map<uint64_t, std::vector<Row>> pending_;
  std::set<Row> committed_;
};

TEST(SyncPosition, ReadersSeeEveryRowOnceWhenCommitsLandOutOfOrder) {
  for (int seed = 0; seed < 50; ++seed) {
    std::mt19937 random(seed);
    StreamModel db;
    std::vector<SyncKey> tokens(3);  // readers with different page sizes
    const size_t limits[] = {1, 3, 100};
    std::vector<std::vector<StreamModel::Row>> seen(tokens.size());
    auto read = [&](size_t r) {
      for (const auto& row : db.Read(tokens[r], limits[r])) seen[r].push_back(row);
    };
    for (int step = 0; step < 400; ++step) {
      const std::vector<uint64_t> running = db.Running();
      const int action = random() % 4;
      if (action == 0 || running.empty()) {
        db.Begin();
      } else if (action == 1) {
        db.Write(running[random() % running.size()]);
      } else if (action == 2) {
        // Any open transaction ends, not the oldest: out of order.
        db.End(running[random() % running.size()], random() % 8 != 0);
      } else {
        read(random() % tokens.size());
      }
    }
    for (uint64_t xid : db.Running()) db.End(xid, true);
    for (size_t r = 0; r < tokens.size(); ++r) {
      for (int i = 0; i < 1000 && seen[r].size() < db.committed().size(); ++i) read(r);
      ASSERT_EQ(seen[r].size(), db.committed().size()) << "seed " << seed << " reader " << r;
      // Each exactly once, in key order.
      ASSERT_TRUE(std::is_sorted(seen[r].begin(), seen[r].end()));
      ASSERT_EQ(std::set<StreamModel::Row>(seen[r].begin(), seen[r].end()), db.committed());
    }
  }
}

TEST(SyncPosition, AReadAboveTheHorizonWouldSkipALateCommit) {
  // Why the horizon is the oldest open transaction and not the newest
  // commit: t1 writes first but commits after t2.
  StreamModel db;
  const uint64_t t1 = db.Begin(), t2 = db.Begin();
  db.Write(t1);
  db.Write(t2);
  db.End(t2, true);
  SyncKey token;
  EXPECT_TRUE(db.Read(token, 100).empty());  // t2's row waits for t1
  EXPECT_EQ(token, SyncKey::Below(t1));
  db.End(t1, true);
  EXPECT_EQ(db.Read(token, 100).size(), 2u);  // both, in (xid, position) order
}

}  // namespace
}  // namespace messenger::messaging
