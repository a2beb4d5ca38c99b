#include "common/grpc/transport_security.h"

#include <fstream>
#include <sstream>

#include <grpcpp/security/auth_metadata_processor.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc/caller_policy.h"
#include "common/log.h"
#include "common/metrics.h"

namespace messenger::grpcx {
namespace {

constexpr char kSanProperty[] = "x509_subject_alternative_name";

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* variable) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(variable, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(variable, ": ", path, " is not PEM"));
  }
  return text.str();
}

// Runs for each call on a TLS port (the client certificate was verified by
// then): the caller named in it may call the method's service, or the call
// ends with PERMISSION_DENIED before any handler sees its request.
class CallerCheck final : public grpc::AuthMetadataProcessor {
 public:
  bool IsBlocking() const override { return false; }  // a table lookup

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    auto path = metadata.find(":path");
    const std::string method =
        path == metadata.end() ? "" : std::string(path->second.data(), path->second.size());
    std::vector<std::string> names;
    for (const grpc::string_ref& name : context->FindPropertyValues(kSanProperty)) {
      names.emplace_back(name.data(), name.size());
    }
    const std::optional<std::string> caller = CallerName(names);
    absl::Status allowed = CheckCaller(method, caller);
    if (allowed.ok()) return grpc::Status::OK;
    metrics::Registry::Default()
        .GetCounter("grpc_server_refused_callers_total",
                    "gRPC calls refused: the caller's certificate may not call the service",
                    {{"caller", caller.value_or("none")}})
        .Inc();
    log::Warn("grpc call refused", {{"method", method},
                                    {"caller", caller.value_or("")},
                                    {"error", std::string(allowed.message())}});
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(allowed.message()));
  }
};

TransportSecurity& ProcessSetting() {
  static TransportSecurity* setting = new TransportSecurity();
  return *setting;
}

}  // namespace

absl::StatusOr<TransportSecurity> TransportSecurity::Load(const GrpcTlsConfig& config) {
  TransportSecurity security;
  if (!config.enabled()) return security;
  auto cert = ReadPem(config.cert_file, "MESSENGER_GRPC_TLS_CERT");
  if (!cert.ok()) return cert.status();
  auto key = ReadPem(config.key_file, "MESSENGER_GRPC_TLS_KEY");
  if (!key.ok()) return key.status();
  auto ca = ReadPem(config.ca_file, "MESSENGER_GRPC_TLS_CA");
  if (!ca.ok()) return ca.status();
  security.cert_ = std::move(*cert);
  security.key_ = std::move(*key);
  security.ca_ = std::move(*ca);
  return security;
}

std::shared_ptr<grpc::ServerCredentials> TransportSecurity::ServerCredentials() const {
  if (!tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca_;
  options.pem_key_cert_pairs.push_back({.private_key = key_, .cert_chain = cert_});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(options);
  credentials->SetAuthMetadataProcessor(std::make_shared<CallerCheck>());
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> TransportSecurity::ChannelCredentials(
    std::string_view service, grpc::ChannelArguments& args) const {
  if (!tls()) return grpc::InsecureChannelCredentials();
  args.SetSslTargetNameOverride(IdentityName(service));
  return grpc::SslCredentials(
      {.pem_root_certs = ca_, .pem_private_key = key_, .pem_cert_chain = cert_});
}

void SetProcessTransportSecurity(TransportSecurity security) {
  ProcessSetting() = std::move(security);
}

const TransportSecurity& ProcessTransportSecurity() { return ProcessSetting(); }

}  // namespace messenger::grpcx
