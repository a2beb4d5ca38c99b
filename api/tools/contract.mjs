// Loads api/openapi.yaml and api/asyncapi.yaml and checks recorded traffic
// against them: HTTP exchanges of the gateway and events read back from
// JetStream. Used by validate_traffic.mjs and its self-test.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {isDeepStrictEqual} from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

export const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function loadYaml(file) {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

// "#/components/x/y" of `doc`.
function pointer(doc, ref) {
  return ref.slice(2).split('/').reduce(
      (node, key) => node?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
}

function deref(doc, node) {
  while (node && node.$ref) node = pointer(doc, node.$ref);
  return node;
}

function escapePointer(key) {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function newAjv() {
  // strict off: the documents carry OpenAPI/AsyncAPI keywords (discriminator,
  // x-*) that are annotations, not JSON Schema.
  const ajv = new Ajv2020({strict: false, allErrors: true});
  addFormats(ajv);
  return ajv;
}

function errorText(validate) {
  return (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`)
      .join('; ');
}

// The parsed value, or undefined for text that is not JSON.
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lowerKeys(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

export class OpenApiChecker {
  constructor(doc) {
    this.doc = doc;
    this.ajv = newAjv();
    this.ajv.addSchema(doc, 'openapi');
    // Literal segments first, so /v1/contacts/requests wins over /v1/contacts/{user_id}.
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      parts: template.split('/').filter(Boolean),
    }));
  }

  schemaAt(jsonPointer) {
    return this.ajv.getSchema(`openapi#${jsonPointer}`);
  }

  // The documented path template of a concrete path, with its raw parameters.
  match(pathname) {
    const parts = pathname.split('/').filter(Boolean);
    let best = null;
    for (const {template, parts: tparts} of this.templates) {
      if (tparts.length !== parts.length) continue;
      const params = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length && ok; ++i) {
        const t = tparts[i];
        if (t.startsWith('{') && t.endsWith('}')) {
          params[t.slice(1, -1)] = parts[i];
        } else if (t === parts[i]) {
          ++literals;
        } else {
          ok = false;
        }
      }
      if (ok && (!best || literals > best.literals)) best = {template, params, literals};
    }
    return best;
  }

  // Problems of one recorded exchange (empty when it conforms).
  check(x) {
    const problems = [];
    const url = new URL(x.target, 'http://gateway');
    const method = x.method.toLowerCase();
    const label = `${x.method} ${x.target} -> ${x.status}`;
    const headers = lowerKeys(x.response_headers);
    const fail = (what) => problems.push(`${label}: ${what}`);
    if (!url.pathname.startsWith('/v1/')) return {skipped: true, problems};

    const found = this.match(url.pathname);
    const pathItem = found && this.doc.paths[found.template];
    const operation = pathItem?.[method];
    if (!operation) {
      // The gateway's answer to a route it does not have; anything else means
      // it serves a route the document lacks.
      const allowed = pathItem ? METHODS.filter((m) => pathItem[m]) : [];
      const expected = pathItem ? 405 : 404;
      if (x.status !== expected) {
        fail(pathItem ? `method not documented for ${found.template} (documented: ${allowed.join(', ')})`
                      : 'undocumented route');
        return {problems};
      }
      this.checkErrorBody(x, fail);
      if (!headers['x-trace-id']) fail('no X-Trace-Id header');
      if (pathItem) {
        const allow = (headers['allow'] ?? '').toLowerCase().split(',').map((s) => s.trim()).sort();
        if (!isDeepStrictEqual(allow, [...allowed].sort())) {
          fail(`Allow "${headers['allow']}" differs from the documented methods ${allowed.join(', ')}`);
        }
      }
      return {problems, unknownRoute: true};
    }
    const opPointer = `/paths/${escapePointer(found.template)}/${method}`;
    const requestOk = this.checkRequest(x, url, found, operation, opPointer);
    const status = String(x.status);
    if (!requestOk.ok && x.status < 400) {
      fail(`answered ${x.status} to a request the document does not allow (${requestOk.why})`);
    }
    const responses = operation.responses ?? {};
    const key = status in responses ? status : (`${status[0]}XX` in responses ? `${status[0]}XX` : 'default');
    const response = deref(this.doc, responses[key]);
    if (!response) {
      fail(`status ${x.status} is not documented for ${x.method.toUpperCase()} ${found.template}`);
      return {problems};
    }
    for (const [name, h] of Object.entries(response.headers ?? {})) {
      const header = deref(this.doc, h);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) fail(`missing header ${name}`);
        continue;
      }
      if (header.schema) {
        const validate = this.ajv.compile(deref(this.doc, header.schema));
        if (!validate(value)) fail(`header ${name}: "${value}" ${errorText(validate)}`);
      }
    }
    const media = response.content?.['application/json'];
    if (!media) {
      if ((x.response_body ?? '') !== '') fail('a body where the document has none');
      return {problems};
    }
    if (!(headers['content-type'] ?? '').startsWith('application/json')) {
      fail(`Content-Type "${headers['content-type']}" is not application/json`);
    }
    const body = parseJson(x.response_body);
    if (body === undefined) {
      fail('the body is not JSON');
      return {problems};
    }
    const responsePointer = responses[key].$ref ? responses[key].$ref.slice(1) : `${opPointer}/responses/${key}`;
    const validate = this.schemaAt(`${responsePointer}/content/application~1json/schema`);
    if (!validate(body)) fail(`body ${errorText(validate)}: ${x.response_body.slice(0, 300)}`);
    if (found.template === '/v1/openapi.json' && x.status === 200 && !isDeepStrictEqual(body, this.doc)) {
      fail('the served document differs from api/openapi.yaml');
    }
    return {problems};
  }

  checkErrorBody(x, fail) {
    const body = parseJson(x.response_body);
    if (body === undefined) return fail('the error body is not JSON');
    const validate = this.schemaAt('/components/schemas/Error');
    if (!validate(body)) fail(`error body ${errorText(validate)}`);
  }

  // Whether the request is one the document allows (its answer must then not be 2xx/3xx otherwise).
  checkRequest(x, url, found, operation, opPointer) {
    const params = [...(this.doc.paths[found.template].parameters ?? []), ...(operation.parameters ?? [])]
        .map((p) => deref(this.doc, p));
    const headers = lowerKeys(x.request_headers);
    for (const p of params) {
      let value;
      if (p.in === 'path') {
        try {
          value = decodeURIComponent(found.params[p.name]);
        } catch {
          return {ok: false, why: `path parameter ${p.name} is not valid percent-encoding`};
        }
      } else if (p.in === 'query') {
        value = url.searchParams.get(p.name) ?? undefined;
        if (value === '') value = undefined;  // empty = absent for the gateway
      } else if (p.in === 'header') {
        value = headers[p.name.toLowerCase()];
      }
      if (value === undefined) {
        if (p.required) return {ok: false, why: `missing ${p.in} parameter ${p.name}`};
        continue;
      }
      const schema = deref(this.doc, p.schema);
      if (schema?.type === 'integer') {
        if (!/^-?[0-9]+$/.test(value)) return {ok: false, why: `${p.name} is not an integer`};
        value = Number(value);
      }
      const validate = this.ajv.compile(schema);
      if (!validate(value)) return {ok: false, why: `${p.in} parameter ${p.name} ${errorText(validate)}`};
    }
    const security = operation.security ?? this.doc.security ?? [];
    if (security.length > 0 && !/^Bearer \S+$/.test(headers['authorization'] ?? '')) {
      return {ok: false, why: 'no bearer token'};
    }
    const media = operation.requestBody && deref(this.doc, operation.requestBody).content?.['application/json'];
    if (media) {
      const body = parseJson(x.request_body === '' ? 'null' : x.request_body);
      if (body === undefined) return {ok: false, why: 'the request body is not JSON'};
      const validate = this.schemaAt(`${opPointer}/requestBody/content/application~1json/schema`);
      if (!validate(body)) return {ok: false, why: `request body ${errorText(validate)}`};
    }
    return {ok: true};
  }
}

