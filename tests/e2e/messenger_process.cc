#include "tests/e2e/messenger_process.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "common/testing/contract_recorder.h"

namespace messenger::e2e {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";

}  // namespace

// 8 MiB instead of 64 MiB per hash: on a busy 2-core box, registrations and
// logins of several whole systems at once otherwise queue behind the hashing
// past the 5 s RPC deadline (504). Tests of the hashing limits set their own.
const char kTestArgon2MemKib[] = "8192";

absl::StatusOr<std::unique_ptr<MessengerProcess>> MessengerProcess::Start(
    std::map<std::string, std::string> env) {
  auto m = std::unique_ptr<MessengerProcess>(new MessengerProcess());
  ASSIGN_OR_RETURN(m->db_, testing::TestDatabase::Create());
  ASSIGN_OR_RETURN(m->nats_, testing::NatsServer::Start());
  m->http_port_ = testing::FreePort();
  m->grpc_port_ = testing::FreePort();
  m->mail_dir_ = m->dir_.path() + "/mail";
  m->log_path_ = m->dir_.path() + "/messenger.log";
  m->env_ = {
      {"MESSENGER_PG_DSN", m->db_->dsn()},
      {"MESSENGER_NATS_URL", m->nats_->url()},
      {"MESSENGER_HTTP_ADDR", absl::StrCat("127.0.0.1:", m->http_port_)},
      {"MESSENGER_GRPC_ADDR", absl::StrCat("127.0.0.1:", m->grpc_port_)},
      {"MESSENGER_MAIL_DIR", m->mail_dir_},
      {"MESSENGER_DATA_DIR", m->dir_.path()},
      {"MESSENGER_PG_POOL_SIZE", "4"},
      // Tests register and log in many users from one address; the tests of
      // the limits themselves set them lower.
      {"MESSENGER_AUTH_IP_RATE_PER_MIN", "600000"},
      {"MESSENGER_AUTH_IP_BURST", "100000"},
      {"MESSENGER_ARGON2_MEMLIMIT_KIB", kTestArgon2MemKib},
  };
  for (auto& [k, v] : env) m->env_[k] = v;
  // Servers that must know each other's address before they start (federation)
  // reserve their HTTP port themselves.
  if (const auto it = env.find("MESSENGER_HTTP_ADDR"); it != env.end()) {
    m->http_port_ = std::stoi(it->second.substr(it->second.rfind(':') + 1));
  }
  RETURN_IF_ERROR(m->Launch());
  ASSIGN_OR_RETURN(m->bus_, bus::NatsBus::Connect({.url = m->nats_->url(), .name = "e2e"}));
  if (!testing::WaitUntil([&] { return m->bus_->connected(); }, absl::Seconds(5))) {
    return absl::UnavailableError("test NATS client did not connect");
  }
  return m;
}

absl::Status MessengerProcess::Launch() {
  ASSIGN_OR_RETURN(process_, testing::ChildProcess::Start({MESSENGER_BINARY}, env_, log_path_));
  auto client = Client();
  const bool ready = testing::WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        auto res = client->Get("/readyz");
        return res && res->status == 200;
      },
      absl::Seconds(30), absl::Milliseconds(20));
  if (!ready || !process_->Running()) {
    return absl::UnavailableError("messenger did not become ready; its log:" + Dump(log_path_));
  }
  return absl::OkStatus();
}

MessengerProcess::~MessengerProcess() {
  bus_.reset();
  Stop();
}

int MessengerProcess::Stop() {
  if (!process_) return -1;
  const int status = process_->Stop(SIGTERM, absl::Seconds(20));
  process_.reset();
  return status;
}

absl::Status MessengerProcess::Restart() {
  Stop();
  return Launch();
}

std::unique_ptr<httplib::Client> MessengerProcess::Client() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", http_port_);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(40, 0);
  return client;
}

std::optional<std::string> MessengerProcess::LatestVerificationToken(const std::string& email) const {
  std::optional<std::string> token;
  std::filesystem::file_time_type newest;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir_ + "/new", ec)) {
    std::ifstream in(entry.path());
    std::string line, to, found;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("To: <", 0) == 0) to = line.substr(5, line.size() - 6);
      if (line.rfind("Verification-Token: ", 0) == 0) found = line.substr(20);
    }
    if (to == email && !found.empty() && (!token || entry.last_write_time() >= newest)) {
      token = found;
      newest = entry.last_write_time();
    }
  }
  return token;
}

absl::Status ServiceProcess::Start(std::map<std::string, std::string> env, const std::string& dir,
                                   const std::string& ready_path) {
  log_ = dir + "/" + name_ + ".log";
  ASSIGN_OR_RETURN(process_, testing::ChildProcess::Start({binary_}, env, log_));
  httplib::Client admin("127.0.0.1", admin_port_);
  const bool ready = testing::WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        auto res = admin.Get(ready_path);
        return res && res->status == 200;
      },
      absl::Seconds(30), absl::Milliseconds(10));
  if (!ready || !process_->Running()) {
    return absl::UnavailableError(name_ + " did not become ready:" + Dump(log_));
  }
  return absl::OkStatus();
}

int ServiceProcess::Stop() { return process_ ? process_->Stop(SIGTERM, absl::Seconds(20)) : -1; }

void ServiceProcess::Kill() {
  if (process_) process_->Stop(SIGKILL, absl::Seconds(5));
  process_.reset();
}

