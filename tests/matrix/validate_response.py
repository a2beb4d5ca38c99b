"""Validates Matrix responses against the response schemas of the spec.

The schemas are the spec's OpenAPI documents (a copy of the files the tests
need lives in spec/, see spec/README.md). A schema is looked up by API file,
path, method and status, its relative $refs (to other files and inside a
file) are resolved, and the body is checked with jsonschema.

    from validate_response import SpecValidator
    spec = SpecValidator()
    spec.check("login.yaml", "/login", "post", 200, body)   # raises on a mismatch

Run with /usr/bin/python3 (Debian's python3-jsonschema and python3-yaml).
"""
import copy
import json
import os
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPEC_DIR = os.path.join(HERE, "spec", "data")


class SpecError(AssertionError):
    pass


class SpecValidator:
    def __init__(self, spec_dir=DEFAULT_SPEC_DIR):
        self.api_dir = os.path.join(spec_dir, "api", "client-server")
        self._files = {}
        self.loaded = set()  # every file read (to list what a copy of the spec needs)

    def _load(self, path):
        path = os.path.normpath(path)
        if path not in self._files:
            with open(path, encoding="utf-8") as f:
                self._files[path] = yaml.safe_load(f)
            self.loaded.add(path)
        return self._files[path]

    @staticmethod
    def _pointer(doc, pointer):
        node = doc
        for part in [p for p in pointer.split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def _resolve(self, node, base, depth=0):
        """A copy of `node` with every $ref replaced by its target."""
        if depth > 64:
            raise SpecError("$ref nesting too deep in " + base)
        if isinstance(node, list):
            return [self._resolve(item, base, depth) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            file_part, _, pointer = ref.partition("#")
            target_file = os.path.join(os.path.dirname(base), file_part) if file_part else base
            target = self._pointer(self._load(target_file), pointer)
            resolved = self._resolve(copy.deepcopy(target), target_file, depth + 1)
            # Siblings of $ref (OpenAPI 3.1 allows them) refine the target.
            extra = {k: v for k, v in node.items() if k != "$ref"}
            if extra and isinstance(resolved, dict):
                resolved = {"allOf": [resolved, self._resolve(extra, base, depth + 1)]}
            return resolved
        return {k: self._resolve(v, base, depth + 1) for k, v in node.items()
                if k not in ("example", "examples")}

    def schema(self, api_file, path, method, status):
        base = os.path.join(self.api_dir, api_file)
        doc = self._load(base)
        try:
            op = doc["paths"][path][method.lower()]
        except KeyError:
            raise SpecError(f"{api_file}: no {method.upper()} {path} in the spec")
        responses = op.get("responses", {})
        response = responses.get(str(status))
        if response is None:
            raise SpecError(f"{method.upper()} {path}: the spec has no {status} response "
                            f"(it has {sorted(responses)})")
        response = self._resolve(response, base)
        content = response.get("content", {}).get("application/json")
        if content is None or "schema" not in content:
            return None  # no body defined
        return content["schema"]

    def check(self, api_file, path, method, status, body):
        schema = self.schema(api_file, path, method, status)
        if schema is None:
            return
        try:
            jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as e:
            raise SpecError(f"{method.upper()} {path} {status}: {e.message} at "
                            f"{list(e.absolute_path)}; body: {json.dumps(body)[:500]}")


def main():
    """validate_response.py <api file> <path> <method> <status> < body.json"""
    if len(sys.argv) != 5:
        print(main.__doc__, file=sys.stderr)
        return 2
    api_file, path, method, status = sys.argv[1:]
    body = json.load(sys.stdin)
    try:
        SpecValidator().check(api_file, path, method, int(status), body)
    except SpecError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
