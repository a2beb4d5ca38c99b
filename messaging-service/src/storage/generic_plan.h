// Statements run on their generic plan: for reads whose custom plans cost
// as much to make as to run (PostgreSQL keeps making them when its
// estimates rate the generic plan costlier), made once per connection.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/pg.h"
#include "common/status.h"

namespace messenger::messaging {

// `query` with plan_cache_mode = force_generic_plan for this statement only:
// other statements keep their choice.
inline absl::StatusOr<pg::Result> ExecOnGenericPlan(pg::Pool& pool, const pg::Query& query,
                                                    const std::vector<pg::Param>& params) {
  absl::StatusOr<pg::Result> out = absl::UnknownError("not run");
  RETURN_IF_ERROR(pool.WithConnection([&](pg::Conn& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.ExecScript("SET plan_cache_mode = force_generic_plan"));
    out = conn.Exec(query, params);
    const absl::Status reset = conn.ExecScript("RESET plan_cache_mode");
    return out.ok() ? reset : out.status();
  }));
  return out;
}

}  // namespace messenger::messaging
