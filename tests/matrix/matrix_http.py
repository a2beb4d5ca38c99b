"""A small HTTP client for the Matrix tests (standard library only): every
answer's JSON body is checked against the spec schema of its endpoint."""
import json
import urllib.error
import urllib.parse
import urllib.request

from validate_response import SpecValidator


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return f"{self.status} {json.dumps(self.body)[:300]}"


class MatrixHttp:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.spec = SpecValidator()
        self.checked = 0

    def raw(self, method, path, body=None, token=None, headers=None, query=None):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, hdrs, text = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, dict(e.headers), e.read()
        parsed = json.loads(text) if text else None
        return Reply(status, hdrs, parsed)

    def call(self, spec, method, path, body=None, token=None, expect=200, headers=None,
             query=None, errcode=None):
        """Sends, checks the status (and errcode), validates against
        spec = (api file, spec path); returns the Reply."""
        reply = self.raw(method, path, body, token, headers, query)
        if reply.status != expect:
            raise AssertionError(f"{method} {path}: expected {expect}, got {reply}")
        if errcode is not None:
            got = (reply.body or {}).get("errcode")
            if got != errcode:
                raise AssertionError(f"{method} {path}: expected {errcode}, got {reply}")
        if spec is not None:
            self.spec.check(spec[0], spec[1], method, reply.status, reply.body)
            self.checked += 1
        return reply
