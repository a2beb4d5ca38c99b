#include "common/service/service_core.h"

#include "common/log.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common_bus_migrations.h"

namespace messenger {

absl::StatusOr<std::unique_ptr<ServiceCore>> ServiceCore::Create(
    const std::string& name, const CommonConfig& config, bus::NatsBus& bus,
    const std::vector<const pg::Migrations*>& migrations) {
  std::unique_ptr<ServiceCore> core(new ServiceCore(name, bus));
  ASSIGN_OR_RETURN(core->pool_, pg::Pool::Create({.dsn = config.PgDsnFor(name),
                                                  .size = config.pg_pool_size,
                                                  .schema = name}));
  std::vector<const pg::Migrations*> all = {&pg::OutboxMigrations()};
  all.insert(all.end(), migrations.begin(), migrations.end());
  RETURN_IF_ERROR(pg::Migrate(*core->pool_, all));
  core->pool_in_use_gauge_ = metrics::Registry::Default().AddGauge(
      "pg_pool_connections_in_use", "PostgreSQL connections lent out", {{"service", name}},
      [pool = core->pool_.get()] { return double(pool->in_use()); });
  core->pool_size_gauge_ = metrics::Registry::Default().AddGauge(
      "pg_pool_size", "PostgreSQL connections a pool may open (MESSENGER_PG_POOL_SIZE)",
      {{"service", name}}, [size = config.pg_pool_size] { return double(size); });
  core->relay_ = std::make_unique<bus::OutboxRelay>(*core->pool_, bus,
                                                    bus::OutboxRelay::Options{.service = name});
  core->outbox_ = bus::Outbox(core->relay_->Handoff());
  core->work_pool_ = std::make_unique<grpcx::WorkPool>(name + "-work", config.worker_threads);
  return core;
}

ServiceCore::~ServiceCore() { Stop(); }

void ServiceCore::AddConsumer(const std::string& what, const std::string& subject,
                              bus::EventConsumer::Handler handler) {
  consumers_.push_back(std::make_unique<bus::EventConsumer>(
      bus_, *pool_, bus::EventConsumer::Options{.durable = name_ + "_" + what, .subject = subject},
      std::move(handler)));
}

void ServiceCore::AddPeriodic(const std::string& what, absl::Duration interval,
                              std::function<absl::Status()> task) {
  periodic_.push_back({what, interval, std::move(task), absl::Now() + interval});
}

void ServiceCore::Start() {
  if (started_) return;
  started_ = true;
  relay_->Start();
  for (auto& consumer : consumers_) consumer->Start();
  maintenance_ = std::thread([this] { RunMaintenance(); });
}

void ServiceCore::Stop() {
  if (!started_) return;
  started_ = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  for (auto& consumer : consumers_) consumer->Stop();
  work_pool_->Stop();
  relay_->Stop();
}

absl::Status ServiceCore::Ready() {
  RETURN_IF_ERROR(pool_->Ping());
  if (!bus_.connected()) return absl::UnavailableError("nats: not connected");
  return absl::OkStatus();
}

void ServiceCore::RunMaintenance() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    absl::Time next = absl::Now() + absl::Minutes(1);
    for (Periodic& p : periodic_) {
      if (absl::Now() >= p.next) {
        lock.unlock();
        absl::Status status = p.task();
        lock.lock();
        if (!status.ok()) {
          log::Warn("maintenance task failed",
                    {{"service", name_}, {"task", p.what}, {"error", std::string(status.message())}});
        }
        p.next = absl::Now() + p.interval;
      }
      next = std::min(next, p.next);
    }
    wake_.wait_for(lock, absl::ToChronoNanoseconds(next - absl::Now()), [&] { return stopping_; });
  }
}

}  // namespace messenger
