// Per-service schema migrations, embedded in the binary (see
// messenger_migrations() in cmake/messenger.cmake) and recorded in
// <schema>.schema_migrations.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/pg/pg.h"

namespace messenger::pg {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The ordered migrations of one component ("auth", "outbox", ...).
struct Migrations {
  std::string_view component;
  std::vector<Migration> list;
};

// Creates the pool's schema if needed and applies, in order and each in its own
// transaction, the migrations not yet recorded. Replicas starting together
// serialize on an advisory lock.
absl::Status Migrate(Pool& pool, const std::vector<const Migrations*>& components);

}  // namespace messenger::pg