export class AsyncApiChecker {
  constructor(doc) {
    this.doc = doc;
    this.ajv = newAjv();
    this.ajv.addSchema(doc, 'asyncapi');
    this.bySubject = new Map();
    for (const [channelName, channel] of Object.entries(doc.channels)) {
      for (const name of Object.keys(channel.messages ?? {})) {
        const message = channel.messages[name];
        const pointer = message.$ref ? message.$ref.slice(1) : `/channels/${channelName}/messages/${name}`;
        this.bySubject.set(channel.address, pointer);
      }
    }
  }

  // Problems of one event read from the stream.
  check(e) {
    const problems = [];
    const label = `event ${e.subject} ${e.headers?.['Nats-Msg-Id'] ?? ''}`;
    const fail = (what) => problems.push(`${label}: ${what}`);
    const pointer = this.bySubject.get(e.subject);
    if (!pointer) {
      fail('subject not documented');
      return {problems};
    }
    const payload = parseJson(e.payload);
    if (payload === undefined) {
      fail('payload is not JSON');
      return {problems};
    }
    const headers = this.ajv.getSchema(`asyncapi#${pointer}/headers`);
    if (headers && !headers(e.headers ?? {})) fail(`headers ${errorText(headers)}`);
    const validate = this.ajv.getSchema(`asyncapi#${pointer}/payload`);
    if (!validate(payload)) fail(`payload ${errorText(validate)}: ${e.payload.slice(0, 300)}`);
    if (payload.type !== e.subject) fail(`type "${payload.type}" is not the subject`);
    if (e.headers?.['Nats-Msg-Id'] !== payload.id) fail('Nats-Msg-Id is not the id');
    return {problems};
  }
}

// Reads every *.jsonl recording under `dir` and checks it. Returns a summary.
export function checkRecordings(dir, openapi, asyncapi) {
  const summary = {exchanges: 0, skipped: 0, unknownRoutes: 0, events: 0, problems: [], operations: new Set()};
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort() : [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean);
    lines.forEach((line, i) => {
      const record = parseJson(line);
      if (record === undefined) {
        summary.problems.push(`${file}:${i + 1}: not a JSON line`);
        return;
      }
      const where = `${file}:${i + 1}`;
      let result;
      if (record.kind === 'http') {
        result = openapi.check(record);
        if (result.skipped) ++summary.skipped;
        else ++summary.exchanges;
        if (result.unknownRoute) ++summary.unknownRoutes;
        const m = !result.skipped && openapi.match(new URL(record.target, 'http://g').pathname);
        if (m) summary.operations.add(`${record.method.toUpperCase()} ${m.template} ${record.status}`);
      } else if (record.kind === 'event') {
        result = asyncapi.check(record);
        ++summary.events;
      } else {
        summary.problems.push(`${where}: unknown record kind`);
        return;
      }
      for (const p of result.problems) summary.problems.push(`${where}: ${p}`);
    });
  }
  summary.files = files.length;
  return summary;
}

export function loadCheckers() {
  return {
    openapi: new OpenApiChecker(loadYaml(path.join(API_DIR, 'openapi.yaml'))),
    asyncapi: new AsyncApiChecker(loadYaml(path.join(API_DIR, 'asyncapi.yaml'))),
  };
}
