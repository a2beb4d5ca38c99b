// Account data (global and per room) and push rules of the Matrix client
// API, kept by messaging's MatrixAccountService; this file only translates.
// A user reads and writes their own account data only (403 otherwise).
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "gateway/src/matrix/client_api.h"
#include "gateway/src/matrix/matrix_errors.h"

namespace messenger::gateway::matrix {
namespace {

using messaging::v1::MatrixAccountService;

// 405 M_BAD_JSON: a type the server controls (the spec's answer).
http::Response ServerControlled(const absl::Status& status) {
  http::Response response =
      MatrixErrorResponse(MatrixError(kBadJson, std::string(status.message())));
  response.status = 405;
  return response;
}

absl::StatusOr<http::Response> AccountData(ClientApi& api, ClientRequest& c, bool put) {
  if (c.params["user_id"] != c.me().user_id) {
    return MatrixError(kForbidden, "you can only use your own account data");
  }
  messaging::v1::AccountDataRequest request;
  request.set_user_id(c.me().session.user_id);
  if (c.params.count("room_id")) request.set_room_id(c.params["room_id"]);
  request.set_type(c.params["type"]);
  Gateway& gw = api.gateway();
  messaging::v1::AccountDataResponse response;
  absl::Status status;
  if (put) {
    ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
    request.set_content_json(body.json().dump());
    status = gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::PutAccountData, request,
                     &response);
  } else {
    status = gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::GetAccountData, request,
                     &response);
  }
  if (status.code() == absl::StatusCode::kFailedPrecondition) return ServerControlled(status);
  RETURN_IF_ERROR(OutOfRangeAsTooLarge(status));
  if (put) return http::Response::Json(200, nlohmann::json::object());
  nlohmann::json content = nlohmann::json::parse(response.content_json(), nullptr, false);
  if (!content.is_object()) return absl::InternalError("stored account data is not an object");
  return http::Response::Json(200, content);
}

absl::StatusOr<nlohmann::json> Ruleset(ClientApi& api, ClientRequest& c) {
  messaging::v1::PushRulesRequest request;
  request.set_user_id(c.me().session.user_id);
  messaging::v1::PushRulesResponse response;
  Gateway& gw = api.gateway();
  RETURN_IF_ERROR(
      gw.Call(*gw.stubs().account, &MatrixAccountService::Stub::GetPushRules, request, &response));
  nlohmann::json rules = nlohmann::json::parse(response.ruleset_json(), nullptr, false);
  if (!rules.is_object() || !rules.contains("global")) {
    return absl::InternalError("messaging answered no rule set");
  }
  return rules;
}

// The rule named by the path, or M_NOT_FOUND.
absl::StatusOr<nlohmann::json> PathRule(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(nlohmann::json rules, Ruleset(api, c));
  const nlohmann::json& global = rules["global"];
  const std::string& kind = c.params["kind"];
  if (global.contains(kind)) {
    for (const auto& rule : global[kind]) {
      if (rule["rule_id"] == c.params["rule_id"]) return rule;
    }
  }
  return MatrixError(kNotFound, "no such push rule");
}

messaging::v1::PushRuleRequest RuleRequest(ClientRequest& c) {
  messaging::v1::PushRuleRequest request;
  request.set_user_id(c.me().session.user_id);
  request.set_kind(c.params["kind"]);
  request.set_rule_id(c.params["rule_id"]);
  return request;
}

absl::Status CallRule(ClientApi& api,
                      grpc::Status (MatrixAccountService::Stub::*method)(
                          grpc::ClientContext*, const messaging::v1::PushRuleRequest&,
                          messaging::v1::PushRulesResponse*),
                      const messaging::v1::PushRuleRequest& request) {
  messaging::v1::PushRulesResponse response;
  Gateway& gw = api.gateway();
  absl::Status status = gw.Call(*gw.stubs().account, method, request, &response);
  // An unknown kind or a rule before/after names: the rule's 404.
  return OutOfRangeAsTooLarge(status);
}

