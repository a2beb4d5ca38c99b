#include "messaging-service/src/domain/matrix_sync_token.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace messenger::messaging {
namespace {

constexpr size_t kMaxTokenSize = 1024;

absl::Status NotOurs() {
  return absl::InvalidArgumentError("since is not a sync token this server gave out");
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

template <typename T>
bool Number(std::string_view digits, T* out) {
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  return absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), out);
}

}  // namespace

absl::StatusOr<std::string> EncodeMatrixSyncToken(const MatrixSyncToken& token) {
  std::string out = absl::StrCat("m", token.stream, ".", token.typing);
  for (const auto& [name, cursor] : token.sections) {
    if (!ValidName(name) || cursor < 0) {
      return absl::InvalidArgumentError("a sync section's name or cursor cannot be encoded");
    }
    absl::StrAppend(&out, ".", name, "-", cursor);
  }
  return out;
}

absl::StatusOr<MatrixSyncToken> DecodeMatrixSyncToken(std::string_view text) {
  if (text.size() < 2 || text.size() > kMaxTokenSize || text[0] != 'm') return NotOurs();
  const std::string_view body = text.substr(1);
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(body.data(), body.size()), '.');
  if (parts.size() < 2) return NotOurs();
  MatrixSyncToken token;
  if (!Number(std::string_view(parts[0].data(), parts[0].size()), &token.stream) ||
      !Number(std::string_view(parts[1].data(), parts[1].size()), &token.typing)) {
    return NotOurs();
  }
  for (size_t i = 2; i < parts.size(); ++i) {
    const std::string_view part(parts[i].data(), parts[i].size());
    const size_t dash = part.find('-');
    if (dash == std::string_view::npos) return NotOurs();
    const std::string_view name = part.substr(0, dash);
    int64_t cursor = 0;
    if (!ValidName(name) || !Number(part.substr(dash + 1), &cursor)) return NotOurs();
    if (!token.sections.emplace(std::string(name), cursor).second) return NotOurs();
  }
  return token;
}

absl::StatusOr<int64_t> SectionCursor(std::string_view token, std::string_view section) {
  ASSIGN_OR_RETURN(MatrixSyncToken decoded, DecodeMatrixSyncToken(token));
  auto it = decoded.sections.find(section);
  return it == decoded.sections.end() ? 0 : it->second;
}

std::string EncodeRoomToken(int64_t seq) { return absl::StrCat("r", seq); }

absl::StatusOr<int64_t> DecodeRoomToken(std::string_view text) {
  int64_t seq = 0;
  if (text.size() < 2 || text[0] != 'r' || !Number(text.substr(1), &seq) || seq < 1) {
    return absl::InvalidArgumentError("not a pagination token this server gave out");
  }
  return seq;
}

}  // namespace messenger::messaging
