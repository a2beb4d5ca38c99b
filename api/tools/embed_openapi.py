#!/usr/bin/python3
"""Writes api/openapi.yaml as compact JSON into a C++ source file (the
document GET /v1/openapi.json serves), so the gateway serves the same file
the tests check. Runs at build time with Debian's python3-yaml.

usage: embed_openapi.py <openapi.yaml> <output.cc>
"""
import json
import sys

import yaml

DELIMITER = "openapi_json"


def main() -> int:
    source, output = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if f"){DELIMITER}\"" in text:
        print(f"embed_openapi.py: {source} contains the raw string delimiter", file=sys.stderr)
        return 1
    with open(output, "w", encoding="utf-8") as f:
        f.write(f"// Generated from {source} by api/tools/embed_openapi.py. Do not edit.\n")
        f.write('#include "gateway/src/routes/openapi_route.h"\n\n')
        f.write("namespace messenger::gateway {\n\n")
        f.write(f'const std::string_view kOpenApiJson = R"{DELIMITER}({text}){DELIMITER}";\n\n')
        f.write("}  // namespace messenger::gateway\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
