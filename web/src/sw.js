// Keeps the app available without the server: the page, its modules, ONNX Runtime Web and the model catalogue are
// answered from the network when it is there (so an updated server is seen at once) and from this cache when it is
// not. Model files are cached by the page itself (on-device.js) under their versioned URLs; predictions are never
// cached and pass straight through.

const SHELL_CACHE = 'digits-shell-v1';
const SHELL = [
  './',
  'index.html',
  'styles.css',
  'app.js',
  'drawing-pad.js',
  'server-api.js',
  'on-device.js',
  'preprocess.js',
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

function handled(url) {
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return false;
  const path = url.pathname.slice(SCOPE.pathname.length);
  return SHELL.includes(path) || path === '' || path.startsWith('vendor/') || path === 'api/v1/models';
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
  const url = new URL(request.url);
  if (handled(url)) event.respondWith(networkFirst(request));
});
