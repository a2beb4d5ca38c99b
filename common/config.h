// Typed configuration from MESSENGER_* environment variables. Each binary
// loads one struct in main(); a bad value is reported with the variable's name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace messenger {

class EnvReader {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view)>;
  // Reads the process environment.
  EnvReader();
  // Reads from `lookup` (tests).
  explicit EnvReader(Lookup lookup);

  std::string String(std::string_view name, std::string_view fallback);
  int64_t Int(std::string_view name, int64_t fallback, int64_t min, int64_t max);
  bool Bool(std::string_view name, bool fallback);
  // Value in whole units of `unit` (e.g. seconds), as a Duration.
  absl::Duration Duration(std::string_view name, absl::Duration fallback, absl::Duration unit,
                          int64_t min, int64_t max);

  // Records a value the caller found bad (reported by status()).
  void Invalid(std::string_view name, std::string_view why);

  // OK, or INVALID_ARGUMENT listing every bad variable.
  absl::Status status() const;

 private:
  Lookup lookup_;
  std::vector<std::string> errors_;
};

// Mutual TLS of the internal gRPC calls (common/grpc/transport_security.h):
// PEM files, all three or none. None: plaintext, every caller trusted
// (development only; production sets them, as the k8s overlays do).
struct GrpcTlsConfig {
  std::string cert_file;  // MESSENGER_GRPC_TLS_CERT: this process's certificate (chain)
  std::string key_file;   // MESSENGER_GRPC_TLS_KEY: its private key
  std::string ca_file;    // MESSENGER_GRPC_TLS_CA: the CA that signs every service's certificate
  bool enabled() const { return !cert_file.empty(); }
};

// Settings every process shares.
struct CommonConfig {
  std::string data_dir;        // MESSENGER_DATA_DIR, default "var"
  std::string pg_dsn;          // MESSENGER_PG_DSN
  // MESSENGER_<SERVICE>_PG_DSN, by service name: the all-in-one process can
  // connect each module as its own role.
  std::map<std::string, std::string> service_pg_dsns;
  int pg_pool_size = 8;        // MESSENGER_PG_POOL_SIZE
  std::string nats_url;        // MESSENGER_NATS_URL
  std::string nats_user;       // MESSENGER_NATS_USER
  std::string nats_password;   // MESSENGER_NATS_PASSWORD
  std::string nats_creds;      // MESSENGER_NATS_CREDS: path of a .creds file (JWT + nkey)
  int nats_stream_replicas = 1;  // MESSENGER_NATS_STREAM_REPLICAS of MESSENGER_EVENTS
  // MESSENGER_MIGRATE_ONLY: apply the schema migrations, then exit 0.
  bool migrate_only = false;
  std::string server_name;     // MESSENGER_SERVER_NAME (Matrix), default "localhost"
  std::string log_level;       // MESSENGER_LOG_LEVEL
  int worker_threads = 4;      // MESSENGER_WORKER_THREADS: blocking work per gRPC service
  absl::Duration rpc_timeout;  // MESSENGER_RPC_TIMEOUT_MS: deadline of internal calls
  absl::Duration drain_timeout;  // MESSENGER_DRAIN_TIMEOUT_MS: SIGTERM grace period
  GrpcTlsConfig grpc_tls;        // MESSENGER_GRPC_TLS_*

  static CommonConfig FromEnv(EnvReader& env);
  // The DSN of the service `name` ("auth", ...): its own or MESSENGER_PG_DSN.
  const std::string& PgDsnFor(const std::string& name) const;
};

// The services that own a schema, in start order.
const std::vector<std::string>& ServiceNames();

}  // namespace messenger
