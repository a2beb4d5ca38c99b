// Lenient unpadded base64 decoding for Matrix data.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace messenger::matrix {

// Decodes standard-alphabet base64 (URL-safe with `url_safe`), with or
// without '=' padding. Unlike common/crypto.h's Base64Decode it ignores
// non-zero bits after the last full byte, as Python's decoder and other
// Matrix implementations do: the spec's own test seed
// "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1" has such bits.
std::optional<std::string> DecodeBase64(absl::string_view text, bool url_safe = false);

}  // namespace messenger::matrix
