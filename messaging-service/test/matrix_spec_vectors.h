// The spec's event signing test vectors (matrix-org/matrix-spec,
// content/appendices.md, "Cryptographic Test Vectors"), copied verbatim.
// Copyright The Matrix.org Foundation C.I.C., Apache License 2.0
// (tests/matrix/spec/LICENSE).
#pragma once

#include <string>

#include "messaging-service/src/domain/matrix/base64.h"
#include "messaging-service/src/domain/matrix/signing.h"

namespace messenger::matrix {

// The seed of the spec's signing key "ed25519:1" of server "domain".
inline constexpr char kSpecSeed[] = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";

inline Ed25519Key SpecKey() { return *Ed25519Key::FromSeed(*DecodeBase64(kSpecSeed), "1"); }

// Spec appendices, "Event Signing", first example (verbatim).
inline constexpr char kMinimalEvent[] = R"({
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "signatures": {},
    "hashes": {},
    "type": "X",
    "content": {},
    "prev_events": [],
    "auth_events": [],
    "depth": 3,
    "unsigned": {
        "age_ts": 1000000
    }
})";
inline constexpr char kMinimalEventSigned[] = R"({
    "auth_events": [],
    "content": {},
    "depth": 3,
    "hashes": {
        "sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "prev_events": [],
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
        }
    },
    "type": "X",
    "unsigned": {
        "age_ts": 1000000
    }
})";

// Spec appendices, "Event Signing", second example (verbatim).
inline constexpr char kMessageEvent[] = R"({
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {},
    "unsigned": {
        "age_ts": 1000000
    }
})";
inline constexpr char kMessageEventSigned[] = R"({
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "hashes": {
        "sha256": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"
        }
    },
    "unsigned": {
        "age_ts": 1000000
    }
})";

}  // namespace messenger::matrix
