// Compares api/asyncapi.yaml with proto/messenger/events/v1/events.proto: each
// subject's data schema names its proto message (x-proto-message), lists
// exactly that message's fields, all required, with the JSON type of the
// protobuf JSON mapping (string; int64 -> decimal string; Timestamp -> RFC
// 3339 string; repeated -> array). Every message of the file is an event.
//   node api/tools/check_events_proto.mjs <events.proto>
import fs from 'node:fs';
import path from 'node:path';
import {API_DIR, loadYaml} from './contract.mjs';

// message name -> [{name, type, repeated}]
export function parseProto(text) {
  const pkg = text.match(/^package\s+([\w.]+);/m)?.[1];
  const messages = {};
  const noComments = text.replace(/\/\/.*$/gm, '');
  for (const m of noComments.matchAll(/message\s+(\w+)\s*\{([^}]*)\}/g)) {
    messages[`${pkg}.${m[1]}`] = [...m[2].matchAll(/(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*\d+\s*;/g)]
        .map((f) => ({name: f[3], type: f[2], repeated: Boolean(f[1])}));
  }
  return messages;
}

function resolve(doc, schema) {
  while (schema?.$ref) schema = schema.$ref.slice(2).split('/').reduce((n, k) => n[k], doc);
  return schema;
}

// Whether `schema` is what the protobuf JSON mapping gives for `type`.
function typeMatches(doc, field, schema) {
  let s = resolve(doc, schema);
  if (field.repeated) {
    if (s?.type !== 'array') return false;
    s = resolve(doc, s.items);
  }
  switch (field.type) {
    case 'string':
      return s?.type === 'string' && s.format !== 'date-time' && !/^\^-\?\[0-9\]/.test(s.pattern ?? '');
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return s?.type === 'string' && /^\^-?\??\[0-9\]/.test(s.pattern ?? '');
    case 'int32': case 'uint32': case 'sint32': case 'fixed32': case 'sfixed32':
      return s?.type === 'integer';
    case 'bool':
      return s?.type === 'boolean';
    case 'double': case 'float':
      return s?.type === 'number';
    case 'google.protobuf.Timestamp':
      return s?.type === 'string' && s.format === 'date-time';
    default:
      return false;
  }
}

export function compare(doc, messages) {
  const problems = [];
  const covered = new Set();
  for (const channel of Object.values(doc.channels)) {
    for (const ref of Object.values(channel.messages ?? {})) {
      const message = resolve(doc, ref);
      const payload = resolve(doc, message.payload);
      // The envelope declares data as any object; the message narrows it.
      const dataRef = (payload.allOf ?? []).map((s) => resolve(doc, s)).findLast((s) => s.properties?.data)?.properties.data;
      const data = resolve(doc, dataRef);
      const subject = channel.address;
      const protoName = data?.['x-proto-message'];
      if (!protoName || !messages[protoName]) {
        problems.push(`${subject}: data names no message of events.proto (x-proto-message: ${protoName})`);
        continue;
      }
      covered.add(protoName);
      const fields = messages[protoName];
      const documented = Object.keys(data.properties ?? {});
      for (const f of fields) {
        if (!(f.name in (data.properties ?? {}))) {
          problems.push(`${subject}: field ${f.name} of ${protoName} is not documented`);
        } else if (!typeMatches(doc, f, data.properties[f.name])) {
          problems.push(`${subject}: field ${f.name} is ${f.repeated ? 'repeated ' : ''}${f.type} in the proto; its schema does not match the JSON mapping`);
        }
        if (!(data.required ?? []).includes(f.name)) {
          problems.push(`${subject}: field ${f.name} should be required (every field is printed)`);
        }
      }
      for (const name of documented) {
        if (!fields.some((f) => f.name === name)) problems.push(`${subject}: ${name} is not a field of ${protoName}`);
      }
      if (data.additionalProperties !== false) problems.push(`${subject}: data should not allow other fields`);
    }
  }
  for (const name of Object.keys(messages)) {
    if (!covered.has(name)) problems.push(`${name} of events.proto is no subject of api/asyncapi.yaml`);
  }
  return {problems, count: covered.size};
}

if (process.argv[1] && process.argv[1].endsWith('check_events_proto.mjs')) {
  const messages = parseProto(fs.readFileSync(process.argv[2], 'utf8'));
  const {problems, count} = compare(loadYaml(path.join(API_DIR, 'asyncapi.yaml')), messages);
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exit(1);
  console.log(`${count} event payloads match events.proto`);
}
