// Named, $n-parameterised statements of the contact store. Pairs are stored
// as (user_low, user_high) with user_low < user_high.
#pragma once

#include "common/pg/pg.h"

namespace messenger::contact::queries {

inline constexpr pg::Query kFindUser{"contact_find_user",
                                     "SELECT matrix_id FROM users WHERE user_id = $1 AND NOT closed"};

inline constexpr pg::Query kLocalUserId{
    "contact_local_user_id",
    "SELECT user_id FROM users WHERE username = $1 AND matrix_id IS NULL AND NOT closed"};

inline constexpr pg::Query kAddRemoteUser{
    "contact_add_remote_user",
    "INSERT INTO users (user_id, username, matrix_id, created_at) VALUES ($1, $2, $2, $3) "
    "ON CONFLICT (user_id) DO NOTHING"};

inline constexpr pg::Query kAddUser{
    "contact_add_user",
    "INSERT INTO users (user_id, username, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (user_id) DO NOTHING"};

// Serializes transitions of one pair, including when no row exists yet.
inline constexpr pg::Query kLockPair{"contact_lock_pair",
                                     "SELECT pg_advisory_xact_lock(hashtext($1 || $2))"};

inline constexpr pg::Query kGetRelation{
    "contact_get_relation",
    "SELECT state, requester FROM relations WHERE user_low = $1 AND user_high = $2"};

inline constexpr pg::Query kGetBlocks{
    "contact_get_blocks",
    "SELECT blocker FROM blocks WHERE (blocker = $1 AND blocked = $2) OR "
    "(blocker = $2 AND blocked = $1)"};

inline constexpr pg::Query kDeleteRelation{
    "contact_delete_relation", "DELETE FROM relations WHERE user_low = $1 AND user_high = $2"};

inline constexpr pg::Query kPutPending{
    "contact_put_pending",
    "INSERT INTO relations (user_low, user_high, state, requester, created_at) "
    "VALUES ($1, $2, 'pending', $3, $4) ON CONFLICT (user_low, user_high) DO UPDATE "
    "SET state = 'pending', requester = $3, created_at = $4, accepted_at = NULL"};

inline constexpr pg::Query kPutFriends{
    "contact_put_friends",
    "INSERT INTO relations (user_low, user_high, state, requester, created_at, accepted_at) "
    "VALUES ($1, $2, 'friends', $3, $4, $4) ON CONFLICT (user_low, user_high) DO UPDATE "
    "SET state = 'friends', accepted_at = $4"};

inline constexpr pg::Query kPutBlock{
    "contact_put_block",
    "INSERT INTO blocks (blocker, blocked, created_at) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING"};

inline constexpr pg::Query kDeleteBlock{"contact_delete_block",
                                        "DELETE FROM blocks WHERE blocker = $1 AND blocked = $2"};

inline constexpr pg::Query kListFriends{
    "contact_list_friends",
    "SELECT f.other, f.accepted_at, u.matrix_id FROM ("
    "SELECT user_high AS other, accepted_at FROM relations WHERE user_low = $1 AND state = 'friends' "
    "UNION ALL "
    "SELECT user_low, accepted_at FROM relations WHERE user_high = $1 AND state = 'friends') f "
    "LEFT JOIN users u ON u.user_id = f.other ORDER BY 2 DESC"};

inline constexpr pg::Query kListPending{
    "contact_list_pending",
    "SELECT p.other, p.outgoing, p.created_at, u.matrix_id FROM ("
    "SELECT CASE WHEN user_low = $1 THEN user_high ELSE user_low END AS other, "
    "requester = $1 AS outgoing, created_at "
    "FROM relations WHERE (user_low = $1 OR user_high = $1) AND state = 'pending') p "
    "LEFT JOIN users u ON u.user_id = p.other ORDER BY p.created_at DESC"};

inline constexpr pg::Query kAreFriends{
    "contact_are_friends",
    "SELECT 1 FROM relations WHERE user_low = $1 AND user_high = $2 AND state = 'friends'"};

// Which of the ordered pairs ($1[i], $2[i]) are friends: their 1-based indexes.
inline constexpr pg::Query kFriendPairs{
    "contact_friend_pairs",
    "SELECT p.i FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS p(low, high, i) "
    "JOIN relations r ON r.user_low = p.low AND r.user_high = p.high AND r.state = 'friends'"};

// Every relation of a user; the other user (and their Matrix id, NULL when
// local) of each friendship and of each pending request across servers.
inline constexpr pg::Query kRemoveUserRelations{
    "contact_remove_user_relations",
    "WITH gone AS (DELETE FROM relations WHERE user_low = $1 OR user_high = $1 "
    "RETURNING CASE WHEN user_low = $1 THEN user_high ELSE user_low END AS other, state) "
    "SELECT g.other, u.matrix_id FROM gone g LEFT JOIN users u ON u.user_id = g.other "
    "WHERE g.state = 'friends' OR u.matrix_id IS NOT NULL ORDER BY 1"};

inline constexpr pg::Query kRemoveUserBlocks{
    "contact_remove_user_blocks", "DELETE FROM blocks WHERE blocker = $1 OR blocked = $1"};

// Kept, marked closed, even when user.created has not been applied yet.
inline constexpr pg::Query kCloseUser{
    "contact_close_user",
    "INSERT INTO users (user_id, username, created_at, closed) VALUES ($1, '', now(), true) "
    "ON CONFLICT (user_id) DO UPDATE SET closed = true"};

}  // namespace messenger::contact::queries