absl::StatusOr<http::Response> PutRule(ClientApi& api, ClientRequest& c) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::PushRuleRequest request = RuleRequest(c);
  request.set_rule_json(body.json().dump());
  if (auto before = c.query.Get("before")) request.set_before(std::string(*before));
  if (auto after = c.query.Get("after")) request.set_after(std::string(*after));
  RETURN_IF_ERROR(CallRule(api, &MatrixAccountService::Stub::PutPushRule, request));
  return http::Response::Json(200, nlohmann::json::object());
}

absl::StatusOr<http::Response> DeleteRule(ClientApi& api, ClientRequest& c) {
  RETURN_IF_ERROR(CallRule(api, &MatrixAccountService::Stub::DeletePushRule, RuleRequest(c)));
  return http::Response::Json(200, nlohmann::json::object());
}

// PUT .../enabled and .../actions.
absl::StatusOr<http::Response> PutRuleField(ClientApi& api, ClientRequest& c, bool enabled) {
  ASSIGN_OR_RETURN(MatrixBody body, MatrixBody::Parse(c.http.body));
  messaging::v1::PushRuleRequest request = RuleRequest(c);
  if (enabled) {
    if (!body.json().contains("enabled") || !body.json()["enabled"].is_boolean()) {
      return MatrixError(kBadJson, "'enabled' must be a boolean");
    }
    request.set_enabled(body.json()["enabled"].get<bool>());
  } else {
    ASSIGN_OR_RETURN(std::optional<nlohmann::json> actions, body.OptionalArray("actions"));
    if (!actions) return MatrixError(kMissingParam, "'actions' is required");
    request.set_actions_json(actions->dump());
  }
  RETURN_IF_ERROR(CallRule(api, &MatrixAccountService::Stub::UpdatePushRule, request));
  return http::Response::Json(200, nlohmann::json::object());
}

}  // namespace

void AddAccountRoutes(ClientApi& api) {
  auto route =
      [&api](std::string_view method, std::string_view path,
             std::function<absl::StatusOr<http::Response>(ClientApi&, ClientRequest&)> handler) {
        api.Route(
            method, path, Access::kUser, Versions::kV3AndR0,
            [&api, handler = std::move(handler)](ClientRequest& c) { return handler(api, c); });
      };
  for (const char* path : {"/user/{user_id}/account_data/{type}",
                           "/user/{user_id}/rooms/{room_id}/account_data/{type}"}) {
    route("GET", path, [](ClientApi& api, ClientRequest& c) { return AccountData(api, c, false); });
    route("PUT", path, [](ClientApi& api, ClientRequest& c) { return AccountData(api, c, true); });
  }
  route("GET", "/pushrules",
        [](ClientApi& api, ClientRequest& c) -> absl::StatusOr<http::Response> {
          ASSIGN_OR_RETURN(nlohmann::json rules, Ruleset(api, c));
          return http::Response::Json(200, rules);
        });
  route("GET", "/pushrules/global",
        [](ClientApi& api, ClientRequest& c) -> absl::StatusOr<http::Response> {
          ASSIGN_OR_RETURN(nlohmann::json rules, Ruleset(api, c));
          return http::Response::Json(200, rules["global"]);
        });
  const std::string rule = "/pushrules/global/{kind}/{rule_id}";
  route("GET", rule, [](ClientApi& api, ClientRequest& c) -> absl::StatusOr<http::Response> {
    ASSIGN_OR_RETURN(nlohmann::json found, PathRule(api, c));
    return http::Response::Json(200, found);
  });
  route("PUT", rule, PutRule);
  route("DELETE", rule, DeleteRule);
  for (const char* field : {"enabled", "actions"}) {
    const std::string key = field;
    route("GET", rule + "/" + key,
          [key](ClientApi& api, ClientRequest& c) -> absl::StatusOr<http::Response> {
            ASSIGN_OR_RETURN(nlohmann::json found, PathRule(api, c));
            return http::Response::Json(200, {{key, found[key]}});
          });
    route("PUT", rule + "/" + key, [key](ClientApi& api, ClientRequest& c) {
      return PutRuleField(api, c, key == "enabled");
    });
  }
}

}  // namespace messenger::gateway::matrix
