// Cross-signing (issue 14): keys/device_signing/upload, keys/signatures/upload
// and the cross-signing part of keys/query answers. Keys and signatures are
// checked by domain/cross_signing; what was signed must be what is stored.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "messaging-service/src/domain/cross_signing.h"
#include "messaging-service/src/service/e2ee_manager.h"

namespace messenger::messaging {
namespace {

using nlohmann::json;

constexpr char kInvalidSignature[] = "M_INVALID_SIGNATURE";
constexpr char kNotFound[] = "M_NOT_FOUND";
constexpr char kInvalidParam[] = "M_INVALID_PARAM";

// The stored key of `usage` among `keys` (usage -> JSON text), if any.
std::optional<CrossSigningKey> StoredKey(const std::map<std::string, std::string>& keys,
                                         const std::string& user_id, const char* usage) {
  auto it = keys.find(usage);
  if (it == keys.end()) return std::nullopt;
  absl::StatusOr<CrossSigningKey> key =
      ParseCrossSigningKey(json::parse(it->second, nullptr, false), user_id, usage);
  if (!key.ok()) return std::nullopt;
  return *std::move(key);
}

// What keys/signatures/upload found about one signed object.
struct SignatureCheck {
  std::optional<KeySignature> accepted;
  const char* errcode = nullptr;
  std::string error;
};

SignatureCheck Failure(const char* errcode, std::string error) {
  return {std::nullopt, errcode, std::move(error)};
}

// `object` (a copy of `stored` with a new signature by `signer` of the key
// ed25519:`key_name` = `public_key`) checked into the signature to store.
SignatureCheck CheckSignature(const json& object, const json& stored, const E2eeCaller& signer,
                              const std::string& target_user, const std::string& target_key,
                              const std::string& key_name, const std::string& public_key) {
  if (SignedPart(object) != SignedPart(stored)) {
    return Failure(kInvalidParam, "the signed object is not the stored key");
  }
  if (absl::Status s = CheckSignedBy(object, signer.matrix_user_id, key_name, public_key);
      !s.ok()) {
    return Failure(kInvalidSignature, std::string(s.message()));
  }
  const std::string key_id = absl::StrCat("ed25519:", key_name);
  return {KeySignature{target_user, target_key, signer.user_id, key_id,
                       object["signatures"][signer.matrix_user_id][key_id].get<std::string>()},
          nullptr, ""};
}

}  // namespace

absl::StatusOr<bool> E2eeManager::UploadSigningKeys(const E2eeCaller& caller,
                                                    std::string_view body,
                                                    bool password_confirmed) {
  const std::string& me = caller.matrix_user_id;
  ASSIGN_OR_RETURN(SigningKeysUpload upload, ParseSigningKeysUpload(body, me));
  ASSIGN_OR_RETURN(auto all, store_.CrossSigningKeys({caller.user_id}));
  const std::map<std::string, std::string>& stored = all[caller.user_id];
  std::optional<CrossSigningKey> master = upload.master;
  if (!master) master = StoredKey(stored, me, kMasterUsage);
  if (!master) return absl::FailedPreconditionError("no master signing key is available");
  for (const auto* key : {&upload.self_signing, &upload.user_signing}) {
    if (*key) {
      RETURN_IF_ERROR(
          CheckSignedBy((*key)->object, me, master->public_key, master->public_key));
    }
  }
  // Only new keys are stored; uploading the stored ones again is a retry.
  std::map<std::string, std::string> changed;
  auto consider = [&](const char* usage, const std::optional<CrossSigningKey>& key) {
    if (!key) return;
    std::optional<CrossSigningKey> old = StoredKey(stored, me, usage);
    if (!old || SignedPart(old->object) != SignedPart(key->object)) {
      changed[usage] = key->object.dump();
    }
  };
  consider(kMasterUsage, upload.master);
  consider(kSelfSigningUsage, upload.self_signing);
  consider(kUserSigningUsage, upload.user_signing);
  if (changed.empty()) return true;
  // The spec: replacing a master key (or adding keys under one) needs UIA.
  if (stored.contains(kMasterUsage) && !password_confirmed) return false;

  json edu = {{"user_id", me}, {"master_key", master->object}};
  std::optional<CrossSigningKey> self_signing = upload.self_signing;
  if (!self_signing) self_signing = StoredKey(stored, me, kSelfSigningUsage);
  if (self_signing) edu["self_signing_key"] = self_signing->object;
  RETURN_IF_ERROR(store_.SetCrossSigningKeys(caller.user_id, changed, edu.dump()));
  return true;
}

absl::StatusOr<std::string> E2eeManager::UploadSignatures(const E2eeCaller& caller,
                                                          std::string_view body) {
  const std::string& me = caller.matrix_user_id;
  json request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    return absl::InvalidArgumentError("the body must be a JSON object");
  }
  int64_t objects = 0;
  std::vector<std::string> others;
  for (const auto& [user, keys] : request.items()) {
    if (!keys.is_object()) return absl::InvalidArgumentError("each user maps key ids to objects");
    objects += static_cast<int64_t>(keys.size());
    if (user != me) others.push_back(user);
  }
  if (objects > limits_.max_devices_per_request) {
    return absl::OutOfRangeError(
        absl::StrCat("at most ", limits_.max_devices_per_request, " signed objects at once"));
  }
  ASSIGN_OR_RETURN(auto accounts, LocalUsers(others));
  std::vector<std::string> owners = {caller.user_id};
  for (const auto& [user, account] : accounts) owners.push_back(account);
  ASSIGN_OR_RETURN(auto cross_keys, store_.CrossSigningKeys(owners));
  ASSIGN_OR_RETURN(auto devices, store_.DeviceKeys({caller.user_id}));
  const std::map<std::string, std::string>& my_devices = devices[caller.user_id];
  std::optional<CrossSigningKey> my_master = StoredKey(cross_keys[caller.user_id], me,
                                                       kMasterUsage);
  std::optional<CrossSigningKey> self_signing =
      StoredKey(cross_keys[caller.user_id], me, kSelfSigningUsage);
  std::optional<CrossSigningKey> user_signing =
      StoredKey(cross_keys[caller.user_id], me, kUserSigningUsage);

