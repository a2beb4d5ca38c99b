"""matrix-nio (Debian python3-matrix-nio 0.20, with python3-olm) chatting
against a running messenger through nio's own API: two users register and
log in, become friends over /v1 (the contact policy), one creates a group
room and invites the other, the invite arrives in nio's sync and is
joined, both send and see both messages through sync, room_messages
paginates back to m.room.create, the room turns encrypted and both upload
their olm keys, keys_query fetches (and nio verifies) the other device, a
to-device message arrives in exactly one sync, and logout kills the token. Every answer nio
receives is also validated against the spec's response schemas.

    /usr/bin/python3 nio_chat_scenario.py --base http://127.0.0.1:8080
"""
import argparse
import asyncio
import re
import sys
import tempfile
import time

import nio
from nio.event_builders import ToDeviceMessage

from matrix_http import MatrixHttp, ok
from validate_response import SpecValidator

PASSWORD = "nio chat's long password"
SPEC = SpecValidator()

# nio's request paths (after /_matrix/client/r0 or v3) -> the spec operation.
SPEC_ROUTES = [
    (r"/register", ("registration.yaml", "/register")),
    (r"/login", ("login.yaml", "/login")),
    (r"/logout", ("logout.yaml", "/logout")),
    (r"/account/whoami", ("whoami.yaml", "/account/whoami")),
    (r"/createRoom", ("create_room.yaml", "/createRoom")),
    (r"/sync", ("sync.yaml", "/sync")),
    (r"/join/[^/]+", ("joining.yaml", "/join/{roomIdOrAlias}")),
    (r"/rooms/[^/]+/send/[^/]+/[^/]+", ("room_send.yaml", "/rooms/{roomId}/send/{eventType}/{txnId}")),
    (r"/rooms/[^/]+/messages", ("message_pagination.yaml", "/rooms/{roomId}/messages")),
    # An empty state key: nio's URL ends in "/", which aiohttp drops.
    (r"/rooms/[^/]+/state/[^/]+(/[^/]*)?",
     ("room_state.yaml", "/rooms/{roomId}/state/{eventType}/{stateKey}")),
    (r"/rooms/[^/]+/joined_members", ("rooms.yaml", "/rooms/{roomId}/joined_members")),
    (r"/keys/upload", ("keys.yaml", "/keys/upload")),
    (r"/keys/query", ("keys.yaml", "/keys/query")),
    (r"/keys/claim", ("keys.yaml", "/keys/claim")),
    (r"/sendToDevice/[^/]+/[^/]+", ("to_device.yaml", "/sendToDevice/{eventType}/{txnId}")),
]
CHECKED = []


class CheckedClient(nio.AsyncClient):
    """nio's client; every answer is checked against the spec first."""

    async def create_matrix_response(self, response_class, transport_response, data=None):
        path = re.sub(r"^/_matrix/client/(r0|v3)", "", transport_response.url.path)
        for pattern, (api_file, spec_path) in SPEC_ROUTES:
            if re.fullmatch(pattern, path):
                body = await transport_response.json(content_type=None)
                SPEC.check(api_file, spec_path, transport_response.method,
                           transport_response.status, body)
                CHECKED.append(spec_path)
                break
        else:
            raise AssertionError(f"no spec operation listed for {path}")
        return await super().create_matrix_response(response_class, transport_response, data)


def client(base, user, store):
    config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
    return CheckedClient(base, user, store_path=store, config=config)


async def sync_until(who, what, seen, deadline_s=30):
    """Syncs (long polls of 1 s) until seen(response) is true."""
    end = time.monotonic() + deadline_s
    while True:
        reply = await who.sync(timeout=1000)
        ok(isinstance(reply, nio.SyncResponse), f"sync: {reply}")
        if seen(reply):
            return reply
        ok(time.monotonic() < end, f"{who.user_id} never saw {what}")


def timeline_ids(reply, room_id, into):
    joined = reply.rooms.join.get(room_id)
    if joined is not None:
        into.update(e.event_id for e in joined.timeline.events)
    return into


async def register_and_login(base, name, store):
    plain = CheckedClient(base, name)
    try:
        registered = await plain.register(name, PASSWORD, device_name=f"{name} phone")
        ok(isinstance(registered, nio.RegisterResponse), f"register {name}: {registered}")
    finally:
        await plain.close()
    c = client(base, name, store)
    logged_in = await c.login(PASSWORD, device_name=f"{name} laptop")
    ok(isinstance(logged_in, nio.LoginResponse), f"login {name}: {logged_in}")
    return c


def befriend(http, a, b):
    ids = {c.user_id: http.raw("GET", "/v1/me", token=c.access_token).body["user_id"]
           for c in (a, b)}
    asked = http.raw("POST", "/v1/contacts/requests", {"user_id": ids[b.user_id]},
                     token=a.access_token)
    ok(asked.status in (200, 201), f"contact request: {asked}")
    accepted = http.raw("POST", f"/v1/contacts/requests/{ids[a.user_id]}/accept", {},
                        token=b.access_token)
    ok(accepted.status == 200, f"accept: {accepted}")


async def send_text(who, room_id, body):
    sent = await who.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                               ignore_unverified_devices=True)
    ok(isinstance(sent, nio.RoomSendResponse), f"send {body!r}: {sent}")
    return sent.event_id


