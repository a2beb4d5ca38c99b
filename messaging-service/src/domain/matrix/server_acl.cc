#include "messaging-service/src/domain/matrix/server_acl.h"

#include <cctype>

#include "absl/strings/ascii.h"

namespace messenger::matrix {
namespace {

// The host without a port: "[::1]:8448" -> "[::1]", "a.b:80" -> "a.b".
absl::string_view HostOf(absl::string_view server_name) {
  if (!server_name.empty() && server_name.front() == '[') {
    const size_t close = server_name.find(']');
    return close == absl::string_view::npos ? server_name : server_name.substr(0, close + 1);
  }
  return server_name.substr(0, server_name.find(':'));
}

bool IsIpv4(absl::string_view host) {
  int parts = 0;
  size_t digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c)) && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

// Whether any string entry of content[field] matches `host`.
bool AnyMatches(const nlohmann::json& content, const char* field, absl::string_view host) {
  const auto list = content.find(field);
  if (list == content.end() || !list->is_array()) return false;
  for (const nlohmann::json& entry : *list) {
    if (entry.is_string() && GlobMatches(entry.get_ref<const std::string&>(), host)) return true;
  }
  return false;
}

}  // namespace

bool GlobMatches(absl::string_view pattern, absl::string_view text) {
  // Iterative matching with one backtrack point: linear in practice, never
  // exponential on patterns like "*a*a*a*b".
  size_t p = 0, t = 0, star = absl::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || absl::ascii_tolower(pattern[p]) == absl::ascii_tolower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool IsIpLiteral(absl::string_view server_name) {
  const absl::string_view host = HostOf(server_name);
  return (host.size() > 2 && host.front() == '[' && host.back() == ']') || IsIpv4(host);
}

bool AclAllows(const Event* acl, absl::string_view server_name) {
  if (acl == nullptr) return true;
  const nlohmann::json& content = acl->content();
  if (!content.is_object()) return false;
  const auto ip = content.find("allow_ip_literals");
  const bool allow_ip = ip == content.end() || !ip->is_boolean() || ip->get<bool>();
  if (!allow_ip && IsIpLiteral(server_name)) return false;
  const absl::string_view host = HostOf(server_name);
  if (AnyMatches(content, "deny", host)) return false;
  return AnyMatches(content, "allow", host);
}

}  // namespace messenger::matrix
