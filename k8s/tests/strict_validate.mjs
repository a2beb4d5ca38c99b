// Validates Kubernetes objects against the API's OpenAPI schemas (the
// validators compiled by the kubernetes-models package) and rejects fields
// the schemas do not know. Those validators accept unknown fields, as the
// API's schemas do not forbid them; the API server in strict mode does. So
// the object is validated through proxies that record which keys the
// validator looks up: a key it never looked up in an object whose keys it
// never enumerated (a map such as labels enumerates them) is unknown.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const schemasDir = path.join(path.dirname(require.resolve("kubernetes-models/package.json")), "_schemas");

// "networking.k8s.io/v1", "NetworkPolicy" -> IoK8sApiNetworkingV1NetworkPolicy
function schemaName(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  return `IoK8sApi${cap(group.split(".")[0])}${cap(version)}${kind}`;
}

const validators = new Map();
async function validatorFor(apiVersion, kind) {
  const name = schemaName(apiVersion, kind);
  if (!validators.has(name)) {
    try {
      validators.set(name, (await import(path.join(schemasDir, `${name}.js`))).validate);
    } catch {
      validators.set(name, null);
    }
  }
  return validators.get(name);
}

// A deep copy of value in recording proxies; records maps each proxy to what
// the validator did with it.
function record(value, records) {
  if (value === null || typeof value !== "object") return value;
  const target = Array.isArray(value)
    ? value.map((v) => record(v, records))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, record(v, records)]));
  const seen = { read: new Set(), enumerated: false };
  const proxy = new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === "string") seen.read.add(key);
      return Reflect.get(t, key, receiver);
    },
    has(t, key) {
      if (typeof key === "string") seen.read.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      seen.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
  records.set(proxy, { target, seen });
  return proxy;
}

function unknownFields(proxy, records, at, out) {
  const entry = records.get(proxy);
  if (!entry) return;
  const { target, seen } = entry;
  if (Array.isArray(target)) {
    target.forEach((v, i) => unknownFields(v, records, `${at}[${i}]`, out));
    return;
  }
  for (const [key, v] of Object.entries(target)) {
    const here = at ? `${at}.${key}` : key;
    if (!seen.enumerated && !seen.read.has(key)) out.push(`${here}: unknown field`);
    else unknownFields(v, records, here, out);
  }
}

function describe(error) {
  // "/spec/containers/0/name" -> "spec.containers[0].name", as unknownFields writes it.
  const where = error.instancePath.split("/").slice(1)
    .reduce((at, key) => (/^\d+$/.test(key) ? `${at}[${key}]` : at ? `${at}.${key}` : key), "") || "(root)";
  return `${where}: ${error.keyword} ${JSON.stringify(error.params)}`;
}

// kustomize wraps long base64 values of Secrets; the API server's decoder
// (Go's encoding/base64) skips the newlines, so the check does too.
function withoutBase64Newlines(object) {
  if (object.kind !== "Secret" || !object.data || typeof object.data !== "object") return object;
  const data = Object.fromEntries(Object.entries(object.data)
    .map(([k, v]) => [k, typeof v === "string" ? v.replace(/[\r\n]/g, "") : v]));
  return { ...object, data };
}

// The problems of one object, [] when it is valid.
export async function validateObject(object) {
  if (!object || typeof object !== "object") return ["not an object"];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return ["apiVersion and kind required"];
  const validate = await validatorFor(apiVersion, kind);
  if (!validate) return [`no schema for ${apiVersion} ${kind}`];
  const records = new Map();
  const proxy = record(withoutBase64Newlines(object), records);
  const problems = validate(proxy) ? [] : (validate.errors ?? []).map(describe);
  unknownFields(proxy, records, "", problems);
  return problems;
}
