// The reference web client's files under /app/ (MESSENGER_WEB_DIR): only
// regular files inside the directory (no "..", no dot files, no symlinks
// leading out), a known content type, at most kMaxFileBytes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/http/http_server.h"

namespace messenger::gateway {

class StaticFiles {
 public:
  static constexpr size_t kMaxFileBytes = 2 << 20;
  static constexpr std::string_view kPrefix = "/app/";

  // Fails when `root` is not a directory.
  static absl::StatusOr<StaticFiles> Open(const std::string& root);

  // For a GET or HEAD of a path under kPrefix (percent-encoded, as it came);
  // "/app" redirects to "/app/", a directory name means its index.html.
  http::Response Serve(std::string_view method, std::string_view path) const;

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  std::string root_;  // canonical
};

// The Content-Type for a file name ("" when not one we serve).
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace messenger::gateway
