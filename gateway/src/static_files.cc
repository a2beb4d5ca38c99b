#include "gateway/src/static_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/http/percent.h"

namespace messenger::gateway {
namespace {

namespace fs = std::filesystem;

http::Response NotFound() {
  return http::Response::Error(404, absl::StatusCode::kNotFound, "no such file");
}

bool SafeSegment(absl::string_view segment) {
  if (segment.empty() || segment.front() == '.') return false;  // "..", dot files
  for (char c : segment) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (file_name.ends_with(ext)) return type;
  }
  return {};
}

absl::StatusOr<StaticFiles> StaticFiles::Open(const std::string& root) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("MESSENGER_WEB_DIR: ", root, " is not a directory"));
  }
  return StaticFiles(canonical.string());
}

http::Response StaticFiles::Serve(std::string_view method, std::string_view path) const {
  if (method != "GET" && method != "HEAD") {
    http::Response r = http::Response::Error(405, absl::StatusCode::kUnimplemented,
                                             "the web app is read-only");
    r.SetHeader("Allow", "GET, HEAD");
    return r;
  }
  if (path == kPrefix.substr(0, kPrefix.size() - 1)) {
    http::Response r = http::Response::Empty(301);
    r.SetHeader("Location", std::string(kPrefix));
    return r;
  }
  std::string relative = http::PercentDecode(path.substr(kPrefix.size()));
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  for (absl::string_view segment : absl::StrSplit(relative, '/')) {
    if (!SafeSegment(segment)) return NotFound();
  }
  const std::string_view type = ContentTypeFor(relative);
  if (type.empty()) return NotFound();
  // A symlink must not lead out of the directory.
  std::error_code ec;
  const fs::path file = fs::canonical(fs::path(root_) / relative, ec);
  if (ec || !absl::StartsWith(file.string(), root_ + "/") || !fs::is_regular_file(file, ec)) {
    return NotFound();
  }
  const auto size = fs::file_size(file, ec);
  if (ec) return NotFound();
  if (size > kMaxFileBytes) {
    return http::Response::Error(404, absl::StatusCode::kNotFound, "file too large to serve");
  }
  std::ifstream in(file, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return NotFound();
  http::Response r;
  r.status = 200;
  r.SetHeader("Content-Type", std::string(type));
  r.SetHeader("Cache-Control", "no-cache");
  r.SetHeader("X-Content-Type-Options", "nosniff");
  if (method == "GET") r.body = std::move(body);
  return r;
}

}  // namespace messenger::gateway
