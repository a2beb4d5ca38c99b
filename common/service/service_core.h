// What every service process part shares: its PostgreSQL pool (own schema),
// migrations, the outbox and its relay, event consumers, periodic maintenance
// and the work pool for blocking gRPC handlers. Each <svc>_module owns one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/consumer.h"
#include "common/bus/nats_bus.h"
#include "common/bus/outbox.h"
#include "common/config.h"
#include "common/grpc/work_pool.h"
#include "common/metrics.h"
#include "common/pg/migrations.h"
#include "common/pg/pg.h"

namespace messenger {

class ServiceCore {
 public:
  // `name` is the schema, the event source and the metrics label.
  static absl::StatusOr<std::unique_ptr<ServiceCore>> Create(
      const std::string& name, const CommonConfig& config, bus::NatsBus& bus,
      const std::vector<const pg::Migrations*>& migrations);
  ~ServiceCore();

  const std::string& name() const { return name_; }
  pg::Pool& pool() { return *pool_; }
  const bus::Outbox& outbox() const { return outbox_; }
  bus::NatsBus& bus() { return bus_; }
  grpcx::WorkPool& work_pool() { return *work_pool_; }

  // A durable consumer named "<name>_<what>" (started by Start()).
  void AddConsumer(const std::string& what, const std::string& subject,
                   bus::EventConsumer::Handler handler);
  // Runs `task` every `interval` on a maintenance thread; errors are logged.
  void AddPeriodic(const std::string& what, absl::Duration interval,
                   std::function<absl::Status()> task);

  void Start();
  // Stops consumers and maintenance, drains the work pool, flushes the outbox.
  void Stop();
  // OK when PostgreSQL answers and NATS is connected.
  absl::Status Ready();

 private:
  ServiceCore(std::string name, bus::NatsBus& bus) : name_(std::move(name)), bus_(bus) {}
  void RunMaintenance();

  struct Periodic {
    std::string what;
    absl::Duration interval;
    std::function<absl::Status()> task;
    absl::Time next;
  };

  std::string name_;
  bus::NatsBus& bus_;
  std::unique_ptr<pg::Pool> pool_;
  metrics::GaugeHandle pool_in_use_gauge_;
  metrics::GaugeHandle pool_size_gauge_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  bus::Outbox outbox_;
  std::unique_ptr<grpcx::WorkPool> work_pool_;
  std::vector<std::unique_ptr<bus::EventConsumer>> consumers_;
  std::vector<Periodic> periodic_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread maintenance_;
  bool started_ = false;
};

}  // namespace messenger
