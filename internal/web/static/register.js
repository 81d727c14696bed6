// Market4 vendor registration: create an account, register a stall (market,
// number, category, the bank account that receives payments, picked from
// the NAPAS list), then wait for district staff to approve it.
'use strict';
(() => {
  const M = window.M4;
  const t = M.t;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  // Shown before the vendor types anything: the banks most traders use.
  const POPULAR = ['970436', '970415', '970418', '970405', '970407', '970422', '970416', '970432'];

  const S = { auth: M.load('m4.vendor'), stall: M.load('m4.pending'), banks: [], bin: '', poll: 0 };

  async function api(method, path, body) {
    const r = await M.api(method, path, { body, token: S.auth && S.auth.token });
    if (r.status === 401 && S.auth) { S.auth = null; M.save('m4.vendor', null); step(1); }
    return r;
  }

  function step(n) {
    ['r-account', 'r-stall', 'r-wait'].forEach((id, i) => { $(id).hidden = i + 1 !== n; });
    [1, 2, 3].forEach((i) => { const li = $('step-' + i); if (i === n) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current'); });
    clearInterval(S.poll);
    if (n === 1) $('ra-name').focus();
    if (n === 2) { loadChoices(); $('rs-market').focus(); }
    if (n === 3) { showWait(); S.poll = setInterval(check, 20000); }
  }

  // ---- 1. account -------------------------------------------------------
  $('account-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    M.clearErrors(f, 'ra-');
    $('ra-err').textContent = '';
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    const r = await M.api('POST', '/v1/auth/register', { body: { name: f.name.value.trim(), phone: f.phone.value.trim(), password: f.password.value } });
    btn.disabled = false;
    if (!r.ok) {
      if (r.status === 409) { M.showErrors(f, 'ra-', r); $('ra-phone-err').textContent = t('err.phone_taken'); f.phone.setAttribute('aria-invalid', 'true'); f.phone.focus(); return; }
      if (!M.showErrors(f, 'ra-', r)) $('ra-err').textContent = M.problem(r);
      const bad = f.querySelector('[aria-invalid=true]');
      if (bad) bad.focus();
      return;
    }
    f.password.value = '';
    S.auth = { token: r.data.token, user: r.data.user };
    M.save('m4.vendor', S.auth);
    step(2);
  });

  // ---- 2. stall ---------------------------------------------------------
  let loaded = false;
  async function loadChoices() {
    if (loaded) return;
    const [ms, ds, bs] = await Promise.all([api('GET', '/v1/markets?limit=200'), api('GET', '/v1/districts?limit=200'), api('GET', '/v1/banks')]);
    if (!ms.ok || !bs.ok) { $('rs-err').textContent = M.problem(ms.ok ? bs : ms); return; }
    loaded = true;
    const dn = new Map(((ds.ok && ds.data.items) || []).map((d) => [d.id, `${d.name}, ${d.province}`]));
    const sel = $('rs-market');
    const groups = new Map();
    for (const m of ms.data.items || []) {
      const label = dn.get(m.district_id) || '';
      if (!groups.has(label)) groups.set(label, []);
      groups.get(label).push(M.el('option', { value: m.id, text: m.name }));
    }
    const opts = [M.el('option', { value: '', text: t('reg.choose_market') })];
    for (const [label, list] of groups) opts.push(label ? M.el('optgroup', { label }, ...list) : list);
    sel.replaceChildren(...opts.flat());
    if ((ms.data.items || []).length === 1) sel.value = ms.data.items[0].id;
    S.banks = (bs.data.items || []).map((b) => ({ ...b, key: M.fold(`${b.short_name} ${b.name}`), short: M.fold(b.short_name) }));
    renderBanks();
  }

  // findBanks: search by short name, full name or BIN, ignoring case and
  // Vietnamese accents ("ngoai thuong", "VCB", "vietcombank", "970436").
  function findBanks(q) {
    q = M.fold(q).trim();
    if (!q) return POPULAR.map((bin) => S.banks.find((b) => b.bin === bin)).filter(Boolean);
    const words = q.split(/\s+/);
    const out = [];
    for (const b of S.banks) {
      let rank;
      if (/^\d+$/.test(q)) { if (b.bin.startsWith(q)) rank = 0; else if (b.bin.includes(q)) rank = 1; else continue; } else if (b.short.startsWith(q)) rank = 0;
      else if (b.short.includes(q)) rank = 1;
      else if (words.every((w) => b.key.includes(w))) rank = 2;
      else continue;
      out.push([rank, b]);
    }
    out.sort((a, b) => a[0] - b[0] || a[1].short_name.localeCompare(b[1].short_name));
    return out.map((x) => x[1]);
  }

  function renderBanks() {
    const all = findBanks($('bank-q').value);
    const list = all.slice(0, 8);
    $('bank-list').replaceChildren(...list.map((b) => {
      const r = M.el('input', { type: 'radio', name: 'bank_bin', value: b.bin, checked: b.bin === S.bin });
      return M.el('label', {}, r, M.el('span', {}, M.el('strong', { text: b.short_name }), M.el('small', { text: `${b.name} · ${b.bin}` })));
    }));
    $('bank-count').textContent = $('bank-q').value.trim() ? t('bank.count', { n: String(all.length) }) : '';
  }

  function chooseBank(bin) {
    const b = S.banks.find((x) => x.bin === bin);
    if (!b) return;
    S.bin = bin;
    $('bank-chosen').textContent = `${b.short_name} (${b.bin})`;
    $('rs-bank_bin-err').textContent = '';
  }

  $('bank-q').addEventListener('input', renderBanks);
  $('bank-q').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault(); // never submit the form from the search box
    const first = $('bank-list').querySelector('input');
    if (first) { first.checked = true; chooseBank(first.value); first.focus(); }
  });
  $('bank-list').addEventListener('change', (e) => { if (e.target.name === 'bank_bin') chooseBank(e.target.value); });

  // Banks print the holder's name in capitals without accents: show it so.
  $('rs-acname').addEventListener('blur', (e) => {
    e.target.value = e.target.value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'D').toUpperCase().replace(/\s+/g, ' ').trim();
  });
  $('rs-number').addEventListener('blur', (e) => { e.target.value = e.target.value.toUpperCase().trim(); });

  $('stall-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('rs-err').textContent = '';
    M.clearErrors(f, 'rs-');
    const body = {
      market_id: f.market_id.value, stall_number: f.stall_number.value.trim().toUpperCase(), name: f.name.value.trim(),
      category: f.category.value, bank_bin: S.bin, account_number: f.account_number.value.trim(), account_name: f.account_name.value.trim(),
    };
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    const r = await api('POST', '/v1/stalls', body);
    btn.disabled = false;
    if (!r.ok) {
      if (r.status === 409) { $('rs-stall_number-err').textContent = t('err.stall_taken'); f.stall_number.setAttribute('aria-invalid', 'true'); f.stall_number.focus(); return; }
      if (!M.showErrors(f, 'rs-', r)) $('rs-err').textContent = M.problem(r);
      const bad = f.querySelector('[aria-invalid=true]');
      if (bad) bad.focus(); else if ($('rs-bank_bin-err').textContent) $('bank-q').focus();
      return;
    }
    S.stall = { id: r.data.id, name: r.data.name, stall_number: r.data.stall_number, status: r.data.status };
    M.save('m4.pending', S.stall);
    step(3);
  });

  // ---- 3. waiting for approval -----------------------------------------
  function showWait() {
    const s = S.stall;
    $('rw-stall').textContent = `${t('stall.number_short')} ${s.stall_number} · ${s.name}`;
    const st = $('rw-status');
    st.className = 'badge ' + s.status;
    st.textContent = t('status.' + s.status);
    $('rw-open').hidden = s.status !== 'active';
    $('rw-check').hidden = s.status === 'active';
    $('rw-h').textContent = t(s.status === 'active' ? 'reg.approved_title' : 'reg.wait_title');
  }

  async function check() {
    if (!S.stall) return;
    const r = await api('GET', '/v1/stalls/' + enc(S.stall.id));
    if (!r.ok) { $('rw-msg').textContent = M.problem(r); return; }
    const was = S.stall.status;
    S.stall.status = r.data.status;
    showWait();
    if (r.data.status === 'active') {
      clearInterval(S.poll);
      M.save('m4.pending', null);
      M.save('m4.stall', { id: r.data.id, name: r.data.name, stall_number: r.data.stall_number, bank_name: r.data.bank_name || '', status: 'active' });
      $('rw-msg').textContent = t('reg.approved');
      if (was !== 'active') $('rw-open').focus();
    } else {
      M.save('m4.pending', S.stall);
      $('rw-msg').textContent = t('reg.still_' + r.data.status);
    }
  }
  $('rw-check').addEventListener('click', check);
  $('rw-another').addEventListener('click', () => { S.stall = null; M.save('m4.pending', null); $('stall-form').reset(); S.bin = ''; $('bank-chosen').textContent = '—'; step(2); });

  M.netBanner();
  M.registerSW();
  if (!S.auth) step(1);
  else if (S.stall) { step(3); check(); } else step(2);
})();
