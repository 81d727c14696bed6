// Market4 staff screen: district staff log in, review the stalls of their
// district (pending first) and approve or suspend them. Staff see the
// receiving bank account in full: checking where the money goes is the
// point of the approval.
'use strict';
(() => {
  const M = window.M4;
  const t = M.t;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const S = { auth: M.load('m4.staff'), markets: new Map(), stalls: [] };

  async function api(method, path, body) {
    const r = await M.api(method, path, { body, token: S.auth && S.auth.token });
    if (r.status === 401 && S.auth) { logout(); $('sl-err').textContent = t('login.expired'); }
    return r;
  }

  function show(id) { $('s-login').hidden = id !== 's-login'; $('s-list').hidden = id !== 's-list'; }

  function logout() {
    if (S.auth) M.api('POST', '/v1/auth/logout', { token: S.auth.token });
    S.auth = null;
    M.save('m4.staff', null);
    show('s-login');
    $('sl-phone').focus();
  }
  $('s-logout').addEventListener('click', logout);

  $('staff-login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    const r = await M.api('POST', '/v1/auth/login', { body: { phone: f.phone.value.trim(), password: f.password.value } });
    btn.disabled = false;
    if (!r.ok) { $('sl-err').textContent = r.status === 401 ? t('login.bad') : M.problem(r); return; }
    if (r.data.user.role !== 'staff' && r.data.user.role !== 'admin') {
      M.api('POST', '/v1/auth/logout', { token: r.data.token });
      $('sl-err').textContent = t('staff.not_staff');
      return;
    }
    f.password.value = '';
    $('sl-err').textContent = '';
    S.auth = { token: r.data.token, user: r.data.user };
    M.save('m4.staff', S.auth);
    open();
  });

  async function open() {
    show('s-list');
    const u = S.auth.user;
    $('s-who').textContent = `${u.name} · ${t('role.' + u.role)}`;
    const q = u.district_id ? '?limit=200&district_id=' + enc(u.district_id) : '?limit=200';
    const r = await api('GET', '/v1/markets' + q);
    if (r.ok) S.markets = new Map((r.data.items || []).map((m) => [m.id, m.name]));
    load();
  }

  async function load() {
    const status = $('s-status').value;
    $('s-err').textContent = '';
    const all = [];
    let after = '';
    for (let i = 0; i < 20; i++) {
      const r = await api('GET', `/v1/stalls?status=${enc(status)}&limit=200${after ? '&after=' + enc(after) : ''}`);
      if (!r.ok) { if (S.auth) $('s-err').textContent = M.problem(r); return; }
      all.push(...(r.data.items || []));
      if (!r.data.next_after) break;
      after = r.data.next_after;
    }
    S.stalls = all;
    render();
  }
  $('s-status').addEventListener('change', load);

  function render() {
    $('s-empty').hidden = S.stalls.length > 0;
    $('s-stalls').replaceChildren(...S.stalls.map(card));
  }

  function card(s) {
    const dl = M.el('dl', {});
    const add = (k, v) => { if (v) dl.append(M.el('dt', { text: t(k) }), M.el('dd', { text: v })); };
    add('f.market', S.markets.get(s.market_id) || '');
    add('f.category', t('cat.' + s.category));
    add('f.bank', `${s.bank_name || ''} (${s.bank_bin})`);
    add('f.account_number', s.account_number);
    add('f.account_name', s.account_name);
    add('staff.registered', M.date(s.created_at));
    const actions = M.el('div', { class: 'row' });
    const label = `${s.stall_number} · ${s.name}`;
    if (s.status !== 'active') {
      actions.append(M.el('button', { type: 'button', class: 'btn primary grow', 'data-act': 'approve', 'data-id': s.id, 'aria-label': t('staff.approve') + ': ' + label, text: t('staff.approve') }));
    }
    if (s.status !== 'suspended') {
      actions.append(M.el('button', { type: 'button', class: 'btn danger grow', 'data-act': 'suspend', 'data-id': s.id, 'aria-label': t('staff.suspend') + ': ' + label, text: t('staff.suspend') }));
    }
    return M.el('li', { 'data-id': s.id },
      M.el('h2', {}, M.el('span', { text: label + ' ' }), M.el('span', { class: 'badge ' + s.status, text: t('status.' + s.status) })),
      dl, actions);
  }

  $('s-stalls').addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    const s = S.stalls.find((x) => x.id === b.dataset.id);
    if (!s) return;
    const act = b.dataset.act;
    if (act === 'suspend' && !confirm(t('staff.confirm_suspend', { stall: `${s.stall_number} · ${s.name}` }))) return;
    b.disabled = true;
    const r = await api('POST', `/v1/stalls/${enc(s.id)}/${act}`, {});
    b.disabled = false;
    if (!r.ok) { $('s-err').textContent = M.problem(r); return; }
    $('s-msg').textContent = t(act === 'approve' ? 'staff.approved' : 'staff.suspended', { stall: `${s.stall_number} · ${s.name}` });
    // The stall leaves this filtered list; keep focus near where it was.
    S.stalls = S.stalls.filter((x) => x.id !== s.id || r.data.status === $('s-status').value);
    render();
    ($('s-stalls').querySelector('button') || $('s-status')).focus();
  });

  M.netBanner();
  if (S.auth) open(); else { show('s-login'); $('sl-phone').focus(); }
})();
