// Proves the contract checks can fail: conforming samples pass, and each kind
// of drift (a missing required field, an undocumented status, an unknown
// route served, a missing header, an event field of the wrong type, an
// undocumented subject, an undocumented gateway route, a proto field the
// document lacks) is reported.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {checkRecordings, loadCheckers} from './contract.mjs';
import {compare as compareRoutes} from './check_routes.mjs';
import {compare as compareProto, parseProto} from './check_events_proto.mjs';

const {openapi, asyncapi} = loadCheckers();
const USER = '0190f1c2-7a3b-7c4d-8e5f-0123456789ab';
const TRACE = {'X-Trace-Id': '0af7651916cd43dd8448eb211c80319c'};
const JSON_TRACE = {...TRACE, 'Content-Type': 'application/json'};
const BEARER = {Authorization: 'Bearer token'};
let checks = 0;

function http(over) {
  return {
    kind: 'http', method: 'GET', target: '/v1/me', request_headers: BEARER, request_body: '',
    status: 200, response_headers: JSON_TRACE,
    response_body: JSON.stringify({user_id: USER, username: 'alice', email: 'a@example.com',
                                   email_verified: true, profile: null}),
    ...over,
  };
}

function expectOk(record) {
  const {problems} = openapi.check(record);
  assert.deepEqual(problems, [], `expected no problems for ${record.method} ${record.target}`);
  ++checks;
}

function expectProblem(record, fragment, checker = openapi) {
  const {problems} = checker.check(record);
  assert.ok(problems.some((p) => p.includes(fragment)),
            `expected "${fragment}" among ${JSON.stringify(problems)}`);
  ++checks;
}

// Conforming exchanges.
expectOk(http({}));
expectOk(http({method: 'GET', target: '/v1/nope', status: 404,
               response_body: '{"error":{"code":"NOT_FOUND","message":"no such route"}}'}));
expectOk(http({method: 'PUT', target: '/v1/me', status: 405, response_headers: {...JSON_TRACE, Allow: 'GET'},
               response_body: '{"error":{"code":"UNIMPLEMENTED","message":"method not allowed"}}'}));
expectOk(http({method: 'POST', target: '/v1/auth/login', request_headers: {}, status: 429,
               request_body: '{"login":"a","password":"b"}',
               response_headers: {...JSON_TRACE, 'Retry-After': '3'},
               response_body: '{"error":{"code":"RESOURCE_EXHAUSTED","message":"slow down"}}'}));

// A response missing a required field.
expectProblem(http({response_body: JSON.stringify({user_id: USER, username: 'alice', email_verified: true, profile: null})}),
              "must have required property 'email'");
// A field the document does not have.
expectProblem(http({response_body: JSON.stringify({user_id: USER, username: 'alice', email: 'a', email_verified: true,
                                                   profile: null, password_hash: 'x'})}),
              'must NOT have additional properties');
// An undocumented status.
expectProblem(http({status: 418}), 'status 418 is not documented');
// A route the document lacks, answered as if it existed.
expectProblem(http({target: '/v1/admin/users'}), 'undocumented route');
expectProblem(http({method: 'PUT', target: '/v1/me', status: 200}), 'method not documented');
// Headers.
expectProblem(http({response_headers: {'Content-Type': 'application/json'}}), 'missing header X-Trace-Id');
expectProblem(http({method: 'POST', target: '/v1/auth/login', request_headers: {}, status: 429,
                    request_body: '{"login":"a","password":"b"}',
                    response_body: '{"error":{"code":"RESOURCE_EXHAUSTED","message":"x"}}'}),
              'missing header Retry-After');
// An error body of another shape.
expectProblem(http({status: 401, response_body: '{"message":"no"}'}), "must have required property 'error'");
// A request the document forbids, accepted.
expectProblem(http({method: 'POST', target: '/v1/messages', status: 201,
                    request_body: JSON.stringify({to: USER, text: '', client_msg_id: '1'}),
                    response_body: JSON.stringify({message_id: '$e', conversation_id: '!r:s', seq: 1,
                                                   sent_at: '2026-11-30T04:00:00.000Z'})}),
              'a request the document does not allow');
