// Keeps the app available without the server. The page, its modules and the model catalogue are answered from the
// network when it is there (so an updated server is seen at once; unchanged files cost a 304) and from this cache when
// it is not. The runtime under vendor/ sits under versioned URLs: once held it is answered from the cache and never
// fetched again. Model files are cached by the page itself (on-device.js) under their versioned URLs; predictions are
// never cached and pass straight through.

const SHELL_CACHE = 'digits-shell-v3';
/** The same bucket on-device.js fills with the runtime files a page loaded before this worker controlled it. */
const RUNTIME_CACHE = 'digits-runtime-v1';
const SHELL = [
  './',
  'index.html',
  'styles.css',
  'app.js',
  'drawing-pad.js',
  'server-api.js',
  'on-device.js',
  'preprocess.js',
  'digit-check.js',
  'resize.js',
  'icon.svg',
  'manifest.webmanifest',
];
const SCOPE = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('digits-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The path of a URL inside this app's scope, or null for anything outside it. */
function appPath(url) {
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return null;
  return url.pathname.slice(SCOPE.pathname.length);
}

async function cacheFirst(request) {
  const cache = await caches.open(RUNTIME_CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (offline) {
    const cached = await cache.match(request, { ignoreSearch: true });
    if (cached) return cached;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const path = appPath(new URL(request.url));
  if (path === null) return;
  if (path.startsWith('vendor/')) event.respondWith(cacheFirst(request));
  else if (SHELL.includes(path) || path === '' || path === 'api/v1/models') event.respondWith(networkFirst(request));
});
