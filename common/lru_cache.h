// A bounded, thread-safe LRU cache: the one cache shape of the project.
// Past `capacity` the least recently used entry goes; a miss is a miss (the
// caller asks the owner of the fact), never an exception. Size, hits, misses
// and evictions are exported as metrics labelled with the cache's name.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/metrics.h"

namespace messenger {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LruCache {
 public:
  // `name` labels the metrics (cache_hits_total{cache="<name>"}, ...).
  LruCache(std::string name, size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity),
        hits_(metrics::Registry::Default().GetCounter("cache_hits_total", "Cache lookups that hit",
                                                      {{"cache", name}})),
        misses_(metrics::Registry::Default().GetCounter(
            "cache_misses_total", "Cache lookups that missed", {{"cache", name}})),
        evictions_(metrics::Registry::Default().GetCounter(
            "cache_evictions_total", "Entries dropped to stay within capacity", {{"cache", name}})),
        size_gauge_(metrics::Registry::Default().AddGauge(
            "cache_entries", "Entries held by a cache", {{"cache", name}},
            [this] { return static_cast<double>(size()); })) {}

  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // A copy of the value, and the entry becomes the most recently used.
  std::optional<Value> Get(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      misses_.Inc();
      return std::nullopt;
    }
    hits_.Inc();
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }

  // Inserts or replaces; evicts the least recently used entry past capacity.
  void Put(const Key& key, Value value) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(key, order_.begin());
    while (index_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
      evictions_.Inc();
    }
  }

  // Changes the value in place when present (no recency change); false when absent.
  bool Update(const Key& key, const std::function<void(Value&)>& change) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    change(it->second->second);
    return true;
  }

  bool Erase(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  // Drops every entry for which `drop(key, value)` is true; returns how many.
  size_t EraseIf(const std::function<bool(const Key&, const Value&)>& drop) {
    std::lock_guard lock(mutex_);
    size_t erased = 0;
    for (auto it = order_.begin(); it != order_.end();) {
      if (drop(it->first, it->second)) {
        index_.erase(it->first);
        it = order_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  void Clear() {
    std::lock_guard lock(mutex_);
    index_.clear();
    order_.clear();
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
  }
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<Key, Value>;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash> index_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  metrics::Counter& evictions_;
  metrics::GaugeHandle size_gauge_;  // last: removed before the map goes
};

}  // namespace messenger
