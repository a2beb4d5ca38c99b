#include "tests/e2e/event_checks.h"

#include <gtest/gtest.h>
#include <nats/nats.h>

#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "common/pg/pg.h"
#include "common/status.h"
#include "common/testing/testing.h"
#include "common/trace.h"
#include "tests/e2e/messenger_process.h"

namespace messenger::e2e {
namespace {

// api.md, "Events": the data fields of each subject.
const std::map<std::string, std::set<std::string>>& DataFields() {
  static const auto* fields = new std::map<std::string, std::set<std::string>>{
      {"user.created", {"user_id", "username", "email", "created_at"}},
      {"user.email_verified", {"user_id", "email", "verified_at"}},
      {"user.deactivated", {"user_id", "erase", "deactivated_at"}},
      {"session.created", {"session_id", "user_id", "device_name", "created_at"}},
      {"session.revoked", {"session_id", "user_id", "reason", "revoked_at"}},
      {"profile.updated", {"user_id", "display_name", "avatar_url", "bio", "updated_at"}},
      {"friendship.created", {"requester_id", "addressee_id", "created_at", "remote_matrix_id"}},
      {"friendship.accepted",
       {"user_a", "user_b", "accepted_at", "accepted_by", "remote_matrix_id"}},
      {"friendship.removed", {"user_a", "user_b", "removed_by", "removed_at", "remote_matrix_id"}},
      {"message.sent",
       {"message_id", "conversation_id", "sender_id", "seq", "recipients", "sent_at"}},
      {"message.seen", {"conversation_id", "user_id", "seq", "seen_at"}},
      {"message.edited",
       {"message_id", "conversation_id", "sender_id", "seq", "recipients", "edited_at"}},
      {"message.deleted",
       {"message_id", "conversation_id", "sender_id", "seq", "recipients", "deleted_by",
        "deleted_at"}},
      {"conversation.member_added", {"conversation_id", "user_id", "added_by", "added_at"}},
      {"conversation.member_removed",
       {"conversation_id", "user_id", "removed_by", "reason", "removed_at"}},
      {"conversation.updated", {"conversation_id", "updated_by", "fields", "updated_at"}},
  };
  return *fields;
}

// The service that publishes each subject's events (by its first part).
std::string SourceOf(const std::string& type) {
  static const auto* sources = new std::map<std::string, std::string>{
      {"user", "auth"},          {"session", "session"},   {"profile", "profile"},
      {"friendship", "contact"}, {"message", "messaging"}, {"conversation", "messaging"},
  };
  auto it = sources->find(type.substr(0, type.find('.')));
  return it == sources->end() ? "" : it->second;
}

// Fields that hold a user or session id (uuids), and the int64 sequence
// numbers (strings in the protobuf JSON mapping).
const std::set<std::string> kUuidFields = {"user_id", "session_id", "requester_id", "addressee_id",
                                           "user_a",  "user_b",     "removed_by",   "sender_id",
                                           "deleted_by", "added_by", "updated_by"};

bool IsUuidValue(const nlohmann::json& v) { return v.is_string() && IsUuid(v.get<std::string>()); }

void DataProblems(const std::string& type, const nlohmann::json& data,
                  std::vector<std::string>& problems) {
  auto add = [&](const std::string& what) { problems.push_back(type + ": " + what); };
  if (!data.is_object()) return add("data is not an object");
  auto it = DataFields().find(type);
  if (it == DataFields().end()) return add("a type api.md does not list");
  std::set<std::string> keys;
  for (const auto& [key, value] : data.items()) keys.insert(key);
  if (keys != it->second) {
    add(absl::StrCat("data fields {", absl::StrJoin(keys, ","), "}, api.md lists {",
                     absl::StrJoin(it->second, ","), "}"));
  }
  for (const auto& [key, value] : data.items()) {
    const bool time = key.size() > 3 && key.compare(key.size() - 3, 3, "_at") == 0;
    if (time && !IsRfc3339Utc(value)) add(key + " is not an RFC 3339 UTC time: " + value.dump());
    if (kUuidFields.count(key) && !IsUuidValue(value)) add(key + " is not a uuid: " + value.dump());
  }
  if (data.contains("seq") &&
      !(data["seq"].is_string() &&
        std::regex_match(data["seq"].get<std::string>(), std::regex("[1-9][0-9]*")))) {
    add("seq is not a positive int64 string: " + data["seq"].dump());
  }
  if (data.contains("message_id") && !(data["message_id"].is_string() &&
                                       data["message_id"].get<std::string>().rfind('$', 0) == 0)) {
    add("message_id is not a Matrix event id: " + data["message_id"].dump());
  }
  if (data.contains("conversation_id") &&
      !(data["conversation_id"].is_string() &&
        std::regex_match(data["conversation_id"].get<std::string>(), std::regex("![^:]+:.+")))) {
    add("conversation_id is not a room id: " + data["conversation_id"].dump());
  }
  if (data.contains("recipients")) {
    const auto& r = data["recipients"];
    // Empty is valid: the sender may be a group's last member.
    if (!r.is_array()) add("recipients is not an array");
    for (const auto& v : r.is_array() ? r : nlohmann::json::array()) {
      if (!IsUuidValue(v)) add("a recipient is not a uuid: " + v.dump());
    }
  }
  if (data.contains("reason")) {
    // session.revoked's, and conversation.member_removed's.
    static const std::set<std::string> kReasons = {"logout", "revoked", "refresh_reuse",
                                                   "deactivated"};
    static const std::set<std::string> kLeaveReasons = {"left", "removed"};
    const auto& reasons = type == "conversation.member_removed" ? kLeaveReasons : kReasons;
    if (!data["reason"].is_string() || !reasons.count(data["reason"].get<std::string>())) {
      add("reason not in api.md: " + data["reason"].dump());
    }
  }
}

absl::StatusOr<int64_t> PendingRows(pg::Pool& pool) {
  // One count over every schema's outbox table (each service has its own).
  static constexpr pg::Query kPending{
      "e2e_outbox_pending",
      "SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format("
      "'SELECT count(*) AS n FROM %I.outbox', table_schema), false, true, '')))[1]::text::bigint), "
      "0), count(*) FROM information_schema.tables WHERE table_name = 'outbox'",
      /*plan_each_time=*/true};
  ASSIGN_OR_RETURN(pg::Result result, pool.Exec(kPending));
  if (result.GetInt64(0, 1) == 0) return absl::FailedPreconditionError("no outbox table");
  return result.GetInt64(0, 0);
}

std::map<std::string, int> CountByType(const std::vector<StoredEvent>& events) {
  std::map<std::string, int> count;
  for (const StoredEvent& e : events) ++count[e.subject];
  return count;
}

bool AtLeast(const std::map<std::string, int>& have, const std::map<std::string, int>& want) {
  for (const auto& [type, n] : want) {
    auto it = have.find(type);
    if (it == have.end() || it->second < n) return false;
  }
  return true;
}

std::string Describe(const std::map<std::string, int>& count) {
  return absl::StrJoin(count, ", ", absl::PairFormatter("="));
}

}  // namespace

bool IsRfc3339Utc(const nlohmann::json& value) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)");
  if (!value.is_string() || !std::regex_match(value.get<std::string>(), kTime)) return false;
  absl::Time t;
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &err);
}

