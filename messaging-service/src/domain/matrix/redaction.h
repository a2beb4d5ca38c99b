// The redaction algorithm of room versions 9 and 10 (spec
// rooms/fragments/v9-redactions.md; v10 keeps it unchanged).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace messenger::matrix {

// A copy of `event` keeping only the protocol-essential keys. Differences
// from v11 that matter here: top-level `origin`, `membership` and
// `prev_state` survive; m.room.create keeps only `creator`;
// m.room.power_levels does not keep `invite`; `unsigned` is dropped.
absl::StatusOr<nlohmann::json> RedactEvent(const nlohmann::json& event);

// The content of an m.room.redaction event: the reason, when given.
nlohmann::json RedactionContent(const std::optional<std::string>& reason);

}  // namespace messenger::matrix
