#include "bench/checker.h"

#include "absl/strings/str_format.h"

namespace messenger::bench {

namespace {
constexpr size_t kMaxExamples = 5;
}

std::string CheckResult::Summary() const {
  return absl::StrFormat(
      "%d messages, %d acknowledged, %d send errors, %d poll errors, %d/%d deliveries, "
      "%d lost, %d duplicated, %d unexpected, %d wrong id",
      messages, acknowledged, send_errors, poll_errors, delivered, expected_deliveries, lost,
      duplicated, unexpected, wrong_id);
}

void DeliveryChecker::Example(std::string text) {
  if (examples_.size() < kMaxExamples) examples_.push_back(std::move(text));
}

void DeliveryChecker::Expect(const std::string& key, const std::set<std::string>& recipients) {
  std::lock_guard lock(mutex_);
  Message& m = messages_[key];
  m.recipients = recipients;
}

void DeliveryChecker::Acknowledged(const std::string& key, const std::string& message_id) {
  std::lock_guard lock(mutex_);
  auto it = messages_.find(key);
  if (it == messages_.end() || it->second.acknowledged) return;
  Message& m = it->second;
  m.acknowledged = true;
  m.message_id = message_id;
  for (const std::string& r : m.recipients) {
    if (!m.seen.contains(r)) ++pending_deliveries_;
  }
}

void DeliveryChecker::SendFailed(const std::string& key, const std::string& why) {
  std::lock_guard lock(mutex_);
  ++send_errors_;
  Example("send " + key + ": " + why);
}

void DeliveryChecker::PollFailed(const std::string& user, const std::string& why) {
  std::lock_guard lock(mutex_);
  ++poll_errors_;
  Example("poll of " + user + ": " + why);
}

void DeliveryChecker::Observe(const std::string& user, const std::string& key,
                              const std::string& message_id) {
  std::lock_guard lock(mutex_);
  if (drop_ > 0) {
    --drop_;
    return;
  }
  auto it = messages_.find(key);
  if (it == messages_.end() || !it->second.recipients.contains(user)) {
    ++unexpected_;
    Example(absl::StrFormat("%s received %s, not meant for them", user, key));
    return;
  }
  Message& m = it->second;
  std::vector<std::string>& ids = m.seen[user];
  ids.push_back(message_id);
  if (ids.size() == 1 && m.acknowledged) --pending_deliveries_;
}

bool DeliveryChecker::Complete() const {
  std::lock_guard lock(mutex_);
  return pending_deliveries_ == 0;
}

CheckResult DeliveryChecker::Finish() const {
  std::lock_guard lock(mutex_);
  CheckResult r;
  r.send_errors = send_errors_;
  r.poll_errors = poll_errors_;
  r.unexpected = unexpected_;
  r.examples = examples_;
  for (const auto& [key, m] : messages_) {
    ++r.messages;
    for (const auto& [user, ids] : m.seen) {
      r.duplicated += static_cast<int64_t>(ids.size()) - 1;
      if (ids.size() > 1 && r.examples.size() < kMaxExamples) {
        r.examples.push_back(absl::StrFormat("%s received %s %d times", user, key, ids.size()));
      }
      for (const std::string& id : ids) {
        if (m.acknowledged && id != m.message_id) ++r.wrong_id;
      }
    }
    if (!m.acknowledged) continue;  // a failed send: counted in send_errors
    ++r.acknowledged;
    for (const std::string& user : m.recipients) {
      ++r.expected_deliveries;
      if (m.seen.contains(user)) {
        ++r.delivered;
      } else {
        ++r.lost;
        if (r.examples.size() < kMaxExamples) r.examples.push_back(user + " never received " + key);
      }
    }
  }
  return r;
}

}  // namespace messenger::bench
