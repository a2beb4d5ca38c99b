#include "common/lru_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace messenger {
namespace {

TEST(LruCache, EvictsTheLeastRecentlyUsedPastCapacity) {
  LruCache<std::string, int> cache("test_lru_evicts", 2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  ASSERT_EQ(cache.Get("a"), 1);  // "a" is now the most recent
  cache.Put("c", 3);             // evicts "b"
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("b"), std::nullopt);
  EXPECT_EQ(cache.Get("a"), 1);
  EXPECT_EQ(cache.Get("c"), 3);
}

TEST(LruCache, ReplaceUpdateAndErase) {
  LruCache<std::string, int> cache("test_lru_replace", 4);
  cache.Put("a", 1);
  cache.Put("a", 5);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Get("a"), 5);
  EXPECT_TRUE(cache.Update("a", [](int& v) { v += 1; }));
  EXPECT_FALSE(cache.Update("missing", [](int& v) { v = 0; }));
  EXPECT_EQ(cache.Get("a"), 6);
  cache.Put("b", 2);
  cache.Put("c", 3);
  EXPECT_EQ(cache.EraseIf([](const std::string&, const int& v) { return v < 4; }), 2u);
  EXPECT_TRUE(cache.Erase("a"));
  EXPECT_FALSE(cache.Erase("a"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LruCache, CountsHitsMissesAndEvictions) {
  LruCache<int, int> cache("test_lru_metrics", 1);
  auto& registry = metrics::Registry::Default();
  auto& hits = registry.GetCounter("cache_hits_total", "", {{"cache", "test_lru_metrics"}});
  auto& misses = registry.GetCounter("cache_misses_total", "", {{"cache", "test_lru_metrics"}});
  auto& evictions = registry.GetCounter("cache_evictions_total", "", {{"cache", "test_lru_metrics"}});
  cache.Put(1, 1);
  cache.Put(2, 2);  // evicts 1
  EXPECT_FALSE(cache.Get(1).has_value());
  EXPECT_TRUE(cache.Get(2).has_value());
  EXPECT_EQ(hits.value(), 1);
  EXPECT_EQ(misses.value(), 1);
  EXPECT_EQ(evictions.value(), 1);
  EXPECT_NE(registry.Render().find("cache_entries{cache=\"test_lru_metrics\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace messenger
