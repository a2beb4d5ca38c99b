"""A real SMTP server for the tests (aiosmtpd): STARTTLS required before mail,
AUTH (PLAIN/LOGIN) required for one user; each message is written as a file
<n>.eml into --dir (renamed into place when complete).

/usr/bin/python3 smtp_server.py --port P --dir D --cert C --key K --user U --password W
"""
import argparse
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Spool:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        user = getattr(session, "auth_data", None)
        if isinstance(user, bytes):
            user = user.decode()
        head = "X-Envelope-From: {}\r\nX-Envelope-To: {}\r\nX-Auth-User: {}\r\n".format(
            envelope.mail_from, ",".join(envelope.rcpt_tos), user or "")
        tmp = os.path.join(self.directory, ".{}.tmp".format(self.count))
        with open(tmp, "wb") as f:
            f.write(head.encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.directory, "{}.eml".format(self.count)))
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    for name in ("--port", "--dir", "--cert", "--key", "--user", "--password"):
        parser.add_argument(name, required=True)
    args = parser.parse_args()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == args.user.encode()
              and auth_data.password == args.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    controller = Controller(Spool(args.dir), hostname="127.0.0.1", port=int(args.port),
                            tls_context=tls, require_starttls=True, authenticator=authenticate,
                            auth_required=True, auth_require_tls=True)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
