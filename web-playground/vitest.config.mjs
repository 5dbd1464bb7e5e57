import { defineConfig } from 'vitest/config';

// Unit tests of the pages' pure parts (src/**/*.test.ts): dates, time zones, error
// sentences, streak protection offers, chart data, the users grid and its CSV.
// Dates are formatted in the browser's locale and must never shift with its
// time zone: the tests run in en-US and in a zone west of UTC, so a date
// parsed or shown as a local midnight would come out a day early. The worker
// processes (forks) inherit these.
process.env.LC_ALL = 'en_US.UTF-8';
process.env.TZ = 'America/Los_Angeles';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
  },
});
