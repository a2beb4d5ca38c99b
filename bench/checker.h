// Checks delivery message by message: each message is registered with the
// exact set of users it is meant for before it is sent; every message event a
// poll returns is recorded. At the end each acknowledged message must have
// reached each of its recipients exactly once (with the message id the send
// returned), and nothing else may have arrived. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace messenger::bench {

struct CheckResult {
  int64_t messages = 0;      // registered
  int64_t acknowledged = 0;  // the send answered 2xx
  int64_t send_errors = 0;
  int64_t poll_errors = 0;
  int64_t expected_deliveries = 0;    // acknowledged x recipients
  int64_t delivered = 0;              // distinct (message, recipient) pairs seen
  int64_t lost = 0;                   // expected, never seen
  int64_t duplicated = 0;             // seen more than once by the same recipient
  int64_t unexpected = 0;             // seen by a non-recipient, or not a message of this run
  int64_t wrong_id = 0;               // the message id differs from the send's answer
  std::vector<std::string> examples;  // a few of the problems, for the report

  bool ok() const {
    return send_errors == 0 && poll_errors == 0 && lost == 0 && duplicated == 0 &&
           unexpected == 0 && wrong_id == 0;
  }
  std::string Summary() const;
};

class DeliveryChecker {
 public:
  // `drop_observations`: the checker ignores that many deliveries; only to
  // show that a lost message fails the run (--checker-drop=1).
  explicit DeliveryChecker(int drop_observations = 0) : drop_(drop_observations) {}

  // Before sending: `key` (unique in the run, e.g. the client_msg_id, which is
  // also the text) goes to exactly `recipients`.
  void Expect(const std::string& key, const std::set<std::string>& recipients);
  void Acknowledged(const std::string& key, const std::string& message_id);
  void SendFailed(const std::string& key, const std::string& why);
  void PollFailed(const std::string& user, const std::string& why);
  // A message event `user` received.
  void Observe(const std::string& user, const std::string& key, const std::string& message_id);

  // Every acknowledged message has reached all its recipients.
  bool Complete() const;
  CheckResult Finish() const;

 private:
  struct Message {
    std::set<std::string> recipients;
    std::string message_id;  // from the send's answer
    bool acknowledged = false;
    std::map<std::string, std::vector<std::string>> seen;  // user -> ids received
  };
  void Example(std::string text);

  mutable std::mutex mutex_;
  int drop_;
  std::map<std::string, Message> messages_;
  int64_t send_errors_ = 0, poll_errors_ = 0, unexpected_ = 0;
  int64_t pending_deliveries_ = 0;  // acknowledged x recipients not yet seen
  std::vector<std::string> examples_;
};

}  // namespace messenger::bench
