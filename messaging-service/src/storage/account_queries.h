// Named, $n-parameterised statements of the account store (V044).
#pragma once

#include "common/pg/pg.h"

namespace messenger::messaging::account_queries {

inline constexpr pg::Query kNextVersion{
    "acct_next_version",
    "INSERT INTO account_data_versions (user_id, version) VALUES ($1, 1) "
    "ON CONFLICT (user_id) DO UPDATE SET version = account_data_versions.version + 1 "
    "RETURNING version"};
inline constexpr pg::Query kPutAccountData{
    "acct_put_data",
    "INSERT INTO account_data (user_id, room_id, type, content, version) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id, type) "
    "DO UPDATE SET content = EXCLUDED.content, version = EXCLUDED.version"};
inline constexpr pg::Query kGetAccountData{
    "acct_get_data",
    "SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3"};
// The user's joined direct rooms with the peer's row (kDirectRooms, and
// their count in kAccountDataSince), found by the user's side of the key
// (V064), not by the user's memberships.
#define MESSENGER_DIRECT_ROOMS_FROM                                                          \
  "FROM rooms r JOIN memberships m ON m.room_id = r.room_id AND m.user_id = $1::uuid "        \
  "AND m.membership = 'join' "                                                                \
  "JOIN users u ON u.user_id = (CASE WHEN split_part(r.direct_key, ':', 1) = $1::text "      \
  "  THEN split_part(split_part(r.direct_key, '/', 1), ':', 2) "                              \
  "  ELSE split_part(r.direct_key, ':', 1) END)::uuid "                                       \
  "WHERE r.kind = 'direct' AND (split_part(r.direct_key, ':', 1) = $1::text "                \
  "  OR split_part(split_part(r.direct_key, '/', 1), ':', 2) = $1::text) "
// The rows after a version, then one totals row (room_id NULL): the
// current version and the count of kDirectRooms' rows.
inline constexpr pg::Query kAccountDataSince{
    "acct_data_since",
    "SELECT * FROM (SELECT room_id, type, content, version, NULL::bigint, NULL::bigint "
    "FROM account_data WHERE user_id = $1::uuid AND version > $2 ORDER BY version LIMIT $3) a "
    "UNION ALL SELECT NULL, NULL, NULL, NULL, "
    "coalesce((SELECT version FROM account_data_versions WHERE user_id = $1::uuid), 0), "
    "(SELECT count(*) " MESSENGER_DIRECT_ROOMS_FROM ") ORDER BY 4 NULLS LAST"};

#define MESSENGER_PUSH_COLUMNS "kind, rule_id, position, body, actions, enabled"
inline constexpr pg::Query kPushRules{
    "acct_push_rules",
    "SELECT " MESSENGER_PUSH_COLUMNS " FROM push_rules WHERE user_id = $1 ORDER BY kind, position"};
// The version row is the user's lock (it exists once anything was written).
inline constexpr pg::Query kLockUser{
    "acct_lock_user",
    "INSERT INTO account_data_versions (user_id, version) VALUES ($1, 0) "
    "ON CONFLICT (user_id) DO UPDATE SET version = account_data_versions.version"};
inline constexpr pg::Query kPutPushRule{
    "acct_put_push_rule",
    "INSERT INTO push_rules (user_id, " MESSENGER_PUSH_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET "
    "position = EXCLUDED.position, body = EXCLUDED.body, actions = EXCLUDED.actions, "
    "enabled = EXCLUDED.enabled"};
inline constexpr pg::Query kDeletePushRule{
    "acct_delete_push_rule",
    "DELETE FROM push_rules WHERE user_id = $1 AND kind = $2 AND rule_id = $3"};

inline constexpr pg::Query kDirectRooms{
    "acct_direct_rooms",
    "SELECT r.room_id, u.username " MESSENGER_DIRECT_ROOMS_FROM "ORDER BY r.room_id"};

inline constexpr pg::Query kInsertAlias{
    "acct_insert_alias",
    "INSERT INTO room_aliases (alias, room_id, creator, created_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (alias) DO NOTHING"};
inline constexpr pg::Query kDeleteAlias{"acct_delete_alias",
                                        "DELETE FROM room_aliases WHERE alias = $1"};
inline constexpr pg::Query kFindAlias{
    "acct_find_alias", "SELECT alias, room_id, creator FROM room_aliases WHERE alias = $1"};
inline constexpr pg::Query kAliasesOf{
    "acct_aliases_of", "SELECT alias FROM room_aliases WHERE room_id = $1 ORDER BY alias"};

inline constexpr pg::Query kPublish{
    "acct_publish",
    "INSERT INTO published_rooms (room_id, published_at) VALUES ($1, $2) "
    "ON CONFLICT (room_id) DO NOTHING"};
inline constexpr pg::Query kUnpublish{"acct_unpublish",
                                      "DELETE FROM published_rooms WHERE room_id = $1"};
inline constexpr pg::Query kIsPublished{"acct_is_published",
                                        "SELECT 1 FROM published_rooms WHERE room_id = $1"};

// The content of a room's current state event (type, "") as jsonb.
#define MESSENGER_STATE_CONTENT(type)                                          \
  "(SELECT e.pdu::jsonb -> 'content' FROM current_state cs JOIN events e ON "  \
  "e.event_id = cs.event_id WHERE cs.room_id = p.room_id AND cs.type = '" type \
  "' AND "                                                                     \
  "cs.state_key = '')"
inline constexpr pg::Query kPublicRooms{
    "acct_public_rooms",
    "WITH pub AS (SELECT p.room_id, "
    MESSENGER_STATE_CONTENT("m.room.join_rules") " ->> 'join_rule' AS join_rule, "
    MESSENGER_STATE_CONTENT("m.room.name") " ->> 'name' AS name, "
    MESSENGER_STATE_CONTENT("m.room.topic") " ->> 'topic' AS topic, "
    MESSENGER_STATE_CONTENT("m.room.canonical_alias") " ->> 'alias' AS alias, "
    MESSENGER_STATE_CONTENT("m.room.avatar") " ->> 'url' AS avatar_url, "
    MESSENGER_STATE_CONTENT("m.room.history_visibility") " ->> 'history_visibility' AS hv, "
    "(SELECT count(*) FROM memberships m WHERE m.room_id = p.room_id AND m.membership = 'join') "
    "  AS joined FROM published_rooms p) "
    "SELECT room_id, name, topic, alias, avatar_url, join_rule, hv, joined, count(*) OVER () "
    "FROM pub WHERE join_rule = 'public' AND ($3 = '' OR strpos(lower(coalesce(name, '')), $3) > 0 "
    "  OR strpos(lower(coalesce(topic, '')), $3) > 0 OR strpos(lower(coalesce(alias, '')), $3) > 0) "
    "ORDER BY joined DESC, room_id OFFSET $1 LIMIT $2"};
#undef MESSENGER_STATE_CONTENT

inline constexpr pg::Query kQueueProfileUpdate{
    "acct_queue_profile",
    "INSERT INTO profile_member_updates (user_id, displayname, avatar_url, after_room, revision) "
    "VALUES ($1, $2, $3, '', 1) ON CONFLICT (user_id) DO UPDATE SET "
    "displayname = EXCLUDED.displayname, avatar_url = EXCLUDED.avatar_url, after_room = '', "
    "revision = profile_member_updates.revision + 1, turn = nextval('profile_member_turns')"};
inline constexpr pg::Query kNextProfileUpdate{
    "acct_next_profile",
    "SELECT user_id, displayname, avatar_url, after_room, revision FROM profile_member_updates "
    "ORDER BY turn LIMIT 1",
    true};
inline constexpr pg::Query kJoinedRoomsAfter{
    "acct_joined_after",
    "SELECT room_id FROM memberships WHERE user_id = $1 AND membership = 'join' "
    "AND room_id > $2 ORDER BY room_id LIMIT $3"};
inline constexpr pg::Query kProfileProgress{
    "acct_profile_progress",
    "UPDATE profile_member_updates SET after_room = $3, turn = nextval('profile_member_turns') "
    "WHERE user_id = $1 AND revision = $2"};
inline constexpr pg::Query kProfileDone{
    "acct_profile_done", "DELETE FROM profile_member_updates WHERE user_id = $1 AND revision = $2"};

inline constexpr pg::Query kSaveProfile{
    "acct_save_profile",
    "UPDATE users SET displayname = NULLIF($2, ''), avatar_url = NULLIF($3, '') "
    "WHERE user_id = $1"};

}  // namespace messenger::messaging::account_queries
