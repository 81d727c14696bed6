// Market4 vendor app: log in, pick a stall, show its static QR, type an
// amount for a dynamic QR, and watch today's payments arrive live (Server-
// Sent Events), each announced aloud in Vietnamese.
'use strict';
(() => {
  const M = window.M4;
  const t = M.t;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const EVENTS = ['payment.created', 'payment.succeeded', 'payment.partially_paid', 'payment.expired',
    'payment.canceled', 'refund.succeeded', 'refund.failed'];

  const S = {
    auth: M.load('m4.vendor'), // {token, user}
    stall: M.load('m4.stall'), // {id, name, stall_number, bank_name, status}
    pays: new Map(), // payment id → payment (API shape)
    announced: new Map(), // payment id → đồng already announced for it
    synced: false, day: '',
    es: null, errors: 0, backoff: 1000, retry: 0, conn: 'off',
    amount: '', sale: null, // sale: {amount, key}: one Idempotency-Key per sale, reused on retry
    dyn: null, tick: 0, skew: 0, lock: null,
    refund: null,
    muted: localStorage.getItem('m4.mute') === '1',
    opener: null,
  };

  // ---- API --------------------------------------------------------------
  async function api(method, path, body, idem) {
    const r = await M.api(method, path, { body, idem, token: S.auth && S.auth.token });
    if (r.status === 401 && S.auth) logout(true);
    return r;
  }

  // ---- views ------------------------------------------------------------
  function show(id) {
    for (const v of ['v-boot', 'v-login', 'v-stalls', 'v-sell']) $(v).hidden = v !== id;
  }

  function showLogin(msg) {
    show('v-login');
    $('login-err').textContent = msg || '';
    $('login-phone').focus();
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    const r = await M.api('POST', '/v1/auth/login', { body: { phone: f.phone.value.trim(), password: f.password.value } });
    btn.disabled = false;
    if (!r.ok) {
      $('login-err').textContent = r.status === 401 ? t('login.bad') : M.problem(r);
      return;
    }
    if (r.data.user.role !== 'vendor') {
      $('login-err').textContent = t('login.not_vendor');
      return;
    }
    f.password.value = '';
    S.auth = { token: r.data.token, user: r.data.user };
    M.save('m4.vendor', S.auth);
    loadStalls(true);
  });

  async function logout(expired) {
    const tok = S.auth && S.auth.token;
    closeES();
    clearTimeout(S.retry);
    S.auth = null; S.stall = null; S.pays.clear(); S.announced.clear(); S.synced = false;
    M.save('m4.vendor', null);
    M.save('m4.stall', null);
    closeDyn(); closeStatic();
    if (!expired && tok) M.api('POST', '/v1/auth/logout', { token: tok });
    showLogin(expired ? t('login.expired') : '');
  }
  $('logout').addEventListener('click', () => logout(false));

  async function loadStalls(auto) {
    show('v-stalls');
    closeES();
    const r = await api('GET', '/v1/stalls?limit=200');
    if (!r.ok) { if (S.auth) $('stalls-err').textContent = M.problem(r); return; }
    $('stalls-err').textContent = '';
    const items = r.data.items || [];
    const active = items.filter((s) => s.status === 'active');
    if (auto && active.length === 1) { openStall(active[0]); return; }
    $('stalls-empty').hidden = items.length > 0;
    $('stall-list').replaceChildren(...items.map((s) => {
      const b = M.el('button', { type: 'button', disabled: s.status !== 'active' },
        M.el('span', {}, M.el('strong', { text: s.name }), M.el('br'),
          M.el('span', { class: 'muted small', text: `${t('stall.number_short')} ${s.stall_number} · ${s.bank_name || s.bank_bin}` })),
        M.el('span', { class: 'badge ' + s.status, text: t('status.' + s.status) }));
      b.addEventListener('click', () => openStall(s));
      return M.el('li', {}, b);
    }));
    const first = $('stall-list').querySelector('button:not(:disabled)');
    if (first) first.focus();
  }
  $('to-stalls').addEventListener('click', () => { S.stall = null; M.save('m4.stall', null); loadStalls(false); });

  function openStall(s) {
    const same = S.stall && S.stall.id === s.id;
    S.stall = { id: s.id, name: s.name, stall_number: s.stall_number, bank_name: s.bank_name || '', status: s.status };
    M.save('m4.stall', S.stall);
    if (!same) { S.pays.clear(); S.announced.clear(); S.synced = false; }
    $('stall-name').textContent = `${S.stall.stall_number} · ${S.stall.name}`;
    show('v-sell');
    render();
    connect();
    // Fetch the static QR once now, so the service worker keeps it and the
    // vendor can still show it with no network.
    fetch(`/v1/stalls/${enc(S.stall.id)}/qr.svg`).catch(() => {});
  }

  // Check in the background that a remembered stall still takes payments.
  async function recheckStall() {
    const id = S.stall.id;
    const r = await api('GET', '/v1/stalls/' + enc(id));
    if (!S.stall || S.stall.id !== id) return;
    if (r.status === 404 || (r.ok && r.data.status !== 'active')) { loadStalls(false); return; }
    if (r.ok) {
      Object.assign(S.stall, { name: r.data.name, stall_number: r.data.stall_number, bank_name: r.data.bank_name || '', status: r.data.status });
      M.save('m4.stall', S.stall);
      $('stall-name').textContent = `${S.stall.stall_number} · ${S.stall.name}`;
    }
  }

  // ---- live events ------------------------------------------------------
  function setConn(state) {
    S.conn = state;
    const p = $('conn');
    p.className = 'pill ' + (state === 'on' ? 'on' : 'off');
    p.textContent = t(state === 'on' ? 'net.online' : state === 'connecting' ? 'net.connecting' : 'net.offline_short');
    setBanner(state === 'off' || !navigator.onLine);
  }

  function closeES() {
    if (S.es) { S.es.close(); S.es = null; }
  }

  function connect() {
    closeES();
    clearTimeout(S.retry);
    if (!S.auth || !S.stall) return;
    if (typeof EventSource === 'undefined') { loadPayments(); return; }
    setConn('connecting');
    const es = new EventSource(`/v1/stalls/${enc(S.stall.id)}/events?access_token=${enc(S.auth.token)}`);
    S.es = es;
    es.onopen = () => { S.errors = 0; S.backoff = 1000; setConn('on'); loadPayments(); };
    es.onerror = () => {
      if (S.es !== es) return;
      setConn(es.readyState === EventSource.CONNECTING ? 'connecting' : 'off');
      // The browser retries by itself (resuming with Last-Event-ID); after
      // a few failures in a row, or when it gives up, back off ourselves so
      // a phone on a dead network does not burn its battery.
      if (es.readyState === EventSource.CLOSED || ++S.errors >= 3) retryLater();
    };
    for (const type of EVENTS) es.addEventListener(type, (e) => onEvent(type, e));
  }

  function retryLater() {
    closeES();
    setConn('off');
    clearTimeout(S.retry);
    const d = S.backoff * (0.5 + Math.random() / 2);
    S.backoff = Math.min(S.backoff * 2, 30000);
    S.retry = setTimeout(async () => {
      // A stream refused outright may mean the session ended: ask once.
      const r = await api('GET', '/v1/me');
      if (r.status === 401) return;
      connect();
    }, d);
  }

  function reconnectNow() {
    if (!S.auth || !S.stall || $('v-sell').hidden) return;
    if (S.es && S.es.readyState === EventSource.OPEN) return;
    S.backoff = 1000;
    connect();
  }
  document.addEventListener('visibilitychange', () => { if (!document.hidden) reconnectNow(); });

  let banner = () => {};
  function setBanner(off) { banner(off); }

  function onEvent(type, e) {
    let d;
    try { d = JSON.parse(e.data); } catch (x) { return; }
    if (!d || !d.payment_id) return;
    if (M.todayStart() !== S.day && S.synced) { loadPayments(); }
    const paid = Number(d.paid || 0);
    const before = S.announced.get(d.payment_id) || 0;
    if (paid > before) {
      S.announced.set(d.payment_id, paid);
      if (d.announce) say(d.announce);
    }
    const p = S.pays.get(d.payment_id);
    if (p) Object.assign(p, { status: d.status, paid: d.paid, overpaid: d.overpaid, late: d.late });
    else {
      S.pays.set(d.payment_id, { id: d.payment_id, order_code: d.order_code, kind: d.kind, status: d.status, amount: d.amount,
        paid: d.paid, refunded: '0', refundable: '0', overpaid: d.overpaid, late: d.late, created_at: d.at, paid_at: paid > 0 ? d.at : null });
    }
    render();
    if (S.dyn && S.dyn.id === d.payment_id) dynUpdate(d.status, d.paid);
    refreshPayment(d.payment_id);
  }

  const refreshing = new Set();
  async function refreshPayment(id) {
    if (refreshing.has(id)) return;
    refreshing.add(id);
    const r = await api('GET', '/v1/payments/' + enc(id));
    refreshing.delete(id);
    if (r.ok) { S.pays.set(id, r.data); render(); }
  }

  // loadPayments fetches today's list (the source of truth) on every
  // (re)connection. After a reconnection, money that arrived while the
  // phone was offline is announced too, each increment exactly once.
  async function loadPayments() {
    if (!S.stall) return;
    const id = S.stall.id;
    const from = M.todayStart();
    const all = [];
    let after = '';
    for (let i = 0; i < 25; i++) {
      const r = await api('GET', `/v1/stalls/${enc(id)}/payments?from=${enc(from)}&limit=200${after ? '&after=' + enc(after) : ''}`);
      if (!S.stall || S.stall.id !== id) return;
      if (!r.ok) { $('pay-err').textContent = M.problem(r); return; }
      all.push(...(r.data.items || []));
      if (!r.data.next_after) break;
      after = r.data.next_after;
    }
    $('pay-err').textContent = '';
    const first = !S.synced || S.day !== from;
    S.pays = new Map(all.map((p) => [p.id, p]));
    for (const p of all) {
      const paid = Number(p.paid || 0);
      const before = S.announced.get(p.id);
      if (first) { if (before === undefined) S.announced.set(p.id, paid); continue; }
      if (paid > (before || 0)) {
        S.announced.set(p.id, paid);
        say('Đã nhận ' + M.group(paid - (before || 0)) + ' đồng');
      }
    }
    S.synced = true;
    S.day = from;
    render();
    if (S.dyn && S.pays.has(S.dyn.id)) { const p = S.pays.get(S.dyn.id); dynUpdate(p.status, p.paid); }
  }

  function render() {
    const list = [...S.pays.values()].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || '') || b.id.localeCompare(a.id));
    let total = 0; let n = 0;
    for (const p of list) {
      const net = Number(p.paid || 0) - Number(p.refunded || 0);
      total += net;
      if (Number(p.paid || 0) > 0) n++;
    }
    $('total').textContent = M.vnd(String(total));
    $('count').textContent = t('today.count', { n: String(n) });
    $('payments-empty').hidden = list.length > 0;
    $('payments').replaceChildren(...list.map(row));
  }

  function row(p) {
    const paid = Number(p.paid || 0);
    const refunded = Number(p.refunded || 0);
    const at = M.time(p.paid_at || p.created_at);
    const meta = M.el('span', { class: 'meta' },
      M.el('span', { class: 'badge ' + p.status, text: t('pstatus.' + p.status) }),
      M.el('span', { text: t(p.kind === 'static' ? 'kind.static' : 'kind.dynamic') }),
      p.kind === 'dynamic' ? M.el('span', { text: '· ' + p.order_code }) : null,
      p.kind === 'dynamic' && paid > 0 && paid !== Number(p.amount) ? M.el('span', { text: '· ' + t('pay.of', { amount: M.vnd(p.amount) }) }) : null,
      p.overpaid ? M.el('span', { class: 'badge pending', text: t('flag.overpaid') }) : null,
      p.late && p.kind !== 'static' ? M.el('span', { class: 'badge pending', text: t('flag.late') }) : null, // static payments have no deadline
      refunded > 0 ? M.el('span', { class: 'badge refund', text: t('pay.refunded', { amount: M.vnd(p.refunded) }) }) : null);
    const btn = Number(p.refundable || 0) > 0
      ? M.el('button', { type: 'button', class: 'btn small', 'data-refund': p.id, 'aria-label': t('refund.button_label', { amount: M.vnd(p.paid), time: at }), text: t('refund.button') })
      : M.el('span');
    return M.el('li', { 'data-id': p.id, 'data-status': p.status },
      M.el('span', { class: 'time', text: at }),
      M.el('span', { class: 'amt', text: M.vnd(paid > 0 ? p.paid : p.amount) }),
      btn, meta);
  }

  // ---- sound ------------------------------------------------------------
  let actx = null;
  function audio() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!actx) actx = new AC();
    if (actx.state === 'suspended') actx.resume();
    return actx;
  }

  // beep plays a short two-tone "ting ting", generated, no audio file.
  function beep() {
    const a = audio();
    if (!a) return;
    const t0 = a.currentTime + 0.02;
    [[880, 0], [1320, 0.18]].forEach(([f, s]) => {
      const o = a.createOscillator();
      const g = a.createGain();
      o.type = 'sine';
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t0 + s);
      g.gain.exponentialRampToValueAtTime(0.5, t0 + s + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + s + 0.16);
      o.connect(g);
      g.connect(a.destination);
      o.start(t0 + s);
      o.stop(t0 + s + 0.18);
    });
  }

  function viVoice() {
    const voices = window.speechSynthesis.getVoices();
    return { any: voices.length > 0, vi: voices.find((v) => /^vi([-_]|$)/i.test(v.lang)) };
  }

  function speak(text) {
    const ss = window.speechSynthesis;
    if (!ss || !window.SpeechSynthesisUtterance) { beep(); return; }
    const v = viVoice();
    // A phone without a Vietnamese voice would mangle the sentence: beep.
    if (v.any && !v.vi) { beep(); return; }
    const u = new SpeechSynthesisUtterance(text);
    u.lang = 'vi-VN';
    if (v.vi) u.voice = v.vi;
    u.onerror = (e) => { if (e.error !== 'interrupted' && e.error !== 'canceled') beep(); };
    ss.speak(u);
  }

  function say(text) {
    const live = $('announce');
    live.textContent = text;
    if (!S.muted) speak(text);
  }

  function renderMute() {
    const b = $('mute');
    b.setAttribute('aria-pressed', String(S.muted));
  }
  $('mute').addEventListener('click', () => {
    S.muted = !S.muted;
    try { localStorage.setItem('m4.mute', S.muted ? '1' : '0'); } catch (e) { /* private mode */ }
    renderMute();
  });

  // Browsers only play sound after a user gesture: unlock audio and speech
  // on the first tap so later announcements are heard.
  function unlock() {
    audio();
    if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      const u = new SpeechSynthesisUtterance(' ');
      u.volume = 0;
      window.speechSynthesis.speak(u);
    }
    removeEventListener('pointerdown', unlock, true);
    removeEventListener('keydown', unlock, true);
  }
  addEventListener('pointerdown', unlock, true);
  addEventListener('keydown', unlock, true);
  if (window.speechSynthesis) window.speechSynthesis.getVoices();

  // ---- keypad and dynamic QR -------------------------------------------
  function setAmount(a) {
    S.amount = a;
    $('amount').textContent = M.vnd(a || '0');
    $('make-qr').disabled = !a;
    $('sale-err').textContent = '';
  }

  function press(k) {
    let a = S.amount;
    if (k === 'back') a = a.slice(0, -1);
    else if (k === 'clear') a = '';
    else {
      a = (a + k).replace(/^0+/, '');
      if (a.length > 9 || Number(a) >= 500000000) { $('sale-err').textContent = t('sale.too_big'); return; }
    }
    setAmount(a);
  }
  $('keypad').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-k]');
    if (b) press(b.dataset.k);
  });
  $('clear').addEventListener('click', () => press('clear'));
  $('make-qr').addEventListener('click', makeQR);

  document.addEventListener('keydown', (e) => {
    if ($('v-sell').hidden || !$('ov-dyn').hidden || !$('ov-static').hidden || $('refund-dlg').open) {
      if (e.key === 'Escape') { if (!$('ov-static').hidden) closeStatic(); else if (!$('ov-dyn').hidden) closeDyn(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
    if (/^[0-9]$/.test(e.key)) { press(e.key); e.preventDefault(); } else if (e.key === 'Backspace') { press('back'); e.preventDefault(); } else if (e.key === 'Enter' && e.target.tagName !== 'BUTTON' && S.amount) { makeQR(); e.preventDefault(); }
  });

  async function makeQR() {
    const amount = S.amount;
    if (!amount || !S.stall) return;
    if (!S.sale || S.sale.amount !== amount) S.sale = { amount, key: M.uuid() };
    const btn = $('make-qr');
    btn.disabled = true;
    btn.textContent = t('sale.creating');
    const r = await api('POST', '/v1/payments', { stall_id: S.stall.id, amount }, S.sale.key);
    btn.textContent = t('sale.make_qr');
    btn.disabled = !S.amount;
    if (!r.ok) {
      $('sale-err').textContent = M.problem(r);
      if (r.status !== 0 && r.status !== 409) S.sale = null; // a network failure retries with the same key
      return;
    }
    S.sale = null;
    if (r.date) S.skew = new Date(r.date).getTime() - Date.now();
    setAmount('');
    S.pays.set(r.data.id, Object.assign(S.pays.get(r.data.id) || {}, r.data));
    render();
    openDyn(r.data);
  }

  // Overlays are modal: the page behind them is inert (no focus, no
  // clicks, hidden from screen readers) until they close.
  function openOverlay(id, focus) {
    S.opener = document.activeElement;
    $('v-sell').inert = true;
    $(id).hidden = false;
    $(focus).focus();
    wake(true);
  }
  function closeOverlay(id) {
    if ($(id).hidden) return;
    $(id).hidden = true;
    if ($('ov-dyn').hidden && $('ov-static').hidden) $('v-sell').inert = false;
    wake(false);
    if (S.opener && S.opener.focus) S.opener.focus();
  }

  function openDyn(p) {
    S.dyn = { id: p.id, amount: p.amount, expires: Date.parse(p.expires_at) };
    $('dyn-qr').src = p.qr_svg_url || `/v1/payments/${enc(p.id)}/qr.svg`;
    $('dyn-amount').textContent = M.vnd(p.amount);
    $('dyn-code').textContent = p.order_code;
    $('dyn-state').textContent = '';
    $('dyn-cancel').disabled = false;
    $('dyn-wait').hidden = false;
    $('dyn-done').hidden = true;
    openOverlay('ov-dyn', 'dyn-close');
    clearInterval(S.tick);
    S.tick = setInterval(tick, 1000);
    tick();
  }

  function tick() {
    if (!S.dyn) return;
    const left = Math.max(0, Math.round((S.dyn.expires - (Date.now() + S.skew)) / 1000));
    const mm = String(Math.floor(left / 60)).padStart(2, '0');
    const ss = String(left % 60).padStart(2, '0');
    $('dyn-timer').textContent = left > 0 ? t('dyn.expires_in', { t: `${mm}:${ss}` }) : t('dyn.expired');
    if (left === 0) { $('dyn-cancel').disabled = true; clearInterval(S.tick); }
  }

  function dynUpdate(status, paid) {
    if (!S.dyn) return;
    if (status === 'succeeded') {
      clearInterval(S.tick);
      $('dyn-done-text').textContent = t('dyn.done', { amount: M.vnd(paid) });
      $('dyn-wait').hidden = true;
      $('dyn-done').hidden = false;
      $('dyn-next').focus();
    } else if (status === 'partially_paid') {
      $('dyn-state').textContent = t('dyn.partial', { paid: M.vnd(paid), rest: M.vnd(String(Number(S.dyn.amount) - Number(paid))) });
    } else if (status === 'expired') {
      clearInterval(S.tick);
      $('dyn-timer').textContent = t('dyn.expired');
      $('dyn-cancel').disabled = true;
    } else if (status === 'canceled') {
      closeDyn();
    }
  }

  function closeDyn() {
    clearInterval(S.tick);
    S.dyn = null;
    closeOverlay('ov-dyn');
  }
  $('dyn-close').addEventListener('click', closeDyn);
  $('dyn-next').addEventListener('click', closeDyn);
  $('dyn-cancel').addEventListener('click', async () => {
    if (!S.dyn) return;
    const r = await api('POST', `/v1/payments/${enc(S.dyn.id)}/cancel`, {});
    if (r.ok) { S.pays.set(r.data.id, r.data); render(); closeDyn(); } else $('dyn-state').textContent = M.problem(r);
  });

  // ---- static QR --------------------------------------------------------
  function openStatic() {
    if (!S.stall) return;
    $('st-qr').src = `/v1/stalls/${enc(S.stall.id)}/qr.svg`;
    $('st-name').textContent = `${S.stall.stall_number} · ${S.stall.name}`;
    $('st-bank').textContent = S.stall.bank_name ? `${S.stall.bank_name} · VietQR` : 'VietQR';
    const link = $('st-link');
    link.href = '/s/' + enc(S.stall.id);
    link.textContent = (document.body.dataset.publicUrl || '') + '/s/' + S.stall.id;
    const poster = $('st-poster');
    poster.href = `/v1/stalls/${enc(S.stall.id)}/poster.pdf?size=A5&lang=${document.documentElement.lang === 'en' ? 'en' : 'vi'}`;
    poster.setAttribute('download', `vietqr-${S.stall.stall_number}.pdf`);
    openOverlay('ov-static', 'st-close');
  }
  function closeStatic() { closeOverlay('ov-static'); }
  $('show-static').addEventListener('click', openStatic);
  $('st-close').addEventListener('click', closeStatic);

  async function wake(on) {
    try {
      if (on && 'wakeLock' in navigator && !S.lock) S.lock = await navigator.wakeLock.request('screen');
      else if (!on && S.lock && $('ov-dyn').hidden && $('ov-static').hidden) { S.lock.release(); S.lock = null; }
    } catch (e) { /* not allowed: the screen may dim */ }
  }

  // ---- refunds ----------------------------------------------------------
  const dlg = $('refund-dlg');
  $('payments').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-refund]');
    if (b) openRefund(b.dataset.refund);
  });

  function openRefund(id) {
    const p = S.pays.get(id);
    if (!p) return;
    S.refund = { id, key: M.uuid(), body: '', max: Number(p.refundable || 0) };
    $('rf-desc').textContent = t('refund.desc', { amount: M.vnd(p.paid), time: M.time(p.paid_at || p.created_at), max: M.vnd(p.refundable) });
    $('rf-amount').value = p.refundable;
    $('rf-reason').value = '';
    $('rf-err').textContent = '';
    $('rf-ok').disabled = false;
    dlg.showModal();
    $('rf-amount').focus();
  }
  $('rf-cancel').addEventListener('click', () => dlg.close());
  $('refund-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const R = S.refund;
    if (!R) return;
    const amount = $('rf-amount').value.replace(/\D/g, '').replace(/^0+/, '');
    if (!amount || Number(amount) > R.max) { $('rf-err').textContent = t('refund.bad_amount', { max: M.vnd(String(R.max)) }); return; }
    const body = { amount, reason: $('rf-reason').value.trim() };
    const sig = JSON.stringify(body);
    if (R.body && R.body !== sig) R.key = M.uuid(); // a changed request is a new refund
    R.body = sig;
    $('rf-ok').disabled = true;
    const r = await api('POST', `/v1/payments/${enc(R.id)}/refunds`, body, R.key);
    $('rf-ok').disabled = false;
    if (!r.ok) { $('rf-err').textContent = M.problem(r); return; }
    if (r.data.status === 'failed') { $('rf-err').textContent = t('refund.failed', { msg: r.data.message || '' }); return; }
    dlg.close();
    $('announce').textContent = t(r.data.status === 'succeeded' ? 'refund.done' : 'refund.pending', { amount: M.vnd(r.data.amount) });
    refreshPayment(R.id);
    S.refund = null;
  });

  // ---- start ------------------------------------------------------------
  // Past midnight (Vietnam time) "today" starts again.
  setInterval(() => { if (S.synced && S.stall && M.todayStart() !== S.day) loadPayments(); }, 60000);

  banner = M.netBanner((online) => { if (online) reconnectNow(); else setConn('off'); });
  renderMute();
  M.registerSW();
  if (!S.auth) showLogin();
  else if (S.stall) { openStall(S.stall); recheckStall(); } else loadStalls(true);
})();
