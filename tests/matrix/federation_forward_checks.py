"""A join and a leave taken through send_join/send_leave reach the room's
other servers (issue 16): the joining server talks only to the resident
one, so the resident queues the event for everyone else. Room B lives on
the server under test (hs2); henry of hs1 (a real messenger) joins it with
/join; then pat of the Python peer joins and leaves through
make_join/send_join and make_leave/send_leave on hs2; hs1, which pat's
server never talked to, sees pat come and go. Called by
federation_rooms_test.py when it is given hs1's client URL."""
import urllib.parse

from matrix_http import C, MatrixHttp, account, ok, until

F = "/_matrix/federation"


def forwarding(m, fed, peer, alice, outsider_base, server, tag):
    q = urllib.parse.quote
    pat = f"@pat:{peer.name}"
    room = m.raw("POST", C + "/createRoom", {"preset": "public_chat", "name": "forwarded"},
                 token=alice["token"])
    ok(room.status == 200, f"createRoom: {room}")
    room_id = room.body["room_id"]
    hs1 = MatrixHttp(outsider_base)
    henry = account(hs1, "henry" + tag)
    r = hs1.raw("POST", f"{C}/join/{q(room_id)}", {}, token=henry["token"],
                query={"server_name": server})
    ok(r.status == 200, f"henry joins from hs1: {r}")

    def members_on_hs1():
        r = hs1.raw("GET", f"{C}/rooms/{q(room_id)}/joined_members", token=henry["token"])
        ok(r.status == 200, f"joined_members on hs1: {r}")
        return set(r.body["joined"])

    template = fed.call(peer, "GET", f"{F}/v1/make_join/{q(room_id)}/{q(pat)}",
                        query={"ver": "10"}).body
    join_id, join = peer.finish_pdu(template["event"])
    fed.call(peer, "PUT", f"{F}/v2/send_join/{q(room_id)}/{q(join_id)}", join)
    until("pat's join forwarded to hs1", lambda: pat in members_on_hs1(), 30)

    template = fed.call(peer, "GET", f"{F}/v1/make_leave/{q(room_id)}/{q(pat)}").body
    leave_id, leave = peer.finish_pdu(template["event"])
    fed.call(peer, "PUT", f"{F}/v2/send_leave/{q(room_id)}/{q(leave_id)}", leave)
    until("pat's leave forwarded to hs1", lambda: pat not in members_on_hs1(), 30)
    ok(henry["user_id"] in members_on_hs1(), "henry is still in the room on hs1")
