"""Contacts across servers (issue 16, fedcontacts), run in the `join` phase
of federation_two_servers_test.py with fresh users. The request, its
acceptance and a removal travel as io.messenger.contact EDUs:

- alice (hs1) asks "@bob:hs2.test": bob sees the incoming request on hs2
  (GET /v1/contacts/requests and a contact_request in /v1/sync), accepts it
  there, and both lists show each other (a remote contact's username is its
  full Matrix id);
- bob removes alice on hs2: neither list shows the other, and alice's
  /v1/sync on hs1 has a contact_removed;
- carol (hs1) and dave (hs2) ask each other at once: friends on both
  (returned, for the direct room steps of federation_two_servers_direct.py).
"""
import uuid

from matrix_http import account, ok, until


class V1Sync:
    """A user's /v1/sync from now on: the events seen, in order."""

    def __init__(self, m, who):
        self.m, self.who = m, who
        r = m.raw("GET", "/v1/sync", token=who["token"])
        ok(r.status == 200, f"/v1/sync: {r}")
        self.next = r.body["next"]
        self.events = []

    def wait(self, kind, user_id, deadline_s=30):
        def seen():
            r = self.m.raw("GET", "/v1/sync", token=self.who["token"],
                           query={"since": self.next, "timeout_ms": "1000"})
            ok(r.status == 200, f"/v1/sync: {r}")
            self.next = r.body["next"]
            self.events += r.body["events"]
            return any(e["type"] == kind and e.get("user_id") == user_id for e in self.events)
        until(f"{kind} of {user_id} in {self.who['user_id']}'s /v1/sync", seen, deadline_s)


def _ask(m, who, matrix_id):
    r = m.raw("POST", "/v1/contacts/requests", {"user_id": matrix_id}, token=who["token"])
    ok(r.status in (200, 201), f"request to {matrix_id}: {r}")
    return r.body["user_id"]


def _contacts(m, who):
    r = m.raw("GET", "/v1/contacts", token=who["token"])
    ok(r.status == 200, f"/v1/contacts: {r}")
    return {c["user_id"]: c for c in r.body["contacts"]}


def _incoming(m, who):
    r = m.raw("GET", "/v1/contacts/requests", token=who["token"])
    ok(r.status == 200, f"/v1/contacts/requests: {r}")
    return r.body["incoming"]


def _is_contact(m, who, user_id, matrix_id):
    c = _contacts(m, who).get(user_id)
    return c is not None and c["username"] == matrix_id


def _bad_requests(hs1, alice):
    for bad, status in (("@Not Valid:hs2.test", 400), ("@nobody-here:hs1.test", 404)):
        r = hs1.raw("POST", "/v1/contacts/requests", {"user_id": bad}, token=alice["token"])
        ok(r.status == status, f"request to {bad}: want {status}, got {r}")


def contacts(hs1, hs2):
    tag = uuid.uuid4().hex[:8]
    alice, bob = account(hs1, "calice" + tag), account(hs2, "cbob" + tag)
    _bad_requests(hs1, alice)
    a_sync, b_sync = V1Sync(hs1, alice), V1Sync(hs2, bob)

    bob_on_hs1 = _ask(hs1, alice, bob["user_id"])
    ok(bob_on_hs1 != bob["uuid"], "a remote contact has this server's UUID for it")
    pending = hs1.raw("GET", "/v1/contacts/requests", token=alice["token"]).body["outgoing"]
    ok([(p["user_id"], p["username"]) for p in pending] == [(bob_on_hs1, bob["user_id"])],
       f"alice's outgoing requests on hs1: {pending}")

    def asked():
        mine = [r for r in _incoming(hs2, bob) if r["username"] == alice["user_id"]]
        return mine[0]["user_id"] if mine else None
    alice_on_hs2 = until("alice's request on hs2", asked, 30)
    b_sync.wait("contact_request", alice_on_hs2)

    r = hs2.raw("POST", f"/v1/contacts/requests/{alice_on_hs2}/accept", token=bob["token"])
    ok(r.status == 200, f"bob accepts on hs2: {r}")
    until("bob in alice's contacts on hs1",
          lambda: _is_contact(hs1, alice, bob_on_hs1, bob["user_id"]), 30)
    ok(_is_contact(hs2, bob, alice_on_hs2, alice["user_id"]), "alice in bob's contacts on hs2")
    a_sync.wait("contact_accepted", bob_on_hs1)

    r = hs2.raw("DELETE", f"/v1/contacts/{alice_on_hs2}", token=bob["token"])
    ok(r.status == 204, f"bob removes alice on hs2: {r}")
    ok(not _contacts(hs2, bob), "bob's contacts on hs2 after the removal")
    until("bob gone from alice's contacts on hs1", lambda: not _contacts(hs1, alice), 30)
    a_sync.wait("contact_removed", bob_on_hs1)

    # Both ask at once: friends on both sides, nothing left pending.
    carol, dave = friends_across(hs1, hs2, "ccarol" + tag, "cdave" + tag)
    for m, who in ((hs1, carol), (hs2, dave)):
        left = m.raw("GET", "/v1/contacts/requests", token=who["token"]).body
        ok(left["incoming"] == [] and left["outgoing"] == [], f"pending after mutual: {left}")
    print("contacts across servers: request, accept, remove and mutual requests ok")
    return carol, dave


def friends_across(hs1, hs2, name1, name2):
    """New users name1 on hs1 and name2 on hs2 who ask each other: contacts."""
    a, b = account(hs1, name1), account(hs2, name2)
    b_on_hs1 = _ask(hs1, a, b["user_id"])
    a_on_hs2 = _ask(hs2, b, a["user_id"])
    until(f"{name1} and {name2} friends on hs1",
          lambda: _is_contact(hs1, a, b_on_hs1, b["user_id"]), 30)
    until(f"{name1} and {name2} friends on hs2",
          lambda: _is_contact(hs2, b, a_on_hs2, a["user_id"]), 30)
    return a, b
