// The scenarios of bench_messenger. Each adds its sections to c.report and
// calls c.report.Fail for anything that must fail the run.
#pragma once

#include <sys/types.h>

#include "bench/checker.h"
#include "bench/context.h"

namespace messenger::bench {

// Registers 2 x `pairs` users and makes each pair friends.
void Setup(Context& c, int pairs);
// One checked REST send per pair (the direct rooms exist afterwards).
void WarmUp(Context& c);
// gRPC and REST send sweeps and, at each concurrency, floors (a) and (b) of
// floors.h with the batch size the server reached; ratios to both.
void SendAndFloors(Context& c);
// Open loop: sends scheduled at `rate`; latency from the scheduled time to
// the recipient's poll returning it; every message checked.
void Delivery(Context& c, double rate, absl::Duration warmup);
// A group of `members`; every member polls; each message must reach each
// member (the sender too) exactly once.
void FanOut(Context& c, int members, int rounds);
// What MeasureFanOut saw: per round, the time from the send until the last
// member's poll returned it (sorted); CPU per delivered copy; the check.
struct FanOutRun {
  std::vector<double> last_member_ms;
  std::vector<nlohmann::json> cpu_us_per_copy;  // CpuWindow::PerUnitUs
  CheckResult check;
  int64_t sync_calls = 0;
};
// `rounds` messages from `sender` into `room`, one at a time, each waited
// for (up to `per_round`) until every member of `group` (all long-polling)
// has it; each poll waits up to `poll_timeout_ms`.
FanOutRun MeasureFanOut(Context& c, const std::string& scenario,
                        const std::vector<BenchUser>& group, const BenchUser& sender,
                        const std::string& room, int rounds, absl::Duration per_round,
                        int poll_timeout_ms = 1000);
// Issue 15: fan-out into a group of `members` (all polling), the sync cost
// per member against a small group, the writes per send, one member's first
// look at the room, and adding one more member.
void LargeGroup(Context& c, int members, int rounds);
// Issue 14: a reader in `rooms` rooms of `messages` messages each; its
// initial Matrix /v3/sync, then its long poll's wake latency while Matrix
// sends are due at `rate` (open loop), every event checked by id.
void MatrixWake(Context& c, int rooms, int messages, double rate, absl::Duration warmup);
// `connections` idle long polls from `users` users held for `hold`; memory
// of the server and of the kernel's TCP buffers.
void IdlePolls(Context& c, int connections, int users, absl::Duration hold);
// The same closed-loop send load checked by delivery; with `kill_parent` > 0
// the first child of that pid (a messaging replica under a restarting shell)
// is SIGKILLed half-way. Clients retry with the same client_msg_id.
void ScaleOut(Context& c, int replicas, pid_t kill_parent);

// Shared by the checked scenarios: a checker's verdict as report cells, and
// as failures of the run.
std::vector<std::string> CheckColumns();
// An open-loop run's rate and latency percentiles (sorted ms) as cells.
std::vector<std::string> LatencyColumns();
std::vector<nlohmann::json> LatencyCells(double target_rate, double achieved_rate,
                                         const std::vector<double>& sorted_ms);
std::vector<nlohmann::json> CheckCells(const CheckResult& r);
void ReportCheck(Context& c, const std::string& scenario, const CheckResult& r);
// Waits (bounded) until every acknowledged message reached its recipients.
void Drain(const DeliveryChecker& checker);

}  // namespace messenger::bench
