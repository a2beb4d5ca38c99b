// Status helpers for code that returns absl::Status / absl::StatusOr.
// abseil 20220623 has no status macros; these are the project's.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MESSENGER_STATUS_CONCAT_INNER(a, b) a##b
#define MESSENGER_STATUS_CONCAT(a, b) MESSENGER_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::absl::Status messenger_status_ = (expr);        \
    if (!messenger_status_.ok()) return messenger_status_; \
  } while (0)

// `lhs = value of expr`, or returns its status when not OK.
#define ASSIGN_OR_RETURN(lhs, expr) \
  MESSENGER_ASSIGN_OR_RETURN_IMPL(MESSENGER_STATUS_CONCAT(messenger_statusor_, __LINE__), lhs, expr)

#define MESSENGER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return std::move(tmp).status();        \
  lhs = std::move(tmp).value()
