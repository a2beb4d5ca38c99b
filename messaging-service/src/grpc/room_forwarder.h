// Sends a room write to the replica that owns the room's shard: the same
// public method, marked as forwarded (the owner runs it, never forwards it
// again), with the caller's deadline and trace. The request itself carries
// the caller's identity (the gateway authenticated it).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "common/lru_cache.h"
#include "messaging-service/src/sharding/lease_holder.h"
#include "messenger/messaging/v1/messaging.grpc.pb.h"

namespace messenger::messaging {

class RoomForwarder {
 public:
  using Stub = v1::MessagingService::Stub;
  // Starts the forwarded call on `stub`; `done` gets its status.
  using Call =
      std::function<void(Stub& stub, grpc::ClientContext*, std::function<void(grpc::Status)> done)>;

  // `leases` nullptr: one replica, everything runs here.
  RoomForwarder(LeaseHolder* leases, absl::Duration default_timeout)
      : leases_(leases), default_timeout_(default_timeout), stubs_("messaging_forward_stubs", 64) {}

  // True: the owner runs the call and `reactor` is finished with its answer
  // (UNAVAILABLE, retryable, when the owner went away). False: run it here
  // (owned here, a forwarded call, or a shard nobody holds, taken if free).
  bool Forward(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
               const std::string& room_id, const Call& call);

 private:
  std::shared_ptr<Stub> StubFor(const std::string& address);

  LeaseHolder* leases_;
  absl::Duration default_timeout_;
  LruCache<std::string, std::shared_ptr<Stub>> stubs_;  // owner address -> stub
};

}  // namespace messenger::messaging
