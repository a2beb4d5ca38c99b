// Canonical JSON: ParseJson never throws, a parsed value always has a
// canonical form, and that form is a fixed point (parse + encode gives it
// back byte for byte). CanonicalJson of a value from the lenient parser
// (floats, huge integers) answers an error instead of crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "messaging-service/src/domain/matrix/canonical_json.h"

using messenger::matrix::CanonicalJson;
using messenger::matrix::ParseJson;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  nlohmann::json lenient = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!lenient.is_discarded()) (void)CanonicalJson(lenient);

  absl::StatusOr<nlohmann::json> parsed = ParseJson(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  absl::StatusOr<std::string> canonical = CanonicalJson(*parsed);
  if (!canonical.ok()) std::abort();  // ParseJson accepted something it cannot encode
  absl::StatusOr<nlohmann::json> again = ParseJson(*canonical);
  if (!again.ok()) std::abort();
  absl::StatusOr<std::string> twice = CanonicalJson(*again);
  if (!twice.ok() || *twice != *canonical) std::abort();
  return 0;
}
