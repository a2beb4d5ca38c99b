#include "profile-service/src/domain/profile_rules.h"

#include <algorithm>

#include "common/text.h"

namespace messenger::profile {

absl::StatusOr<std::string> NormalizeDisplayName(std::string_view raw) {
  std::string name = text::Trim(raw);
  if (!text::IsValidUtf8(name)) return absl::InvalidArgumentError("display_name is not valid UTF-8");
  if (name.empty()) return absl::InvalidArgumentError("display_name must not be empty");
  if (text::CodePointCount(name) > 64) {
    return absl::InvalidArgumentError("display_name is longer than 64 characters");
  }
  if (text::HasControlCharacters(name)) {
    return absl::InvalidArgumentError("display_name contains control characters");
  }
  return name;
}

absl::StatusOr<std::string> NormalizeAvatarUrl(std::string_view raw) {
  std::string url = text::Trim(raw);
  if (url.empty()) return url;
  const auto bad = [] {
    return absl::InvalidArgumentError("avatar_url must be an mxc:// or https:// URL");
  };
  if (url.size() > 2048 || !text::IsValidUtf8(url) || text::HasControlCharacters(url) ||
      url.find_first_of(" \t\"<>\\") != std::string::npos) {
    return bad();
  }
  std::string_view rest;
  if (url.rfind("mxc://", 0) == 0) {
    rest = std::string_view(url).substr(6);
    // mxc://<server-name>/<media-id>
    const size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) return bad();
  } else if (url.rfind("https://", 0) == 0) {
    rest = std::string_view(url).substr(8);
    if (rest.empty() || rest.front() == '/') return bad();
  } else {
    return bad();
  }
  return url;
}

absl::StatusOr<std::string> NormalizeBio(std::string_view raw) {
  std::string bio = text::Trim(raw);
  if (!text::IsValidUtf8(bio)) return absl::InvalidArgumentError("bio is not valid UTF-8");
  if (text::CodePointCount(bio) > 500) return absl::InvalidArgumentError("bio is longer than 500 characters");
  std::string without_breaks = bio;
  std::replace(without_breaks.begin(), without_breaks.end(), '\n', ' ');
  std::replace(without_breaks.begin(), without_breaks.end(), '\t', ' ');
  if (text::HasControlCharacters(without_breaks)) {
    return absl::InvalidArgumentError("bio contains control characters");
  }
  return bio;
}

absl::StatusOr<std::string> UsernamePrefixPattern(std::string_view query) {
  std::string q = text::ToLowerAscii(text::Trim(query));
  if (q.empty()) return absl::InvalidArgumentError("q must not be empty");
  if (q.size() > 32) return absl::InvalidArgumentError("q is longer than a username can be");
  std::string pattern;
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  return pattern;
}

int ClampSearchLimit(int requested) {
  if (requested <= 0) return 20;
  return std::min(requested, 50);
}

}  // namespace messenger::profile
