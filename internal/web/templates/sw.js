// Market4 vendor app service worker (generated: the list below holds the
// content-hashed URLs of this build). It keeps the app shell so the app
// opens with no network and says so, and the stall's static QR so the
// vendor can still show it: shoppers pay through their own bank, which
// does not need the vendor's phone to be online. Money data (/v1) is never
// cached.
'use strict';
const CACHE = 'm4-__VERSION__';
const SHELL = __SHELL__;
const QR = /^\/v1\/stalls\/[^/]+\/qr\.svg$/;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('m4-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// network tries the network for at most ms, then gives up (3G stalls for
// a long time before failing).
function network(req, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    fetch(req).then((r) => { clearTimeout(t); resolve(r); }, (err) => { clearTimeout(t); reject(err); });
  });
}

function keep(req, res) {
  if (res && res.ok && res.type === 'basic') {
    const copy = res.clone();
    caches.open(CACHE).then((c) => c.put(req, copy));
  }
  return res;
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (QR.test(url.pathname)) {
    e.respondWith(network(req, 4000).then((r) => keep(req, r)).catch(() => caches.match(req).then((m) => m || Response.error())));
    return;
  }
  if (url.pathname.startsWith('/v1/')) return;
  if (req.mode === 'navigate') {
    const key = url.pathname === '/app/register' ? '/app/register' : '/app';
    e.respondWith(network(req, 4000)
      .then((r) => (SHELL.includes(url.pathname) && !url.search ? keep(key, r) : r))
      .catch(() => caches.match(key).then((m) => m || Response.error())));
    return;
  }
  if (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest') {
    e.respondWith(caches.match(req).then((m) => m || fetch(req).then((r) => keep(req, r))));
  }
});