async def chat(alice, bob):
    """Group room, invite seen in sync, join, messages both ways."""
    created = await alice.room_create(name="nio group", invite=[bob.user_id])
    ok(isinstance(created, nio.RoomCreateResponse), f"createRoom: {created}")
    room_id = created.room_id
    await sync_until(alice, "her room", lambda r: room_id in r.rooms.join)
    await sync_until(bob, "the invite", lambda r: room_id in r.rooms.invite)
    ok(room_id in bob.invited_rooms, f"nio lists the invite: {bob.invited_rooms}")
    joined = await bob.join(room_id)
    ok(isinstance(joined, nio.JoinResponse) and joined.room_id == room_id, f"join: {joined}")
    await sync_until(bob, "the joined room", lambda r: room_id in r.rooms.join)

    sent = {await send_text(alice, room_id, "hello bob, from nio"),
            await send_text(bob, room_id, "hello alice, from nio")}
    for who in (alice, bob):
        seen = set()
        await sync_until(who, f"both messages {sent}",
                         lambda r: sent <= timeline_ids(r, room_id, seen))
    ok(set(alice.rooms[room_id].users) == {alice.user_id, bob.user_id},
       f"both members known to nio: {alice.rooms[room_id].users}")
    return room_id, sent


async def paginate(alice, room_id, sent):
    """room_messages from the sync position back to m.room.create."""
    more = [await send_text(alice, room_id, f"history {i}") for i in range(7)]
    seen = set()
    await sync_until(alice, "the history messages", lambda r: set(more) <= timeline_ids(
        r, room_id, seen))
    events, start, pages = [], alice.next_batch, 0
    while True:
        page = await alice.room_messages(room_id, start, limit=4)
        ok(isinstance(page, nio.RoomMessagesResponse), f"room_messages: {page}")
        pages += 1
        ok(pages < 50, "pagination ends")
        events.extend(page.chunk)
        if not page.chunk or page.end is None or page.end == start:
            break
        start = page.end
    ids = [e.event_id for e in events]
    ok(len(ids) == len(set(ids)), f"no event twice across pages: {ids}")
    ok(isinstance(events[-1], nio.RoomCreateEvent), f"ends at m.room.create: {events[-1]}")
    texts = [e.event_id for e in events if isinstance(e, nio.RoomMessageText)]
    ok(texts[:len(more)] == list(reversed(more)), f"newest first: {texts} vs {more}")
    ok(set(texts) == set(more) | sent, f"every message once: {texts}")
    return pages


async def keys_and_to_device(alice, bob, room_id):
    """Encryption on, olm keys up, keys_query, one to-device message."""
    turned_on = await alice.room_put_state(room_id, "m.room.encryption",
                                           {"algorithm": "m.megolm.v1.aes-sha2"})
    ok(isinstance(turned_on, nio.RoomPutStateResponse), f"m.room.encryption: {turned_on}")
    for who in (alice, bob):
        uploaded = await who.keys_upload()
        ok(isinstance(uploaded, nio.KeysUploadResponse) and uploaded.signed_curve25519_count > 0,
           f"keys_upload: {uploaded}")
        await sync_until(who, "the room turning encrypted", lambda r: who.rooms[room_id].encrypted)
    ok(alice.should_query_keys, "nio wants the keys of the encrypted room's members")
    queried = await alice.keys_query()
    ok(isinstance(queried, nio.KeysQueryResponse), f"keys_query: {queried}")
    ok(bob.device_id in alice.device_store[bob.user_id],
       f"nio verified and stored bob's device: {queried}")

    # Drain bob's pending to-device messages, then exactly one arrives once.
    await bob.sync(timeout=0)
    note = ToDeviceMessage("m.key.verification.cancel", bob.user_id, bob.device_id,
                           {"transaction_id": "nio-once-1", "code": "m.user",
                            "reason": "delivered exactly once"})
    delivered = await alice.to_device(note, tx_id="nio-once-tx")
    ok(isinstance(delivered, nio.ToDeviceResponse), f"to_device: {delivered}")

    def mine(reply):
        return [e for e in reply.to_device_events
                if isinstance(e, nio.KeyVerificationCancel) and e.transaction_id == "nio-once-1"]
    got = await sync_until(bob, "the to-device message", lambda r: mine(r))
    ok(len(mine(got)) == 1 and mine(got)[0].sender == alice.user_id, f"once: {mine(got)}")
    again = await bob.sync(timeout=0)
    ok(isinstance(again, nio.SyncResponse) and not mine(again),
       f"acknowledged by the next since, never again: {again.to_device_events}")


async def scenario(base):
    http = MatrixHttp(base)
    with tempfile.TemporaryDirectory() as store:
        alice = await register_and_login(base, "niochatalice", store)
        bob = await register_and_login(base, "niochatbob", store)
        try:
            befriend(http, alice, bob)
            room_id, sent = await chat(alice, bob)
            pages = await paginate(alice, room_id, sent)
            await keys_and_to_device(alice, bob, room_id)
            token = alice.access_token
            out = await alice.logout()
            ok(isinstance(out, nio.LogoutResponse), f"logout: {out}")
            after = http.raw("GET", "/_matrix/client/v3/account/whoami", token=token)
            ok(after.status == 401 and after.body["errcode"] == "M_UNKNOWN_TOKEN",
               f"the token is dead after logout: {after}")
        finally:
            await alice.close()
            await bob.close()
    print(f"ok: matrix-nio chat scenario ({len(CHECKED)} answers validated, {pages} pages)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    args = parser.parse_args()
    asyncio.run(scenario(args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
