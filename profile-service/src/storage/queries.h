// Named, $n-parameterised statements of the profile store.
#pragma once

#include "common/pg/pg.h"

namespace messenger::profile::queries {

#define MESSENGER_PROFILE_COLUMNS \
  "user_id, username, display_name, avatar_url, bio, email_verified, updated_at, version"

inline constexpr pg::Query kGet{
    "profile_get", "SELECT " MESSENGER_PROFILE_COLUMNS " FROM profiles WHERE user_id = $1"};

inline constexpr pg::Query kGetMany{
    "profile_get_many",
    "SELECT " MESSENGER_PROFILE_COLUMNS " FROM profiles WHERE user_id = ANY($1::uuid[])"};

inline constexpr pg::Query kUpdate{
    "profile_update",
    "UPDATE profiles SET display_name = coalesce($2, display_name), "
    "avatar_url = coalesce($3, avatar_url), bio = coalesce($4, bio), updated_at = $5, "
    "version = version + 1 WHERE user_id = $1 RETURNING " MESSENGER_PROFILE_COLUMNS};

inline constexpr pg::Query kSearch{
    "profile_search",
    "SELECT " MESSENGER_PROFILE_COLUMNS " FROM profiles WHERE lower(username) LIKE $1 "
    "AND deactivated_at IS NULL ORDER BY lower(username) LIMIT $2"};

inline constexpr pg::Query kCreate{
    "profile_create",
    "INSERT INTO profiles (user_id, username, display_name, created_at, updated_at) "
    "VALUES ($1, $2, $2, $3, $3) ON CONFLICT (user_id) DO NOTHING"};

inline constexpr pg::Query kMarkVerified{
    "profile_mark_verified", "UPDATE profiles SET email_verified = true WHERE user_id = $1"};

inline constexpr pg::Query kDeactivate{
    "profile_deactivate",
    "UPDATE profiles SET deactivated_at = $2, "
    "display_name = CASE WHEN $3 THEN '' ELSE display_name END, "
    "avatar_url = CASE WHEN $3 THEN '' ELSE avatar_url END, "
    "bio = CASE WHEN $3 THEN '' ELSE bio END, "
    "updated_at = CASE WHEN $3 THEN $2 ELSE updated_at END, "
    "version = version + CASE WHEN $3 THEN 1 ELSE 0 END "
    "WHERE user_id = $1 AND deactivated_at IS NULL RETURNING " MESSENGER_PROFILE_COLUMNS};

#undef MESSENGER_PROFILE_COLUMNS

}  // namespace messenger::profile::queries
