// Validates api/asyncapi.yaml with @asyncapi/parser, the validator the
// AsyncAPI CLI's `validate` command runs (the CLI itself would add about a
// gigabyte of node_modules). Any error or warning fails.
//   node api/tools/validate_asyncapi.mjs [file]
import fs from 'node:fs';
import path from 'node:path';
import {Parser, DiagnosticSeverity} from '@asyncapi/parser';
import {API_DIR} from './contract.mjs';

const file = process.argv[2] ?? path.join(API_DIR, 'asyncapi.yaml');
const parser = new Parser();
const diagnostics = await parser.validate(fs.readFileSync(file, 'utf8'), {source: file});
const shown = diagnostics.filter((d) => d.severity <= DiagnosticSeverity.Warning);
for (const d of diagnostics) {
  const where = d.path?.join('.') ?? '';
  const line = d.range ? `:${d.range.start.line + 1}` : '';
  console.error(`${path.basename(file)}${line} [${DiagnosticSeverity[d.severity]}] ${d.code}: ${d.message} (${where})`);
}
if (shown.length > 0) process.exit(1);
console.log(`${path.basename(file)} is a valid AsyncAPI document (${diagnostics.length} hints)`);
