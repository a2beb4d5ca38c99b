// Checks the HTTP exchanges and JetStream events the e2e tests recorded
// (MESSENGER_CONTRACT_RECORD_DIR) against api/openapi.yaml and
// api/asyncapi.yaml. Exit status 1 on any violation, or when nothing was
// recorded (the check would be vacuous).
//   node api/tools/validate_traffic.mjs <recording dir>
import {checkRecordings, loadCheckers} from './contract.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: validate_traffic.mjs <recording dir>');
  process.exit(2);
}
const {openapi, asyncapi} = loadCheckers();
const summary = checkRecordings(dir, openapi, asyncapi);
console.log(`${summary.files} recordings: ${summary.exchanges} /v1 exchanges ` +
            `(${summary.unknownRoutes} to routes the gateway does not have), ` +
            `${summary.skipped} outside /v1 not checked, ${summary.events} events`);
console.log(`operations and statuses seen: ${summary.operations.size}`);
for (const op of [...summary.operations].sort()) console.log(`  ${op}`);
if (summary.problems.length > 0) {
  console.error(`${summary.problems.length} contract violations:`);
  for (const p of summary.problems.slice(0, 200)) console.error(`  ${p}`);
  process.exit(1);
}
if (summary.exchanges === 0 || summary.events === 0) {
  console.error('no /v1 exchanges or no events recorded: did the e2e tests run with the recorder?');
  process.exit(1);
}
console.log('all recorded traffic conforms');
