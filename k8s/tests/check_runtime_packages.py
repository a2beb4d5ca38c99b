#!/usr/bin/python3
"""ctest k8s_runtime_packages: proves k8s/image/runtime-packages complete.

The Dockerfile installs, for each binary, the Debian packages its line in
runtime-packages names (apt adds their dependencies). Without Docker, this
resolves every shared library a built binary loads (ldd) to the package that
owns it (dpkg -S) and fails when a package is neither listed for that binary
nor a dependency of one listed (so the image would lack it), or when a listed
package gives the binary no library (so the image carries it for nothing;
packages of the "all:" line are data, e.g. CA certificates, and exempt).

  check_runtime_packages.py <runtime-packages> <binary path>...
  check_runtime_packages.py --suggest <binary path>   # packages of its direct needs
"""
import os
import re
import subprocess
import sys


def read_list(path):
    """{binary or "all": [packages]} from "name: pkg pkg" lines."""
    wanted = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, packages = line.partition(":")
            wanted.setdefault(name.strip(), []).extend(packages.split())
    return wanted


def loaded_libraries(binary):
    """{soname: resolved path} of every library the dynamic loader maps."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
        if m is None:
            if "not found" in line:
                sys.exit(f"{binary}: {line.strip()}")
            continue  # linux-vdso: no file
        libs[m.group(1)] = m.group(m.lastindex)
    return libs


def needed(binary):
    out = subprocess.run(["readelf", "-d", binary], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", out)


def library_owners():
    """{path: package} of the shared libraries dpkg installed (its file lists:
    one read instead of a dpkg -S per library)."""
    owners = {}
    info = "/var/lib/dpkg/info"
    for entry in os.listdir(info):
        if not entry.endswith(".list"):
            continue
        package = entry[:-len(".list")].split(":", 1)[0]
        with open(os.path.join(info, entry), encoding="utf-8", errors="replace") as f:
            for line in f:
                if ".so" in line:
                    owners[line.rstrip("\n")] = package
    return owners


def owner(path, owners):
    """Package owning a library file; merged /usr means dpkg may know it as
    /lib/... or /usr/lib/..., under either its link name or its target."""
    for p in (path, os.path.realpath(path)):
        for c in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
            if c in owners:
                return owners[c]
    return None


def installed_dependencies():
    """{package: [packages it depends on]} over installed packages, virtual
    packages resolved to the installed packages providing them."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\t${Provides}\t${Pre-Depends}, ${Depends}\n"],
        check=True, capture_output=True, text=True).stdout
    deps, provides = {}, {}
    for line in out.splitlines():
        name, status, provided, depends = line.split("\t")
        if not status.startswith("ii"):
            continue
        names = lambda field: [re.split(r"[\s:(]", a.strip())[0] for a in re.split(r"[,|]", field) if a.strip()]
        deps[name] = names(depends)
        for virtual in names(provided):
            provides.setdefault(virtual, []).append(name)
    return {p: [q for d in ds for q in ([d] if d in deps else provides.get(d, []))] for p, ds in deps.items()}


def closure(packages, deps):
    seen, todo = set(), list(packages)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += deps.get(p, [])
    return seen


def main(argv):
    if len(argv) == 3 and argv[1] == "--suggest":
        libs, owners = loaded_libraries(argv[2]), library_owners()
        print(" ".join(sorted({owner(libs[n], owners) or "?" + n for n in needed(argv[2]) if n in libs})))
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    # The Dockerfile must install from this very list, not a copy of it.
    dockerfile = os.path.join(os.path.dirname(os.path.abspath(argv[1])), "../../Dockerfile")
    if os.path.exists(dockerfile):
        with open(dockerfile, encoding="utf-8") as f:
            if "COPY k8s/image/runtime-packages " not in f.read():
                print("FAIL Dockerfile does not install from k8s/image/runtime-packages")
                return 1
    wanted = read_list(argv[1])
    deps, lib_owners = installed_dependencies(), library_owners()
    failures = 0
    for binary in argv[2:]:
        name = os.path.basename(binary)
        listed = wanted.get(name)
        if not listed:
            print(f"FAIL {name}: no line in {argv[1]}")
            failures += 1
            continue
        missing = [p for p in listed + wanted.get("all", []) if p not in deps]
        if missing:
            print(f"FAIL {name}: listed but not installed here, cannot check: {' '.join(missing)}")
            failures += 1
            continue
        available = closure(listed + wanted.get("all", []), deps)
        libs = loaded_libraries(binary)
        owners = {lib: owner(path, lib_owners) for lib, path in libs.items()}
        unowned = [f"{lib} ({owners[lib] or 'no package: ' + libs[lib]})"
                   for lib in sorted(libs) if owners[lib] not in available]
        used = set(owners.values())
        idle = [p for p in listed if p not in used]
        for lib in unowned:
            print(f"FAIL {name}: loads {lib}, not installed by its packages")
        for p in idle:
            print(f"FAIL {name}: lists {p}, which gives it no library")
        failures += len(unowned) + len(idle)
        if not unowned and not idle:
            print(f"ok   {name}: {len(libs)} libraries from {len(used)} packages, "
                  f"all installed by: {' '.join(listed)}")
    print(f"runtime packages: {'all checks passed' if not failures else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