absl::StatusOr<std::unique_ptr<PrivatePostgres>> PrivatePostgres::Start() {
  auto pg = std::unique_ptr<PrivatePostgres>(new PrivatePostgres());
  pg->port_ = testing::FreePort();
  // The server runs as postgres, which must own its directory.
  const std::string& dir = pg->dir_.path();
  const std::string init = absl::StrCat(
      "chown postgres:postgres '", dir, "' && runuser -u postgres -- ", kPgBin,
      "/initdb -D '", dir, "/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'", dir,
      "/initdb.log' 2>&1");
  if (std::system(init.c_str()) != 0) {
    return absl::UnavailableError("initdb failed:" + Dump(dir + "/initdb.log"));
  }
  RETURN_IF_ERROR(pg->PgCtl("start"));
  return pg;
}

PrivatePostgres::~PrivatePostgres() {
  if (running_) (void)PgCtl("stop -m immediate");
}

std::string PrivatePostgres::dsn() const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=postgres");
}

absl::Status PrivatePostgres::PgCtl(const std::string& args) {
  const std::string& dir = dir_.path();
  const std::string cmd = absl::StrCat(
      "runuser -u postgres -- ", kPgBin, "/pg_ctl -D '", dir, "/data' -l '", dir,
      "/postgres.log' -w -t 60 -o '-p ", port_, " -k ", dir,
      " -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
      " -c synchronous_commit=off -c full_page_writes=off' ",
      args, " >/dev/null 2>&1");
  if (std::system(cmd.c_str()) != 0) {
    return absl::UnavailableError("pg_ctl " + args + " failed:" + Dump(dir + "/postgres.log"));
  }
  running_ = args.rfind("start", 0) == 0;
  return absl::OkStatus();
}

absl::Status PrivatePostgres::Stop() { return PgCtl("stop -m fast"); }

absl::Status PrivatePostgres::Restart() {
  RETURN_IF_ERROR(Stop());
  return PgCtl("start");
}

std::string Dump(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  // Warnings and errors first: a long log is cut in the middle by whoever
  // shows a failed run, and its start is only the migrations.
  std::string problems;
  std::istringstream lines(text.str());
  int shown = 0;
  for (std::string line; std::getline(lines, line) && shown < 50;) {
    if (line.find("\"level\":\"warn\"") == std::string::npos &&
        line.find("\"level\":\"error\"") == std::string::npos) {
      continue;
    }
    problems += line + "\n";
    ++shown;
  }
  return "\n--- " + path + " (its warnings and errors, then all of it):\n" + problems +
         "---\n" + text.str();
}

Reply SendRaw(httplib::Client& client, const std::string& method, const std::string& path,
              const std::string& body, const std::string& bearer, const httplib::Headers& extra) {
  httplib::Headers headers = extra;
  if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
  auto call = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path, headers);
    if (method == "POST") return client.Post(path, headers, body, "application/json");
    if (method == "PATCH") return client.Patch(path, headers, body, "application/json");
    if (method == "PUT") return client.Put(path, headers, body, "application/json");
    return client.Delete(path, headers, body, "application/json");
  };
  httplib::Result res = call();
  Reply reply;
  if (!res) {
    ADD_FAILURE() << method << " " << path << ": no response (" << httplib::to_string(res.error())
                  << ")";
    return reply;
  }
  testing::RecordHttpExchange({method, path, {headers.begin(), headers.end()}, body, res->status,
                               {res->headers.begin(), res->headers.end()}, res->body});
  reply.status = res->status;
  reply.headers = res->headers;
  reply.raw = res->body;
  reply.body = nlohmann::json::parse(res->body, nullptr, false);
  return reply;
}

Reply Send(httplib::Client& client, const std::string& method, const std::string& path,
           const std::optional<nlohmann::json>& body, const std::string& bearer,
           const httplib::Headers& extra) {
  return SendRaw(client, method, path, body ? body->dump() : "", bearer, extra);
}

std::string SyncTokenAfter(httplib::Client& client, const std::string& access_token,
                           std::set<std::string> types, absl::Duration within) {
  std::string since = "s0";
  const absl::Time deadline = absl::Now() + within;
  while (!types.empty() && absl::Now() < deadline) {
    Reply r = Send(client, "GET", "/v1/sync?timeout_ms=1000&since=" + since, std::nullopt,
                   access_token);
    EXPECT_EQ(r.status, 200) << r.raw;
    if (r.status != 200) break;
    since = r.body.value("next", since);
    for (const auto& e : r.body["events"]) types.erase(e.value("type", ""));
  }
  EXPECT_TRUE(types.empty()) << "never came: " << absl::StrJoin(types, ", ");
  return since;
}

TestUser CreateUser(MessengerProcess& messenger, httplib::Client& client,
                    const std::string& username) {
  TestUser user;
  user.username = username;
  user.email = username + "@example.com";
  user.password = "pw-" + username + "-secret";
  Reply reg = Send(client, "POST", "/v1/auth/register",
                   nlohmann::json{{"username", username}, {"email", user.email},
                                  {"password", user.password}});
  EXPECT_EQ(reg.status, 201) << reg.raw;
  user.user_id = reg.body.value("user_id", "");
  auto token = messenger.LatestVerificationToken(user.email);
  EXPECT_TRUE(token.has_value()) << "no verification mail for " << user.email;
  Reply verify = Send(client, "POST", "/v1/auth/verify-email",
                      nlohmann::json{{"token", token.value_or("")}});
  EXPECT_EQ(verify.status, 200) << verify.raw;
  Reply login = Send(client, "POST", "/v1/auth/login",
                     nlohmann::json{{"login", username}, {"password", user.password},
                                    {"device_name", "e2e"}});
  EXPECT_EQ(login.status, 200) << login.raw;
  user.access_token = login.body.value("access_token", "");
  user.refresh_token = login.body.value("refresh_token", "");
  user.session_id = login.body.value("session_id", "");
  return user;
}

}  // namespace messenger::e2e
