#include "messaging-service/src/grpc/room_forwarder.h"

#include "common/grpc/grpc_util.h"
#include "common/metrics.h"
#include "common/trace.h"
#include "messaging-service/src/sharding/shard_plan.h"

namespace messenger::messaging {
namespace {

// Present on a call another replica forwarded: run it, whoever owns the room.
constexpr char kForwardedKey[] = "x-messenger-forwarded-by";

}  // namespace

std::shared_ptr<RoomForwarder::Stub> RoomForwarder::StubFor(const std::string& address) {
  if (std::optional<std::shared_ptr<Stub>> known = stubs_.Get(address)) return *known;
  std::shared_ptr<Stub> stub =
      v1::MessagingService::NewStub(grpcx::CreateChannel(address, "messaging"));
  stubs_.Put(address, stub);
  return stub;
}

bool RoomForwarder::Forward(grpc::CallbackServerContext* context,
                            grpc::ServerUnaryReactor* reactor, const std::string& room_id,
                            const Call& call) {
  static metrics::Counter& forwarded = metrics::Registry::Default().GetCounter(
      "messaging_forwarded_total", "Room writes sent to the replica owning the room", {});
  static metrics::Counter& owner_gone = metrics::Registry::Default().GetCounter(
      "messaging_forward_unavailable_total", "Forwarded writes whose owner could not answer", {});
  if (leases_ == nullptr || room_id.empty()) return false;
  if (context->client_metadata().count(kForwardedKey)) return false;  // one hop at most
  const int shard = ShardOf(room_id);
  LeaseHolder::Owner owner = leases_->OwnerOf(shard);
  if (owner.here) return false;
  if (owner.address.empty()) {
    // Nobody holds it: take it. When that fails (taken a moment ago) the
    // write still runs here; the row lock and the seq check keep the room
    // right with two writers, and the next round learns the owner.
    leases_->TryTake(shard);
    return false;
  }
  std::shared_ptr<Stub> stub = StubFor(owner.address);
  auto client = std::make_shared<grpc::ClientContext>();
  if (context->deadline() == std::chrono::system_clock::time_point::max()) {
    client->set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoNanoseconds(default_timeout_));
  } else {
    client->set_deadline(context->deadline());
  }
  client->AddMetadata(kForwardedKey, leases_->replica_id());
  forwarded.Inc();
  trace::ScopedTrace scoped(grpcx::TraceIdFrom(*context));  // the interceptor passes it on
  call(*stub, client.get(), [this, reactor, client, stub](grpc::Status status) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {  // retryable as it is
      owner_gone.Inc();
      leases_->Recheck();
    }
    reactor->Finish(status);
  });
  return true;
}

}  // namespace messenger::messaging
