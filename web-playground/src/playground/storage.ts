// What GraphiQL may keep in localStorage: everything it keeps (tabs, history,
// favourites, settings) but an `Authorization` header. GraphiQL's history
// stores each run's headers whatever `shouldPersistHeaders` says, so a pasted
// bearer token would stay in `graphiql:queries` after the tab is closed; the
// pages keep no token in web storage, and neither does the playground.

/** `headers` (the headers editor's JSON text) without its Authorization entries; '' when nothing else is left or it is not JSON. */
export function headersWithoutAuthorization(headers: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(headers);
  } catch {
    // Not JSON (a half-typed editor): it may hold a token, keep none of it.
    return '';
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return '';
  const kept = Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
  return Object.keys(kept).length ? JSON.stringify(kept, null, 2) : '';
}

/** Every `headers` string inside `value` (a stored JSON value) without Authorization; `value` as it is when not JSON. */
export function storedWithoutAuthorization(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value;
  }
  const clean = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(clean);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(node as Record<string, unknown>)) {
      out[key] = key === 'headers' && typeof v === 'string' ? headersWithoutAuthorization(v) : clean(v);
    }
    return out;
  };
  return JSON.stringify(clean(parsed));
}

/** localStorage for GraphiQL, as its default one (keys under `graphiql:`), with Authorization headers left out. */
export function playgroundStorage(): Storage {
  const prefix = 'graphiql:';
  const own = () => Object.keys(localStorage).filter((k) => k.startsWith(prefix));
  return {
    getItem: (key) => localStorage.getItem(key),
    setItem: (key, value) => localStorage.setItem(key, storedWithoutAuthorization(value)),
    removeItem: (key) => localStorage.removeItem(key),
    key: (index) => own()[index] ?? null,
    get length() {
      return own().length;
    },
    clear: () => {
      for (const k of own()) localStorage.removeItem(k);
    },
  };
}
