import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// Multi-page build. The output in dist/ is committed and embedded into the Rust
// binary, which serves dist/index.html at `/`, dist/playground.html at
// `/playground`, dist/admin.html at `/admin` and dist/assets/* at `/assets/*`. Keep it reproducible: no
// source maps, content-hashed file names, nothing time-dependent.
export default defineConfig({
  base: '/',
  // Nothing is copied verbatim into dist/.
  publicDir: false,
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    minify: true,
    cssMinify: true,
    target: 'es2020',
    // Every browser that runs GraphiQL supports <link rel="modulepreload">.
    modulePreload: { polyfill: false },
    // Fonts stay in the CSS as data: URLs (GraphiQL ships them that way); small
    // icons/images are inlined too so nothing is fetched from elsewhere.
    assetsInlineLimit: 8192,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      input: {
        index: here('./index.html'),
        playground: here('./playground.html'),
        admin: here('./admin.html'),
      },
      // Radix UI and framer-motion start with "use client" (a React Server
      // Components marker that means nothing in a browser bundle).
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        // Not needed with base '/' and no source maps, but keep the output free
        // of anything that could differ between machines.
        sourcemap: false,
      },
    },
  },
});
