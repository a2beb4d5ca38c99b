#include "common/testing/contract_recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "common/config.h"

namespace messenger::testing {
namespace {

// Distinct stream messages remembered for deduplication; past it, repeats are
// recorded again (harmless: the validator checks them twice).
constexpr size_t kMaxRememberedMessages = 1'000'000;

struct Recorder {
  std::mutex mu;
  std::string file;  // empty: recording off
  int fd = -1;       // opened on the first record, kept open (load tests record thousands)
  bool broken = false;
  std::unordered_set<size_t> seen;
};

Recorder& TheRecorder() {
  static Recorder* recorder = [] {
    auto* r = new Recorder;
    EnvReader env;
    const std::string dir = env.String("MESSENGER_CONTRACT_RECORD_DIR", "");
    if (!dir.empty()) {
      r->file =
          dir + "/" + program_invocation_short_name + "-" + std::to_string(getpid()) + ".jsonl";
    }
    return r;
  }();
  return *recorder;
}

std::string Line(const nlohmann::json& record) {
  // Bodies may be deliberately invalid UTF-8: replaced, not thrown.
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Called with r.mu held.
void WriteLine(Recorder& r, const std::string& line) {
  if (r.broken) return;
  if (r.fd < 0) {
    r.fd = open(r.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (r.fd < 0) {
      std::fprintf(stderr, "contract recorder: cannot open %s (errno %d)\n", r.file.c_str(), errno);
      r.broken = true;
      return;
    }
  }
  if (write(r.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "contract recorder: short write to %s\n", r.file.c_str());
  }
}

nlohmann::json HeadersJson(const HeaderList& headers) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : headers) out[name] = value;
  return out;
}

}  // namespace

void RecordHttpExchange(const HttpExchange& x) {
  Recorder& r = TheRecorder();
  if (r.file.empty()) return;
  const nlohmann::json record = {{"kind", "http"},
                                 {"method", x.method},
                                 {"target", x.target},
                                 {"request_headers", HeadersJson(x.request_headers)},
                                 {"request_body", x.request_body},
                                 {"status", x.status},
                                 {"response_headers", HeadersJson(x.response_headers)},
                                 {"response_body", x.response_body}};
  const std::string line = Line(record);
  std::lock_guard lock(r.mu);
  WriteLine(r, line);
}

void RecordStreamMessage(natsMsg* msg) {
  Recorder& r = TheRecorder();
  if (r.file.empty() || msg == nullptr) return;
  const std::string subject = natsMsg_GetSubject(msg);
  const std::string payload(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  const char* id = nullptr;
  nlohmann::json headers = nlohmann::json::object();
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
    headers["Nats-Msg-Id"] = id;
  }
  const size_t key = std::hash<std::string>{}(subject + '\n' + payload);
  {
    std::lock_guard lock(r.mu);
    if (r.seen.size() < kMaxRememberedMessages && !r.seen.insert(key).second) return;
  }
  const std::string line =
      Line({{"kind", "event"}, {"subject", subject}, {"headers", headers}, {"payload", payload}});
  std::lock_guard lock(r.mu);
  WriteLine(r, line);
}

}  // namespace messenger::testing