  // One signed object: the caller's master key signed by one of its
  // devices, a device of the caller signed by its self-signing key, or
  // another user's master key signed by the caller's user-signing key.
  auto check = [&](const std::string& user, const std::string& key_id,
                   const json& object) -> SignatureCheck {
    if (!object.is_object()) return Failure(kInvalidParam, "a signed key must be an object");
    if (user == me && my_master && key_id == my_master->public_key) {
      auto by = object.find("signatures");
      if (by == object.end() || !by->is_object() || !by->contains(me)) {
        return Failure(kInvalidSignature, "no signature by the caller");
      }
      for (const auto& [signing_key_id, signature] : (*by)[me].items()) {
        const std::string device = signing_key_id.substr(signing_key_id.find(':') + 1);
        auto keys = my_devices.find(device);
        if (keys == my_devices.end()) continue;  // e.g. the master key's own signature
        std::optional<std::string> public_key =
            DeviceEd25519Key(json::parse(keys->second, nullptr, false), device);
        if (!public_key) continue;
        return CheckSignature(object, my_master->object, caller, caller.user_id, key_id, device,
                              *public_key);
      }
      return Failure(kInvalidSignature, "no signature by a device of the caller");
    }
    if (user == me) {
      auto keys = my_devices.find(key_id);
      if (keys == my_devices.end()) return Failure(kNotFound, "no such device or key");
      if (!self_signing) return Failure(kInvalidSignature, "no self-signing key is uploaded");
      return CheckSignature(object, json::parse(keys->second, nullptr, false), caller,
                            caller.user_id, key_id, self_signing->public_key,
                            self_signing->public_key);
    }
    auto account = accounts.find(user);
    if (account == accounts.end()) return Failure(kNotFound, "no such user on this server");
    std::optional<CrossSigningKey> master =
        StoredKey(cross_keys[account->second], user, kMasterUsage);
    if (!master || key_id != master->public_key) {
      return Failure(kNotFound, "only a user's master key can be signed");
    }
    if (!user_signing) return Failure(kInvalidSignature, "no user-signing key is uploaded");
    return CheckSignature(object, master->object, caller, account->second, key_id,
                          user_signing->public_key, user_signing->public_key);
  };

  json failures = json::object();
  std::vector<KeySignature> accepted;
  for (const auto& [user, keys] : request.items()) {
    for (const auto& [key_id, object] : keys.items()) {
      SignatureCheck checked = check(user, key_id, object);
      if (checked.accepted) {
        accepted.push_back(*std::move(checked.accepted));
      } else {
        failures[user][key_id] = {{"errcode", checked.errcode}, {"error", checked.error}};
      }
    }
  }
  RETURN_IF_ERROR(store_.AddSignatures(accepted));
  return json{{"failures", std::move(failures)}}.dump();
}

absl::Status E2eeManager::AddCrossSigning(json& answer, const std::string* viewer,
                                          std::string_view viewer_matrix_id,
                                          const std::map<std::string, std::string>& accounts,
                                          const std::set<std::string>& visible) {
  std::vector<std::string> shown(visible.begin(), visible.end());
  ASSIGN_OR_RETURN(auto keys, store_.CrossSigningKeys(shown));
  ASSIGN_OR_RETURN(std::vector<KeySignature> signatures, store_.Signatures(shown));
  std::map<std::pair<std::string, std::string>, std::vector<const KeySignature*>> by_target;
  for (const KeySignature& s : signatures) by_target[{s.target_user, s.target_key}].push_back(&s);

  answer["master_keys"] = json::object();
  answer["self_signing_keys"] = json::object();
  if (viewer != nullptr) answer["user_signing_keys"] = json::object();
  for (const auto& entry : accounts) {
    const std::string& user = entry.first;  // named, not bound: the lambda captures them
    const std::string& account = entry.second;
    if (!visible.contains(account)) continue;
    // The owner's signatures for everyone; another's only for its signer.
    auto merge = [&](json& object, const std::string& target_key) {
      auto found = by_target.find({account, target_key});
      if (found == by_target.end() || !object.is_object()) return;
      for (const KeySignature* s : found->second) {
        std::string signer;
        if (s->signer == account) {
          signer = user;
        } else if (viewer != nullptr && s->signer == *viewer) {
          signer = std::string(viewer_matrix_id);
        } else {
          continue;
        }
        object["signatures"][signer][s->signer_key_id] = s->signature;
      }
    };
    if (auto devices = answer["device_keys"].find(user); devices != answer["device_keys"].end()) {
      for (auto& [device_id, device] : devices->items()) merge(device, device_id);
    }
    const std::map<std::string, std::string>& mine = keys[account];
    if (std::optional<CrossSigningKey> master = StoredKey(mine, user, kMasterUsage)) {
      merge(master->object, master->public_key);
      answer["master_keys"][user] = std::move(master->object);
    }
    if (std::optional<CrossSigningKey> ssk = StoredKey(mine, user, kSelfSigningUsage)) {
      answer["self_signing_keys"][user] = std::move(ssk->object);
    }
    if (viewer != nullptr && *viewer == account) {
      if (std::optional<CrossSigningKey> usk = StoredKey(mine, user, kUserSigningUsage)) {
        answer["user_signing_keys"][user] = std::move(usk->object);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace messenger::messaging