expectProblem(http({target: '/v1/users/not-a-uuid/profile'}), 'a request the document does not allow');

// Events.
const event = (data, over = {}) => {
  const payload = {id: USER, type: 'message.seen', source: 'messaging', time: '2026-11-30T04:00:00.123Z',
                   trace_id: '', data, ...over};
  return {kind: 'event', subject: payload.type, headers: {'Nats-Msg-Id': payload.id}, payload: JSON.stringify(payload)};
};
const seen = {conversation_id: '!a:localhost', user_id: USER, seq: '7', seen_at: '2026-11-30T04:00:00.123Z'};
assert.deepEqual(asyncapi.check(event(seen)).problems, []);
++checks;
expectProblem(event({...seen, seq: 7}), 'must be string', asyncapi);
expectProblem(event({...seen, seen_at: undefined}), "must have required property 'seen_at'", asyncapi);
expectProblem(event(seen, {type: 'message.read'}), 'subject not documented', asyncapi);
expectProblem({...event(seen), headers: {'Nats-Msg-Id': 'other'}}, 'Nats-Msg-Id is not the id', asyncapi);
expectProblem(event(seen, {source: 'auth'}), 'must be equal to constant', asyncapi);

// The whole run over a directory: a bad line fails it.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-selftest-'));
fs.writeFileSync(path.join(dir, 'a.jsonl'), [http({}), http({status: 418}), event(seen)].map((r) => JSON.stringify(r)).join('\n'));
const summary = checkRecordings(dir, openapi, asyncapi);
assert.equal(summary.exchanges, 2);
assert.equal(summary.events, 1);
assert.equal(summary.problems.length, 1);
fs.rmSync(dir, {recursive: true});
++checks;

// The route table: a new gateway route without documentation, a documented route gone.
const routes = [];
for (const [p, item] of Object.entries(openapi.doc.paths)) {
  for (const m of ['get', 'post', 'patch', 'delete', 'put']) {
    if (!item[m]) continue;
    const security = item[m].security ?? openapi.doc.security;
    const shapes = {};
    const shapeOf = {id: 'room', message_id: 'message', key: 'text'};
    for (const q of p.matchAll(/\{(\w+)\}/g)) shapes[q[1]] = shapeOf[q[1]] ?? 'uuid';
    routes.push({method: m, pattern: p, shapes, authenticated: security.length > 0, file: 'x.cc'});
  }
}
assert.deepEqual(compareRoutes(openapi.doc, routes).problems, []);
assert.ok(compareRoutes(openapi.doc, [...routes, {method: 'get', pattern: '/v1/admin', shapes: {}, authenticated: true, file: 'x.cc'}])
              .problems.some((p) => p.includes('GET /v1/admin (x.cc) is not in api/openapi.yaml')));
assert.ok(compareRoutes(openapi.doc, routes.slice(1)).problems.some((p) => p.includes('the gateway has no such route')));
checks += 3;

// The proto: a field or a message the document lacks, a type that differs.
const proto = fs.readFileSync(new URL('../../proto/messenger/events/v1/events.proto', import.meta.url), 'utf8');
assert.deepEqual(compareProto(asyncapi.doc, parseProto(proto)).problems, []);
const extraField = proto.replace('int64 seq = 3;', 'int64 seq = 3;\n  string device_id = 5;');
assert.ok(compareProto(asyncapi.doc, parseProto(extraField)).problems.some((p) => p.includes('device_id')));
const retyped = proto.replace('int64 seq = 3;', 'int32 seq = 3;');
assert.ok(compareProto(asyncapi.doc, parseProto(retyped)).problems.some((p) => p.includes('field seq is int32')));
const extraMessage = `${proto}\nmessage UserDeleted {\n  string user_id = 1;\n}\n`;
assert.ok(compareProto(asyncapi.doc, parseProto(extraMessage)).problems.some((p) => p.includes('UserDeleted')));
checks += 4;

console.log(`contract self-test: ${checks} checks passed`);
