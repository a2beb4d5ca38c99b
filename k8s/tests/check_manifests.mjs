// ctest k8s_manifests: renders k8s/base and every overlay with
// `kubectl kustomize`, validates each object offline (schemas plus unknown
// fields, strict_validate.mjs) and this project's rules (policy_checks.mjs),
// has nats-server parse the NATS configurations, proves the checks fail on
// the committed broken fixtures, and that no
// secret file is tracked by git.
//   node check_manifests.mjs <k8s dir> <scratch dir>
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { validateObject } from "./strict_validate.mjs";
import { checkPolicies } from "./policy_checks.mjs";

const [k8sDir, scratch] = process.argv.slice(2).map((p) => path.resolve(p));
if (!k8sDir || !scratch) {
  console.error("usage: node check_manifests.mjs <k8s dir> <scratch dir>");
  process.exit(2);
}
let failed = 0;
const fail = (msg) => { console.log(`FAIL ${msg}`); failed++; };
const pass = (msg) => console.log(`ok   ${msg}`);

function parse(text, file) {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
    const o = doc.toJS();
    return o === null ? [] : [o];
  });
}

async function problemsOf(objects) {
  const problems = [];
  for (const o of objects) {
    for (const p of await validateObject(o)) problems.push(`${o.kind}/${o.metadata?.name}: ${p}`);
  }
  return problems.concat(checkPolicies(objects));
}

// The overlays read their Secrets from git-ignored secrets/*.env and
// certificate files; render a copy where each .env is its committed
// *.env.example and the files are made by k8s/scripts.
fs.rmSync(scratch, { recursive: true, force: true });
fs.cpSync(k8sDir, path.join(scratch, "k8s"), {
  recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`),
});
for (const overlay of fs.readdirSync(path.join(scratch, "k8s/overlays"))) {
  const secrets = path.join(scratch, "k8s/overlays", overlay, "secrets");
  if (!fs.existsSync(secrets)) continue;
  for (const f of fs.readdirSync(secrets).filter((f) => f.endsWith(".env.example"))) {
    fs.copyFileSync(path.join(secrets, f), path.join(secrets, f.replace(/\.example$/, "")));
  }
  // The certificates and the signing key, made by the scripts the README
  // tells operators to run (which this also tests).
  const scripts = path.join(k8sDir, "scripts");
  execFileSync("bash", [path.join(scripts, "make-grpc-certs.sh"), path.join(secrets, "grpc")],
               { stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("bash", [path.join(scripts, "make-matrix-signing-key.sh"),
                        path.join(secrets, "matrix-signing.key")],
               { stdio: ["ignore", "ignore", "inherit"] });
}

const trees = ["base", ...fs.readdirSync(path.join(k8sDir, "overlays")).map((o) => `overlays/${o}`)];
for (const tree of trees) {
  let objects;
  try {
    const out = execFileSync("kubectl", ["kustomize", path.join(scratch, "k8s", tree)],
                             { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    objects = parse(out, tree);
  } catch (e) {
    fail(`${tree}: does not render: ${(e.stderr || e.message).toString().trim()}`);
    continue;
  }
  const problems = await problemsOf(objects);
  problems.forEach((p) => fail(`${tree}: ${p}`));
  if (!problems.length) pass(`${tree}: ${objects.length} objects valid`);
}

// NATS configurations: nats-server itself (a project package) parses them.
// As in the pod: nats.conf beside the base's nats-users.conf, every password
// variable set.
const natsUsers = path.join(k8sDir, "base/nats-users.conf");
const natsEnv = { ...process.env, POD_NAME: "nats-0" };
for (const m of fs.readFileSync(natsUsers, "utf8").matchAll(/\$(NATS_PASSWORD_\w+)/g)) natsEnv[m[1]] = "x";
for (const overlay of fs.readdirSync(path.join(k8sDir, "overlays"))) {
  const conf = path.join(k8sDir, "overlays", overlay, "nats.conf");
  if (!fs.existsSync(conf)) continue;
  const dir = path.join(scratch, "nats", overlay);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(conf, path.join(dir, "nats.conf"));
  fs.copyFileSync(natsUsers, path.join(dir, "nats-users.conf"));
  try {
    execFileSync("nats-server", ["-c", path.join(dir, "nats.conf"), "-t"], {
      env: natsEnv, stdio: ["ignore", "pipe", "pipe"] });
    pass(`overlays/${overlay}/nats.conf: nats-server accepts it`);
  } catch (e) {
    fail(`overlays/${overlay}/nats.conf: ${(e.stderr || e.message).toString().trim()}`);
  }
}

// Each fixture must fail with at least the problems its "# expect:" lines name.
const fixtures = path.join(k8sDir, "tests/fixtures");
for (const f of fs.readdirSync(fixtures).filter((f) => f.endsWith(".yaml"))) {
  const text = fs.readFileSync(path.join(fixtures, f), "utf8");
  const expected = [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => m[1].trim());
  const problems = await problemsOf(parse(text, f));
  const missing = expected.filter((e) => !problems.includes(e));
  if (!expected.length) fail(`fixture ${f}: no "# expect:" lines`);
  else if (missing.length) fail(`fixture ${f}: not reported: ${missing.join("; ")} (got: ${problems.join("; ")})`);
  else pass(`fixture ${f}: rejected (${problems.length} problems, ${expected.length} expected found)`);
}

// Secrets stay out of git: only the *.env.example templates are tracked.
try {
  const tracked = execFileSync("git", ["-C", k8sDir, "ls-files", "--full-name", "."], { encoding: "utf8" })
    .split("\n").filter(Boolean);
  const leaked = tracked.filter((f) => /(^|\/)secrets\/.*\.env$/.test(f) || /\.(key|pem|crt)$/.test(f));
  if (leaked.length) fail(`secret files tracked by git: ${leaked.join(", ")}`);
  else pass(`no secret file among ${tracked.length} tracked files`);
} catch (e) {
  fail(`git ls-files: ${e.message}`);
}

console.log(failed ? `k8s manifests: ${failed} failed` : "k8s manifests: all checks passed");
process.exit(failed ? 1 : 0);
