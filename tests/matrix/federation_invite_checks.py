"""PUT /_matrix/federation/v2/invite against a running messenger (issue 16,
fedinvite), as the inviting homeserver (`peer`, a federation_rooms_test.py
Server): refusals are 4xx with the spec's errcodes, a good invite comes back
with the messenger's signature added (checked here against the key it
publishes, with matrix.org's signedjson) and the invited local user sees it
in /v3/sync rooms.invite with the stripped state the peer sent along.
"""
import base64
import hashlib
import time
import urllib.parse
import uuid

from signedjson.key import decode_verify_key_bytes
from signedjson.sign import verify_signed_json

from matrix_http import C, account, ok, until

F = "/_matrix/federation"
INVITE = ("invites-v2.yaml", "/invite/{roomId}/{eventId}")


def _unb64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _verify_signed_by(m, event, server, redact):
    """The event's signature of `server`, against the key it publishes."""
    keys = m.raw("GET", "/_matrix/key/v2/server")
    ok(keys.status == 200, f"key document: {keys}")
    signatures = event.get("signatures", {}).get(server, {})
    ok(signatures, f"{server} signed the invite: {event.get('signatures')}")
    for key_id in signatures:
        public = keys.body["verify_keys"][key_id]["key"]
        verify_key = decode_verify_key_bytes(key_id, _unb64(public))
        verify_signed_json(redact(event), server, verify_key)  # raises when forged


def _some_id(text):
    """An event id of the right shape (the room's events are not needed here)."""
    digest = hashlib.sha256(text.encode()).digest()
    return "$" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invite_event(inviter, invitee, room_id, tag):
    # `origin`: the spec's InviteEvent schema requires it (servers still send it).
    return {"type": "m.room.member", "room_id": room_id, "sender": inviter,
            "origin": inviter.split(":", 1)[1],
            "state_key": invitee, "content": {"membership": "invite"},
            "origin_server_ts": int(time.time() * 1000), "depth": 3,
            "prev_events": [_some_id("prev" + tag)],
            "auth_events": [_some_id("create" + tag), _some_id("member" + tag)]}


def invites(m, fed, peer, outsider, server, redact, forger):
    """Invites of the peer's pat to a fresh local user, a room of the peer's
    that this server does not know."""
    q = urllib.parse.quote
    tag = uuid.uuid4().hex[:8]
    ivy = account(m, "fedivy" + tag)
    ivy_mxid = f"@fedivy{tag}:{server}"
    pat = f"@pat:{peer.name}"
    room_id = f"!invite{tag}:{peer.name}"
    stripped = [{"type": "m.room.name", "state_key": "", "sender": pat,
                 "content": {"name": "pat's room " + tag}},
                {"type": "m.room.join_rules", "state_key": "", "sender": pat,
                 "content": {"join_rule": "invite"}}]

    def put(event_id, pdu, version="10", who=peer, room=room_id, **kw):
        body = {"event": pdu, "room_version": version, "invite_room_state": stripped}
        return fed.call(who, "PUT", f"{F}/v2/invite/{q(room)}/{q(event_id)}", body, **kw)

    event_id, pdu = peer.finish_pdu(invite_event(pat, ivy_mxid, room_id, tag))
    fed.call(None, "PUT", f"{F}/v2/invite/{q(room_id)}/{q(event_id)}",
             {"event": pdu, "room_version": "10"}, expect=401, errcode="M_UNAUTHORIZED")
    put(event_id, pdu, version="1", expect=400, errcode="M_INCOMPATIBLE_ROOM_VERSION")
    fed.call(peer, "PUT", f"{F}/v2/invite/{q(room_id)}/{q(event_id)}", raw_body=b"{nope",
             expect=400)
    fed.call(peer, "PUT", f"{F}/v2/invite/{q(room_id)}/{q(event_id)}", {"room_version": "10"},
             expect=400, errcode="M_BAD_JSON")
    put("$notthisone", pdu, expect=400, errcode="M_BAD_JSON")
    put(event_id, pdu, room=f"!other{tag}:{peer.name}", expect=400, errcode="M_BAD_JSON")
    joined_id, joined = peer.finish_pdu(
        dict(invite_event(pat, ivy_mxid, room_id, tag), content={"membership": "join"}))
    put(joined_id, joined, expect=400, errcode="M_BAD_JSON")  # not an invite
    elsewhere_id, elsewhere = peer.finish_pdu(
        invite_event(pat, "@ivy:elsewhere.test", room_id, tag))
    put(elsewhere_id, elsewhere, expect=400, errcode="M_BAD_JSON")  # not our user
    nobody_id, nobody = peer.finish_pdu(
        invite_event(pat, f"@nobody{tag}:{server}", room_id, tag))
    put(nobody_id, nobody, expect=404, errcode="M_NOT_FOUND")
    foreign_id, foreign = outsider.finish_pdu(
        invite_event(f"@zed:{outsider.name}", ivy_mxid, room_id, tag))
    put(foreign_id, foreign, expect=403, errcode="M_FORBIDDEN")  # another server's user
    forged_id, forged = forger.finish_pdu(invite_event(pat, ivy_mxid, room_id, tag))
    put(forged_id, forged, expect=403, errcode="M_FORBIDDEN")
    bad = [dict(stripped[0], content="nope")]
    fed.call(peer, "PUT", f"{F}/v2/invite/{q(room_id)}/{q(event_id)}",
             {"event": pdu, "room_version": "10", "invite_room_state": bad},
             expect=400, errcode="M_BAD_JSON")
    # ivy registered a moment ago: when messaging has not applied her
    # user.created yet, it asks auth for her name (no 503 "retry shortly").
    sync = m.raw("GET", C + "/sync", token=ivy["token"])
    ok(sync.status == 200, f"ivy's first sync: {sync}")
    ok(room_id not in sync.body["rooms"]["invite"], f"no invite after refusals: {sync}")

    answer = put(event_id, pdu, spec=INVITE).body["event"]
    ok(answer["signatures"][peer.name] == pdu["signatures"][peer.name],
       f"the peer's signature kept: {answer}")
    _verify_signed_by(m, answer, server, redact)
    unsigned = {k: v for k, v in answer.items() if k != "signatures"}
    ok(unsigned == {k: v for k, v in pdu.items() if k != "signatures"},
       f"the event unchanged but for our signature: {answer}")
    again = put(event_id, pdu, spec=INVITE).body["event"]  # a retry: the same answer
    ok(again == answer, f"retried: {again}")

    def invited():
        s = m.raw("GET", C + "/sync", token=ivy["token"])
        ok(s.status == 200, f"/v3/sync: {s}")
        return s.body["rooms"]["invite"].get(room_id)
    room = until("the invite in ivy's /v3/sync", invited)
    events = room["invite_state"]["events"]
    kinds = {(e["type"], e["state_key"]): e for e in events}
    ok(kinds.get(("m.room.name", ""), {}).get("content") == stripped[0]["content"],
       f"the stripped name: {events}")
    ok(kinds.get(("m.room.member", ivy_mxid), {}).get("sender") == pat,
       f"the invite itself: {events}")
    return {"user": ivy, "room_id": room_id, "pat": pat}