absl::Time JsonTime(const nlohmann::json& value) {
  absl::Time t;
  std::string err;
  if (!value.is_string() ||
      !absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

absl::StatusOr<std::vector<StoredEvent>> ReadStoredEvents(bus::NatsBus& bus) {
  jsStreamInfo* info = nullptr;
  jsErrCode js_err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, bus.jetstream(), bus::kStreamName, nullptr, &js_err);
  if (s != NATS_OK) return bus::NatsError(s, "stream info", js_err);
  const uint64_t first = info->State.FirstSeq, last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  std::vector<StoredEvent> out;
  for (uint64_t seq = first; seq <= last && seq > 0; ++seq) {
    natsMsg* msg = nullptr;
    s = js_GetMsg(&msg, bus.jetstream(), bus::kStreamName, seq, nullptr, &js_err);
    if (s == NATS_NOT_FOUND || js_err == JSNoMessageFoundErr) continue;  // deleted
    if (s != NATS_OK) return bus::NatsError(s, "get message", js_err);
    StoredEvent e;
    e.seq = seq;
    e.subject = natsMsg_GetSubject(msg);
    const char* id = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) e.msg_id = id;
    const char* traceparent = nullptr;
    if (natsMsgHeader_Get(msg, "traceparent", &traceparent) == NATS_OK && traceparent != nullptr) {
      e.traceparent = traceparent;
    }
    const std::string_view payload(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    e.envelope = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    auto event = bus::Event::FromJson(payload);
    if (event.ok()) {
      e.event = std::move(*event);
      e.parsed = true;
    }
    natsMsg_Destroy(msg);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<int64_t> PendingOutboxRows(const std::string& dsn) {
  ASSIGN_OR_RETURN(auto pool, pg::Pool::Create({.dsn = dsn, .size = 1}));
  return PendingRows(*pool);
}

std::vector<std::string> EnvelopeProblems(const StoredEvent& stored, absl::Time not_before,
                                          absl::Time not_after) {
  std::vector<std::string> problems;
  const std::string where = absl::StrCat("seq ", stored.seq, " (", stored.subject, ")");
  auto add = [&](const std::string& what) { problems.push_back(where + ": " + what); };
  const nlohmann::json& env = stored.envelope;
  if (!env.is_object()) {
    add("not a JSON object");
    return problems;
  }
  std::set<std::string> keys;
  for (const auto& [key, value] : env.items()) keys.insert(key);
  const std::set<std::string> kEnvelope = {"id", "type", "source", "time", "trace_id", "data"};
  if (keys != kEnvelope) add("envelope fields {" + absl::StrJoin(keys, ",") + "}");
  auto text = [&](const char* key) {
    return env.contains(key) && env[key].is_string() ? env[key].get<std::string>() : "";
  };
  const std::string id = text("id"), type = text("type"), source = text("source");
  if (!IsUuid(id)) add("id is not a uuid: " + id);
  if (stored.msg_id != id) add("Nats-Msg-Id '" + stored.msg_id + "' is not the id " + id);
  if (stored.subject != type) add("subject is not the type " + type);
  if (source != SourceOf(type)) add("source " + source + ", expected " + SourceOf(type));
  const nlohmann::json time = env.value("time", nlohmann::json());
  if (!IsRfc3339Utc(time)) {
    add("time is not an RFC 3339 UTC time: " + time.dump());
  } else if (!stored.parsed || stored.event.time < not_before || stored.event.time > not_after) {
    add("time " + time.dump() + " outside the test");
  }
  // Empty when the change had no request trace (sends batched in memory).
  if (!env.contains("trace_id") || !env["trace_id"].is_string() ||
      !std::regex_match(text("trace_id"), std::regex("([0-9a-f]{32})?"))) {
    add("trace_id is not empty or 32 hex digits: " +
        env.value("trace_id", nlohmann::json()).dump());
  }
  // The traceparent header names the envelope's trace (absent without one).
  const std::string trace_id = text("trace_id");
  const std::optional<std::string> header_trace = trace::ParseTraceparent(stored.traceparent);
  if (trace_id.empty() != stored.traceparent.empty() ||
      (!trace_id.empty() && header_trace != trace_id)) {
    add("traceparent header '" + stored.traceparent + "' does not carry trace_id " + trace_id);
  }
  std::vector<std::string> data_problems;
  DataProblems(type, env.value("data", nlohmann::json()), data_problems);
  for (const std::string& p : data_problems) add(p);
  return problems;
}

EventAudit AuditEvents(bus::NatsBus& bus, const std::string& dsn,
                       const std::map<std::string, int>& expected, AuditOptions options) {
  EventAudit audit;
  auto fail = [&](const std::string& what) { audit.problems.push_back(what); };
  auto pool = pg::Pool::Create({.dsn = dsn, .size = 1});
  if (!pool.ok()) {
    fail(absl::StrCat("database: ", pool.status().ToString()));
    return audit;
  }
  std::vector<StoredEvent> first;
  absl::Status last_error;
  // 1. The expected events are there (or more).
  const bool arrived = testing::WaitUntil(
      [&] {
        auto read = ReadStoredEvents(bus);
        if (!read.ok()) last_error = read.status();
        if (read.ok()) first = std::move(*read);
        return read.ok() && AtLeast(CountByType(first), expected);
      },
      options.timeout, absl::Milliseconds(50));
  if (!arrived) {
    fail(absl::StrCat("missing events: have {", Describe(CountByType(first)), "}, expected {",
                      Describe(expected), "} ", last_error.ToString()));
  }
  // 2. Nothing left to publish: the outbox tables are empty, twice in a row
  // (a relay round in flight has its rows until JetStream acknowledged).
  int empty_in_a_row = 0;
  const bool drained = testing::WaitUntil(
      [&] {
        auto pending = PendingRows(**pool);
        if (!pending.ok()) last_error = pending.status();
        empty_in_a_row = pending.ok() && *pending == 0 ? empty_in_a_row + 1 : 0;
        return empty_in_a_row >= 2;
      },
      options.timeout, absl::Milliseconds(100));
  if (!drained) fail("the outbox did not drain: " + last_error.ToString());
  // 3. Read once, give late publishes the grace period, read again.
  auto settled = ReadStoredEvents(bus);
  if (options.between_reads) options.between_reads();
  absl::SleepFor(options.grace);
  auto again = ReadStoredEvents(bus);
  if (!settled.ok() || !again.ok()) {
    fail("reading the stream: " + (settled.ok() ? again.status() : settled.status()).ToString());
    return audit;
  }
  // Stream sequence numbers name the stored messages of both reads.
  std::set<uint64_t> before, after;
  for (const StoredEvent& e : *settled) before.insert(e.seq);
  std::vector<std::string> late;
  for (const StoredEvent& e : *again) {
    after.insert(e.seq);
    if (!before.count(e.seq)) late.push_back(absl::StrCat(e.subject, " ", e.msg_id));
  }
  if (!late.empty()) {
    fail(absl::StrCat(late.size(),
                      " event(s) arrived during the grace period: ", absl::StrJoin(late, ", ")));
  }
  for (uint64_t seq : before) {
    if (!after.count(seq)) fail(absl::StrCat("stream message ", seq, " vanished"));
  }
  // 4. By id: each once, the types and counts expected, envelopes right.
  const absl::Time not_after = absl::Now() + absl::Seconds(1);
  std::map<std::string, uint64_t> seq_of_id;
  for (const StoredEvent& e : *again) {
    const std::string id = e.parsed ? e.event.id : e.msg_id;
    auto [it, inserted] = seq_of_id.emplace(id, e.seq);
    if (!inserted) fail(absl::StrCat("event ", id, " twice: seq ", it->second, " and ", e.seq));
    for (const std::string& p : EnvelopeProblems(e, options.not_before, not_after)) fail(p);
    if (e.parsed) audit.by_type[e.event.type].push_back(e.event);
  }
  if (CountByType(*again) != expected) {
    fail(absl::StrCat("events {", Describe(CountByType(*again)), "}, expected exactly {",
                      Describe(expected), "}"));
  }
  return audit;
}

EventAudit AuditEvents(MessengerProcess& messenger, const std::map<std::string, int>& expected,
                       AuditOptions options) {
  return AuditEvents(messenger.bus(), messenger.database().dsn(), expected, std::move(options));
}

std::map<std::string, std::vector<bus::Event>> ExpectExactlyOnce(
    MessengerProcess& messenger, const std::map<std::string, int>& expected,
    absl::Time not_before) {
  EventAudit audit = AuditEvents(messenger, expected, {.not_before = not_before});
  EXPECT_TRUE(audit.problems.empty()) << absl::StrJoin(audit.problems, "\n");
  return std::move(audit.by_type);
}

}  // namespace messenger::e2e
