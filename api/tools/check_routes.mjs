// Compares the gateway's route table (every Route/RouteAsync registration in
// gateway/src) with the paths of api/openapi.yaml: a /v1 route without
// documentation, a documented route the gateway lacks, a public/bearer
// mismatch or a path parameter whose schema does not match its declared shape
// fails.
//   node api/tools/check_routes.mjs <gateway/src dir>
import fs from 'node:fs';
import path from 'node:path';
import {API_DIR, loadYaml} from './contract.mjs';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const SHAPE_SCHEMAS = {
  uuid: '#/components/schemas/Uuid',
  room: '#/components/schemas/RoomId',
  message: '#/components/schemas/MessageId',
};

// gateway/src/matrix/ serves /_matrix/ only (its contract is the Matrix spec,
// checked by tests/matrix/): its route tables may build paths from variables.
const SKIPPED_DIRS = new Set(['matrix']);

function sources(dir) {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sources(full);
    return entry.name.endsWith('.cc') ? [full] : [];
  });
}

// Every registration: {method, pattern (shapes removed), shapes, authenticated}.
export function gatewayRoutes(dir) {
  const routes = [];
  const problems = [];
  for (const file of sources(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    // Calls, not the declarations in gateway.h/gateway.cc.
    const calls = [...text.matchAll(/\b(?:\w+\s*(?:\.|->)\s*)?Route(?:Async)?\(\s*(?=")/g)];
    for (const call of calls) {
      const rest = text.slice(call.index + call[0].length);
      const m = rest.match(/^"([A-Z]+)",\s*"([^"]+)",\s*(true|false)\b/);
      if (!m) {
        problems.push(`${file}: a route registration this check cannot read: ${rest.slice(0, 80)}`);
        continue;
      }
      const shapes = {};
      const pattern = m[2].replace(/\{(\w+)(?::(\w+))?\}/g, (_, name, shape) => {
        shapes[name] = shape ?? 'text';
        return `{${name}}`;
      });
      routes.push({method: m[1].toLowerCase(), pattern, shapes, authenticated: m[3] === 'true', file});
    }
    // Registrations whose method or path is not a literal would escape the check.
    const all = [...text.matchAll(/\b\w+\s*(?:\.|->)\s*Route(?:Async)?\(/g)].length;
    const literal = [...text.matchAll(/\b\w+\s*(?:\.|->)\s*Route(?:Async)?\(\s*"/g)].length;
    if (all !== literal) problems.push(`${file}: a route registered with a non-literal method or path`);
  }
  return {routes, problems};
}

export function compare(doc, routes) {
  const problems = [];
  const served = new Set();
  for (const r of routes) {
    if (!r.pattern.startsWith('/v1/')) continue;
    const key = `${r.method.toUpperCase()} ${r.pattern}`;
    served.add(key);
    const op = doc.paths[r.pattern]?.[r.method];
    if (!op) {
      problems.push(`${key} (${r.file}) is not in api/openapi.yaml`);
      continue;
    }
    const security = op.security ?? doc.security ?? [];
    if ((security.length > 0) !== r.authenticated) {
      problems.push(`${key}: the gateway ${r.authenticated ? 'wants a bearer token' : 'is public'}, the document says otherwise`);
    }
    const params = (op.parameters ?? []).map((p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p));
    for (const [name, shape] of Object.entries(r.shapes)) {
      const p = params.find((q) => q.in === 'path' && q.name === name);
      if (!p) {
        problems.push(`${key}: path parameter ${name} not documented`);
      } else if (SHAPE_SCHEMAS[shape] && p.schema?.$ref !== SHAPE_SCHEMAS[shape]) {
        problems.push(`${key}: path parameter ${name} is a ${shape}; its schema should be ${SHAPE_SCHEMAS[shape]}`);
      }
    }
  }
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) {
      if (item[m] && !served.has(`${m.toUpperCase()} ${p}`)) {
        problems.push(`${m.toUpperCase()} ${p} is documented but the gateway has no such route`);
      }
    }
  }
  return {problems, count: served.size};
}

if (process.argv[1] && process.argv[1].endsWith('check_routes.mjs')) {
  const dir = process.argv[2];
  const doc = loadYaml(path.join(API_DIR, 'openapi.yaml'));
  const {routes, problems: scan} = gatewayRoutes(dir);
  const {problems, count} = compare(doc, routes);
  const all = [...scan, ...problems];
  if (count === 0) all.push(`no /v1 routes found under ${dir}`);
  for (const p of all) console.error(p);
  if (all.length > 0) process.exit(1);
  console.log(`${count} /v1 routes of the gateway, all documented, and every documented operation served`);
}
