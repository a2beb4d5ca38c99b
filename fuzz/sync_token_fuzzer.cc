// The /v1/sync `since` token on its way: the gateway takes it from the query
// string (percent-decoded) and compares it with the last `next` it handed out
// (SyncMemo); messaging decodes it (DecodeSyncToken). A token that decodes
// names a position that encodes back to an equivalent token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/http/http_server.h"
#include "gateway/src/sync_memo.h"
#include "messaging-service/src/domain/conversation_rules.h"

namespace {

using messenger::messaging::DecodeSyncToken;
using messenger::messaging::EncodeSyncToken;

void CheckToken(const std::string& token) {
  absl::StatusOr<int64_t> position = DecodeSyncToken(token);
  if (!position.ok()) {
    if (position.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return;
  }
  if (*position < 0) std::abort();
  absl::StatusOr<int64_t> again = DecodeSyncToken(EncodeSyncToken(*position));
  if (!again.ok() || *again != *position) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckToken(text);

  messenger::http::Request request;
  request.method = "GET";
  request.path = "/v1/sync";
  request.query = text;
  const std::string since = request.QueryParam("since").value_or("");
  (void)request.QueryParam("timeout_ms");
  if (!since.empty()) CheckToken(since);

  messenger::gateway::SyncMemo memo(/*max_users=*/4);
  memo.Remember("u", since, 7);
  if (!memo.NothingSince("u", since, 7) || memo.NothingSince("u", since, 8)) std::abort();
  memo.Forget("u");
  if (memo.NothingSince("u", since, 7)) std::abort();
  return 0;
}
