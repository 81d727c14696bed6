// Market4 shared helpers: translations, money and time formatting, the
// /v1 API client and small DOM utilities. No framework; every page script
// uses window.M4.
'use strict';
window.M4 = (() => {
  const body = document.body;
  const lang = body.dataset.lang || 'vi';
  let dict = {};
  try { dict = JSON.parse(body.dataset.i18n || '{}'); } catch (e) { /* keys show instead */ }

  // t translates key, filling {name} placeholders from vars.
  const t = (key, vars) => {
    let s = dict[key] || key;
    if (vars) for (const k of Object.keys(vars)) s = s.split('{' + k + '}').join(vars[k]);
    return s;
  };

  // Money is a string of whole đồng ("35000"); shown as "35.000 ₫".
  const group = (v) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  const vnd = (v) => group(String(v == null ? '' : v).replace(/\D/g, '').replace(/^0+(?=\d)/, '') || '0') + ' ₫';

  // Times are shown in Asia/Ho_Chi_Minh whatever the phone's zone.
  const TZ = 'Asia/Ho_Chi_Minh';
  const timeFmt = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'vi-VN', { timeZone: TZ, hour: '2-digit', minute: '2-digit' });
  const dateFmt = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'vi-VN', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' });
  const time = (iso) => timeFmt.format(new Date(iso));
  const date = (iso) => dateFmt.format(new Date(iso));
  // Vietnam has no daylight saving: today starts at 00:00 UTC+7.
  const todayStart = () => new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10) + 'T00:00:00+07:00';

  // uuid: crypto.randomUUID needs a secure context; a phone reaching the
  // demo over plain http on the LAN lacks it, so build a v4 by hand.
  const uuid = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  // fold makes search insensitive to case and Vietnamese diacritics.
  const fold = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();

  const load = (k) => { try { return JSON.parse(localStorage.getItem(k)); } catch (e) { return null; } };
  const save = (k, v) => { try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* private mode */ } };

  // api calls the JSON API. It never throws: {ok, status, data}, status 0
  // when the network failed.
  async function api(method, path, opt) {
    opt = opt || {};
    const h = { Accept: 'application/json' };
    if (opt.body !== undefined) h['Content-Type'] = 'application/json';
    if (opt.token) h.Authorization = 'Bearer ' + opt.token;
    if (opt.idem) h['Idempotency-Key'] = opt.idem;
    let res;
    try {
      res = await fetch(path, { method, headers: h, body: opt.body === undefined ? undefined : JSON.stringify(opt.body), cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* empty body */ }
    return { ok: res.ok, status: res.status, data, date: res.headers.get('Date') };
  }

  // problem turns a failed call into a message in the page's language.
  function problem(r) {
    if (r.status === 0) return t('err.network');
    const d = r.data || {};
    if (d.code && dict['code.' + d.code]) return t('code.' + d.code);
    return d.detail || t('err.generic');
  }

  // showErrors marks a form's fields from a problem's errors[] and returns
  // whether any field was marked. Field messages use the page's words when
  // known ("err.f.phone"), else the server's.
  function showErrors(form, prefix, r) {
    clearErrors(form, prefix);
    const list = (r.data && r.data.errors) || [];
    let any = false;
    for (const e of list) {
      const p = document.getElementById(prefix + e.field + '-err');
      if (!p) continue;
      any = true;
      p.textContent = dict['err.f.' + e.field] ? t('err.f.' + e.field) : e.message;
      const input = form.elements.namedItem(e.field);
      if (input) { input.setAttribute('aria-invalid', 'true'); input.setAttribute('aria-errormessage', p.id); }
    }
    return any;
  }
  function clearErrors(form, prefix) {
    for (const p of document.querySelectorAll(`[id^="${prefix}"][id$="-err"]`)) p.textContent = '';
    for (const i of form.querySelectorAll('[aria-invalid]')) { i.removeAttribute('aria-invalid'); i.removeAttribute('aria-errormessage'); }
  }

  // el builds an element: el('li', {class: 'x'}, 'text', child).
  function el(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') n.className = v; else if (k === 'text') n.textContent = v; else n.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k != null) n.append(k);
    return n;
  }

  // netBanner shows "Mất kết nối / offline" while the browser is offline.
  function netBanner(onChange) {
    const b = document.getElementById('net');
    const upd = () => { if (b) b.hidden = navigator.onLine; if (onChange) onChange(navigator.onLine); };
    addEventListener('online', upd);
    addEventListener('offline', upd);
    upd();
    return (offline) => { if (b) b.hidden = !offline; };
  }

  function registerSW() {
    if ('serviceWorker' in navigator && window.isSecureContext) {
      navigator.serviceWorker.register('/sw.js', { scope: '/app' }).catch(() => { /* app still works online */ });
    }
  }

  return { lang, t, vnd, group, time, date, todayStart, uuid, fold, load, save, api, problem, showErrors, clearErrors, el, netBanner, registerSW };
})();
