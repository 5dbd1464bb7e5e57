// PostGraphile 5 as the bench's peer (`make bench-peer`): the same bench
// database, unauthenticated, the tables of `public` plus the one function in
// `bench_peer` (peer.sql) that answers the history workload in one statement,
// and postgraphile-plugin-connection-filter 4 (the `filter` argument), so
// that each workload can be asked in the peer's best form (issue 23): history
// also as `allUsers(filter: {rowId: {in: $ids}}) { nodes { signInsByUserId(
// filter: {day: {...}}) } }`. bench/peer.sh runs every form and counts the
// faster.
// Settings from the environment: PEER_DATABASE_URL, PEER_PORT (18082).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

// An enum value that is not a GraphQL name (admin_action's 'create-admin')
// would stop PostGraphile from building the schema's types at all: dashes
// become underscores (CREATE_ADMIN).
/** @type {GraphileConfig.Plugin} */
const EnumValueNamesPlugin = {
  name: "BenchPeerEnumValueNamesPlugin",
  version: "0.0.0",
  inflection: {
    replace: {
      enumValue(previous, _options, value, codec) {
        return previous(value.replace(/-/g, "_"), codec);
      },
    },
  },
};

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  plugins: [EnumValueNamesPlugin],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public", "bench_peer"],
      // The same pool size as the service's (SIGNIN_DB_POOL_SIZE in the bench).
      poolConfig: { max: Number(process.env.PEER_POOL || 8) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PEER_PORT || 18082),
    graphiql: false,
  },
  grafast: { explain: false },
};

export default preset;
