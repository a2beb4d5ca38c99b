#include "messaging-service/src/writer/commit_announcer.h"

#include "common/crypto.h"
#include "nlohmann/json.hpp"

namespace messenger::messaging {

CommitAnnouncer::CommitAnnouncer(WakeLog& log, WaitHub& hub)
    : log_(log), hub_(hub), writer_id_(HexEncode(SecureRng::Instance().Bytes(8))) {}

void CommitAnnouncer::Committed(const std::vector<std::string>& readers) {
  if (readers.empty()) return;
  log_.Heard(readers);
  if (publish_) {
    nlohmann::json payload = readers;
    payload.push_back({{"writer", writer_id_}});
    publish_(payload.dump());
  }
  hub_.Notify(readers);
}

void CommitAnnouncer::Woke(const std::vector<std::string>& readers) {
  if (readers.empty()) return;
  if (publish_) {
    nlohmann::json payload = readers;
    payload.push_back({{"writer", writer_id_}, {"ephemeral", true}});
    publish_(payload.dump());
  }
  hub_.Notify(readers);
}

void CommitAnnouncer::OnCommit(pg::Tx& tx, std::vector<std::string> readers) {
  tx.AfterCommit([this, readers = std::move(readers)] { Committed(readers); });
}

void CommitAnnouncer::Heard(std::string_view payload) {
  const nlohmann::json json = nlohmann::json::parse(payload, nullptr, false);
  if (!json.is_array()) return;
  std::vector<std::string> readers;
  for (const auto& item : json) {
    if (item.is_string()) {
      readers.push_back(item.get<std::string>());
    } else if (item.is_object()) {
      const auto writer = item.find("writer");
      if (writer != item.end() && writer->is_string() && *writer == writer_id_) return;
      const auto ephemeral = item.find("ephemeral");
      if (ephemeral != item.end() && ephemeral->is_boolean() && ephemeral->get<bool>()) return;
    }
  }
  if (readers.empty()) return;
  log_.Heard(readers);
  hub_.Notify(readers);
}

}  // namespace messenger::messaging
