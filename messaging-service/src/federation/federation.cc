#include "messaging-service/src/federation/federation.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/matrix/canonical_json.h"
#include "messaging-service/src/domain/matrix/identifiers.h"

namespace messenger::federation {

absl::StatusOr<std::unique_ptr<Federation>> Federation::Create(const FederationConfig& config,
                                                               std::string server_name,
                                                               matrix::Ed25519Key key,
                                                               messaging::MessagingStore& messaging,
                                                               pg::Pool& pool, const Clock& clock) {
  std::unique_ptr<Federation> f(new Federation());
  f->server_name_ = server_name;
  f->store_ = std::make_unique<PgFederationStore>(pool);
  ASSIGN_OR_RETURN(LocalKeys local, LocalKeys::Create(server_name, std::move(key), messaging,
                                                      *f->store_, clock, config.key_validity));
  f->local_ = std::make_unique<LocalKeys>(std::move(local));
  f->fetcher_ = std::make_unique<HttpFetcher>(
      HttpFetcher::Options{.tls = !config.insecure_http,
                           .connect_timeout = config.connect_timeout,
                           .request_timeout = config.request_timeout,
                           .max_response_bytes = config.max_response_bytes});
  f->resolver_ =
      std::make_unique<ServerResolver>(config.hosts, *f->fetcher_, clock, config.cache_entries);
  f->client_ = std::make_unique<FederationClient>(*f->resolver_, *f->fetcher_, server_name,
                                                  f->local_->signing_key());
  f->remote_ = std::make_unique<RemoteKeys>(*f->store_, *f->client_, *f->local_, clock,
                                            config.cache_entries);
  f->notary_ = std::make_unique<Notary>(*f->remote_, *f->local_, clock);
  f->auth_ =
      std::make_unique<RequestAuthenticator>(*f->remote_, server_name, config.domain_whitelist);
  return f;
}

absl::StatusOr<std::string> Federation::ServerKeys() {
  ASSIGN_OR_RETURN(nlohmann::json document, local_->Document());
  return matrix::CanonicalJson(document);
}

absl::StatusOr<std::string> Federation::QueryKeys(const std::string& body) {
  absl::StatusOr<nlohmann::json> query = matrix::ParseJson(body);
  if (!query.ok()) return absl::InvalidArgumentError("query is not valid JSON");
  ASSIGN_OR_RETURN(nlohmann::json answer, notary_->Query(*query));
  return matrix::CanonicalJson(answer);
}

absl::StatusOr<std::string> Federation::Authenticate(const InboundRequest& request) {
  return auth_->Authenticate(request);
}

absl::StatusOr<LocalUser> Federation::QueryLocalUser(const InboundRequest& request,
                                                     const std::string& user_id) {
  ASSIGN_OR_RETURN(std::string origin, auth_->Authenticate(request));
  if (!matrix::IsValidUserId(user_id)) {
    return absl::InvalidArgumentError("user_id is not a valid Matrix user id");
  }
  const size_t colon = user_id.find(':');
  if (user_id.substr(colon + 1) != server_name_) {
    return absl::NotFoundError("the user is not on this server");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> local,
                   store_->LocalUserId(user_id.substr(1, colon - 1)));
  if (!local) return absl::NotFoundError("no such user");
  return LocalUser{std::move(origin), std::move(*local)};
}

absl::StatusOr<std::string> Federation::QueryRemoteProfile(const std::string& user_id,
                                                           const std::string& field) {
  if (!matrix::IsValidUserId(user_id)) {
    return absl::InvalidArgumentError("user_id is not a valid Matrix user id");
  }
  if (!field.empty() && field != "displayname" && field != "avatar_url") {
    return absl::InvalidArgumentError("field must be displayname or avatar_url");
  }
  const std::string server = user_id.substr(user_id.find(':') + 1);
  std::string uri =
      absl::StrCat("/_matrix/federation/v1/query/profile?user_id=", QueryEscape(user_id));
  if (!field.empty()) absl::StrAppend(&uri, "&field=", field);
  ASSIGN_OR_RETURN(HttpReply reply, client_->Request("GET", server, uri, std::nullopt, true));
  if (reply.status != 200) return RemoteError(reply, absl::StrCat("profile from ", server));
  absl::StatusOr<nlohmann::json> profile = matrix::ParseJson(reply.body);
  if (!profile.ok() || !profile->is_object()) {
    return absl::UnavailableError(absl::StrCat("profile from ", server, ": not a JSON object"));
  }
  return matrix::CanonicalJson(*profile);
}

}  // namespace messenger::federation
