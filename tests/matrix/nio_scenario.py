"""A real Matrix client, matrix-nio (Debian python3-matrix-nio), against a
running messenger: register (UIA m.login.dummy), login with a chosen device
id, whoami, devices, set and read the display name, delete a device through
UIA m.login.password, refresh (raw HTTP: nio 0.20 has no refresh), logout;
the same account logs in over /v1 and sees its Matrix session in
/v1/sessions.

    /usr/bin/python3 nio_scenario.py --base http://127.0.0.1:8080
"""
import argparse
import asyncio
import sys

import nio
from nio.responses import WhoamiError, WhoamiResponse

from matrix_http import MatrixHttp, ok

PASSWORD = "nio's long password"
USER = "@niouser:localhost"


async def scenario(base):
    http = MatrixHttp(base)
    first = nio.AsyncClient(base, "niouser")
    second = nio.AsyncClient(base, USER, device_id="NIOLAPTOP")
    try:
        registered = await first.register("niouser", PASSWORD, device_name="nio phone")
        ok(isinstance(registered, nio.RegisterResponse), f"register: {registered}")
        ok(registered.user_id == USER, f"user id: {registered.user_id}")
        phone = registered.device_id

        logged_in = await second.login(PASSWORD, device_name="nio laptop")
        ok(isinstance(logged_in, nio.LoginResponse), f"login: {logged_in}")
        ok(logged_in.device_id == "NIOLAPTOP", f"chosen device id kept: {logged_in.device_id}")

        who = await second.whoami()
        ok(isinstance(who, WhoamiResponse) and who.user_id == USER, f"whoami: {who}")

        devices = await second.devices()
        ok(isinstance(devices, nio.DevicesResponse), f"devices: {devices}")
        names = {d.id: d.display_name for d in devices.devices}
        ok(names.get(phone) == "nio phone" and names.get("NIOLAPTOP") == "nio laptop",
           f"both devices listed: {names}")

        renamed = await second.set_displayname("Nio User")
        ok(isinstance(renamed, nio.ProfileSetDisplayNameResponse), f"set displayname: {renamed}")
        name = await first.get_displayname(USER)
        ok(isinstance(name, nio.ProfileGetDisplayNameResponse) and name.displayname == "Nio User",
           f"displayname seen by the other device: {name}")

        # The same account over /v1 lists the Matrix sessions with their device ids.
        v1 = http.raw("POST", "/v1/auth/login", {"login": "niouser", "password": PASSWORD})
        ok(v1.status == 200, f"/v1 login: {v1}")
        sessions = http.raw("GET", "/v1/sessions", token=v1.body["access_token"]).body["sessions"]
        ok({"NIOLAPTOP", phone} <= {s["device_id"] for s in sessions}, f"/v1/sessions: {sessions}")

        # Deleting the phone: nio learns the flows, then passes the password stage.
        challenge = await second.delete_devices([phone])
        ok(isinstance(challenge, nio.DeleteDevicesAuthResponse), f"UIA asked: {challenge}")
        deleted = await second.delete_devices(
            [phone], auth={"type": "m.login.password", "user": "niouser", "password": PASSWORD,
                           "session": challenge.session})
        ok(isinstance(deleted, nio.DeleteDevicesResponse), f"delete: {deleted}")
        gone = await first.whoami()
        ok(isinstance(gone, WhoamiError), f"deleted device's token refused: {gone}")

        # Refresh tokens, over raw HTTP.
        fresh = http.call(("login.yaml", "/login"), "POST", "/_matrix/client/v3/login",
                          {"type": "m.login.password", "user": "niouser", "password": PASSWORD,
                           "refresh_token": True}).body
        rotated = http.call(("refresh.yaml", "/refresh"), "POST", "/_matrix/client/v3/refresh",
                            {"refresh_token": fresh["refresh_token"]}).body
        second_token = second.access_token
        second.access_token = rotated["access_token"]
        ok(isinstance(await second.whoami(), WhoamiResponse), "refreshed token works")
        second.access_token = second_token

        out = await second.logout()
        ok(isinstance(out, nio.LogoutResponse), f"logout: {out}")
        # nio forgets the token at logout: ask with it directly.
        after = http.raw("GET", "/_matrix/client/v3/account/whoami", token=second_token)
        ok(after.status == 401 and after.body["errcode"] == "M_UNKNOWN_TOKEN",
           f"logged out: {after}")
    finally:
        await first.close()
        await second.close()
    print("ok: matrix-nio registered, logged in, listed and deleted devices, set its name,"
          " refreshed and logged out")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    args = parser.parse_args()
    asyncio.run(scenario(args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
