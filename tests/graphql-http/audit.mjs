// The graphql-http package's server audit (GraphQL over HTTP conformance)
// against a running service: every MUST has to pass; SHOULDs and MAYs are
// counted and listed.
//
//   URL=http://127.0.0.1:8000/graphql node tests/graphql-http/audit.mjs
import { serverAudits } from 'graphql-http';

const url = process.env.URL || 'http://127.0.0.1:8000/graphql';
const results = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
const failures = [];

for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0];
  const tally = results[level] || (results[level] = [0, 0]);
  if (result.status === 'ok') {
    tally[0] += 1;
  } else {
    tally[1] += 1;
    failures.push(`${result.status.toUpperCase()}  ${audit.name}: ${result.reason}`);
  }
}

for (const f of failures) console.log(f);
for (const [level, [ok, notOk]] of Object.entries(results)) {
  console.log(`graphql-http ${level}: ${ok} passed, ${notOk} not passed`);
}
const mustFailed = results.MUST[1];
console.log(`audit: ${results.MUST[0] + results.SHOULD[0] + results.MAY[0]} passed, ${mustFailed} failed`);
process.exit(mustFailed > 0 ? 1 : 0);
