#include "common/pg/migrations.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status.h"

namespace messenger::pg {
namespace {

constexpr Query kLock{"migrate_lock", "SELECT pg_advisory_lock(hashtext($1))"};
constexpr Query kUnlock{"migrate_unlock", "SELECT pg_advisory_unlock(hashtext($1))"};
constexpr Query kSchemaExists{"migrate_schema_exists",
                              "SELECT 1 FROM pg_namespace WHERE nspname = $1"};
constexpr Query kApplied{"migrate_applied",
                         "SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2"};
constexpr Query kRecord{"migrate_record",
                        "INSERT INTO schema_migrations (component, version, name) "
                        "VALUES ($1, $2, $3)"};

absl::Status ApplyAll(Conn& conn, const std::string& schema,
                      const std::vector<const Migrations*>& components) {
  // A service role may own its schema without the right to create schemas
  // (the bootstrap made it), and CREATE SCHEMA IF NOT EXISTS checks that right first.
  ASSIGN_OR_RETURN(Result exists, conn.Exec(kSchemaExists, {schema}));
  if (exists.rows() == 0) {
    RETURN_IF_ERROR(conn.ExecScript(absl::StrCat("CREATE SCHEMA \"", schema, "\"")));
  }
  RETURN_IF_ERROR(conn.ExecScript(absl::StrCat(
      "CREATE TABLE IF NOT EXISTS \"", schema,
      "\".schema_migrations (component text NOT NULL, version int NOT NULL, name text NOT NULL, "
      "applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))")));
  for (const Migrations* component : components) {
    for (const Migration& m : component->list) {
      const std::string name(component->component);
      ASSIGN_OR_RETURN(Result applied, conn.Exec(kApplied, {name, m.version}));
      if (applied.rows() > 0) continue;
      RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
      absl::Status status = conn.ExecScript(m.sql);
      if (status.ok()) status = conn.Exec(kRecord, {name, m.version, std::string(m.name)}).status();
      if (status.ok()) status = conn.ExecScript("COMMIT");
      if (!status.ok()) {
        (void)conn.ExecScript("ROLLBACK");
        return absl::Status(status.code(), absl::StrCat("migration ", name, " V", m.version, " ",
                                                        std::string(m.name), ": ", status.message()));
      }
      log::Info("migration applied",
                {{"schema", schema}, {"component", name}, {"version", m.version}, {"name", std::string(m.name)}});
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Migrate(Pool& pool, const std::vector<const Migrations*>& components) {
  const std::string schema = pool.options().schema;
  return pool.WithConnection([&](Conn& conn) -> absl::Status {
    const std::string lock_key = "messenger_migrate:" + schema;
    RETURN_IF_ERROR(conn.Exec(kLock, {lock_key}).status());
    absl::Status status = ApplyAll(conn, schema, components);
    (void)conn.Exec(kUnlock, {lock_key});
    return status;
  });
}

}  // namespace messenger::pg
