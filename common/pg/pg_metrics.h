// Metrics of common/pg, named here so that tests can read them.
#pragma once

namespace messenger::pg {

// Statements sent (Conn::Exec, prepared or not; not BEGIN/COMMIT): round
// trips per request show in tests and on /metrics (issue 15).
inline constexpr char kStatementsMetric[] = "messenger_pg_statements_total";

}  // namespace messenger::pg
