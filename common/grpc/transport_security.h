// Mutual TLS of the internal gRPC calls, built in one place from
// MESSENGER_GRPC_TLS_* (GrpcTlsConfig): every server requires a client
// certificate signed by the CA and accepts a call only from the callers
// common/grpc/caller_policy.h allows for its service; every channel presents
// this process's certificate and checks that the server's names the service
// it meant to reach. Without the configuration: plaintext and no caller check
// (development only).
//
// Certificates are read once at start: rotating them means restarting the
// pods (k8s/README.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config.h"

namespace messenger::grpcx {

class TransportSecurity {
 public:
  // Plaintext (no configuration).
  TransportSecurity() = default;
  // Reads the PEM files of `config` (plaintext when it is not enabled); an
  // unreadable or non-PEM file is an error naming its variable.
  static absl::StatusOr<TransportSecurity> Load(const GrpcTlsConfig& config);

  bool tls() const { return !cert_.empty(); }
  // For a listening port: TLS with client certificates required and the
  // caller policy applied to each call.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // For a channel; with TLS, `args` get the name the server's certificate
  // must carry: IdentityName(`service`) ("contact" -> contact.messenger.svc),
  // whatever address reaches it (a pod IP, a headless Service).
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(std::string_view service,
                                                               grpc::ChannelArguments& args) const;

 private:
  std::string cert_, key_, ca_;
};

// The process's setting: Lifecycle sets it from the common configuration
// before any server or channel exists (GrpcServer::Start and CreateChannel
// use it); plaintext until then.
void SetProcessTransportSecurity(TransportSecurity security);
const TransportSecurity& ProcessTransportSecurity();

}  // namespace messenger::grpcx
