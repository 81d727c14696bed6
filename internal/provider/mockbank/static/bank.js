// Mock bank app: progressive enhancements. Every screen works without this
// file (plain forms, decoding on the server); it adds dropping and pasting
// QR images, a preview, shrinking of big images before upload, live amount
// formatting, and a live status of the notification to Market4.
// No framework, no inline script (the CSP forbids it), nothing from another
// origin.
'use strict';
(() => {
  document.documentElement.classList.add('js');
  const $ = (sel) => document.querySelector(sel);

  // Money is whole đồng, shown the Vietnamese way: "50.000 ₫".
  const vnd = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '.') + ' ₫';

  // A refusal from the server: bring it into view and have it read first.
  const error = $('#error');
  if (error) error.focus();

  // Pages restored from the back-forward cache keep their disabled buttons.
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted) return;
    for (const b of document.querySelectorAll('button[data-label]')) {
      b.disabled = false;
      b.textContent = b.dataset.label;
    }
  });
  const busy = (button, text) => {
    button.dataset.label = button.textContent;
    button.textContent = text;
    // Disabled after the submission has started, so the form still submits.
    setTimeout(() => { button.disabled = true; }, 0);
  };

  const page = document.body.dataset.page;
  if (page === 'home') scanPage();
  else if (page === 'confirm') confirmPage();
  else if (page === 'receipt') receiptPage();

  function scanPage() {
    const form = $('#scan-form');
    const input = $('#qrfile');
    const drop = $('#drop');
    const status = $('#drop-status');
    const preview = $('#preview');
    const text = $('#qr');
    const button = $('#scan');
    if (!form || !input) return;
    const MAX = 2 * 1024 * 1024; // the server's limit
    // In the demo the platform in front of the simulator accepts request
    // bodies up to 1 MiB, so bigger images are re-encoded smaller here
    // (the QR survives; a phone screenshot is mostly flat colour).
    const SHRINK_ABOVE = 900 * 1024;

    const say = (msg, bad) => {
      status.textContent = msg;
      status.classList.toggle('bad', !!bad);
    };
    const setFile = (file) => {
      const dt = new DataTransfer();
      if (file) dt.items.add(file);
      input.files = dt.files; // does not fire "change"
    };
    const clearFile = () => {
      setFile(null);
      preview.hidden = true;
    };
    const showPreview = (bmp) => {
      const scale = Math.min(1, 400 / Math.max(bmp.width, bmp.height));
      preview.width = Math.max(1, Math.round(bmp.width * scale));
      preview.height = Math.max(1, Math.round(bmp.height * scale));
      preview.getContext('2d').drawImage(bmp, 0, 0, preview.width, preview.height);
      preview.setAttribute('role', 'img');
      preview.setAttribute('aria-label', 'Ảnh mã QR đã chọn');
      preview.hidden = false;
    };
    const toBlob = (canvas, type, quality) => new Promise((resolve) => canvas.toBlob(resolve, type, quality));
    // shrink re-encodes an image under SHRINK_ABOVE: PNG first (sharp
    // edges, small for screenshots), then JPEG, smaller each round.
    const shrink = async (bmp) => {
      let scale = Math.min(1, 2000 / Math.max(bmp.width, bmp.height));
      for (let round = 0; round < 4; round++, scale *= 0.7) {
        const c = document.createElement('canvas');
        c.width = Math.max(1, Math.round(bmp.width * scale));
        c.height = Math.max(1, Math.round(bmp.height * scale));
        const g = c.getContext('2d');
        g.fillStyle = '#fff';
        g.fillRect(0, 0, c.width, c.height);
        g.drawImage(bmp, 0, 0, c.width, c.height);
        for (const [type, q] of [['image/png'], ['image/jpeg', 0.92]]) {
          const b = await toBlob(c, type, q);
          if (b && b.size <= SHRINK_ABOVE) return b;
        }
      }
      return null;
    };

    // take handles an image from the file picker, a drop or the clipboard.
    const take = async (file, how) => {
      if (!file) return;
      if (!/^image\//.test(file.type)) {
        clearFile();
        say('Tệp “' + file.name + '” không phải ảnh. Hãy chọn ảnh PNG hoặc JPEG.', true);
        return;
      }
      let bmp = null;
      try { bmp = await createImageBitmap(file); } catch (e) { /* the server will say what is wrong */ }
      if (bmp) showPreview(bmp);
      else preview.hidden = true;
      let out = file;
      const plain = file.type === 'image/png' || file.type === 'image/jpeg';
      if (bmp && (!plain || file.size > SHRINK_ABOVE)) {
        const blob = await shrink(bmp);
        if (blob) out = new File([blob], blob.type === 'image/png' ? 'ma-qr.png' : 'ma-qr.jpg', { type: blob.type });
      }
      if (out.size > MAX) {
        clearFile();
        say('Ảnh quá lớn (tối đa 2 MB). Hãy cắt ảnh sát mã QR.', true);
        return;
      }
      if (out !== file || how !== 'picker') setFile(out);
      const name = how === 'paste' ? 'ảnh đã dán' : '“' + file.name + '”';
      say('Đã nhận ' + name + '. Bấm “Đọc mã và tiếp tục”.');
      if (how !== 'picker') button.focus();
    };

    input.addEventListener('change', () => take(input.files[0], 'picker'));

    // The whole page accepts a dropped image (a near miss would otherwise
    // make the browser open the file and leave the page); the zone lights up.
    let depth = 0;
    window.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; drop.classList.add('over'); });
    window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; drop.classList.remove('over'); } });
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      drop.classList.remove('over');
      const files = e.dataTransfer ? Array.from(e.dataTransfer.files) : [];
      take(files.find((f) => /^image\//.test(f.type)) || files[0], 'drop');
    });

    // Ctrl+V: an image from the clipboard is taken as the QR; text pasted
    // outside a field goes into the payload box.
    document.addEventListener('paste', (e) => {
      const cd = e.clipboardData;
      if (!cd) return;
      const img = Array.from(cd.files || []).find((f) => /^image\//.test(f.type));
      if (img) {
        e.preventDefault();
        take(img, 'paste');
        return;
      }
      const active = document.activeElement;
      if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== 'radio') return;
      const t = cd.getData('text').trim();
      if (t) {
        e.preventDefault();
        text.value = t;
        text.dispatchEvent(new Event('input'));
        say('Đã dán nội dung mã.');
      }
    });

    // The latest choice wins: typing a payload drops a chosen image.
    text.addEventListener('input', () => {
      if (input.files.length && text.value.trim()) {
        clearFile();
        say('Sẽ dùng nội dung mã đã dán, không dùng ảnh.');
      }
    });

    form.addEventListener('submit', () => busy(button, 'Đang đọc mã…'));
  }

  function confirmPage() {
    const form = $('#pay-form');
    const amount = $('#amount');
    const out = $('#amount-preview');
    const pay = $('#pay');
    const balance = Number(($('#balance') || {}).dataset?.balance || 0);
    if (!form || !pay) return;
    const label = pay.textContent;
    // Grouped by dots or spaces, or plain digits; an optional ₫/đ/VND.
    const shape = /^(\d{1,3}(?:[.\s\u00a0]\d{3})+|\d+)\s*(₫|đồng|vnđ|vnd|đ)?$/i;
    const update = () => {
      if (!amount) return;
      const raw = amount.value.trim();
      const m = shape.exec(raw);
      if (!raw) {
        out.textContent = '';
        pay.textContent = label;
        return;
      }
      if (!m) {
        out.textContent = 'Chỉ nhập chữ số, ví dụ 50000 hoặc 50.000';
        pay.textContent = label;
        return;
      }
      const digits = m[1].replace(/\D/g, '').replace(/^0+(?=\d)/, '');
      const n = Number(digits);
      out.textContent = '= ' + vnd(digits) + (n > balance ? ' — nhiều hơn số dư' : '');
      pay.textContent = n > 0 ? 'Thanh toán ' + vnd(digits) : label;
    };
    if (amount) {
      amount.addEventListener('input', update);
      update();
    }
    form.addEventListener('submit', () => busy(pay, 'Đang chuyển tiền…'));
  }

  function receiptPage() {
    const el = $('#delivery');
    if (!el) return;
    // The same words as deliveryText in app_assets.go.
    const words = {
      pending: 'Đang báo cho Market4…',
      held: 'Đang tạm giữ thông báo (mô phỏng lỗi: sai thứ tự)',
      delivered: 'Market4 đã nhận thông báo',
      failed: 'Không báo được cho Market4 (đối soát sẽ tìm lại)',
      none: 'Không gửi thông báo',
    };
    const final = (s) => s === 'delivered' || s === 'failed' || s === 'none';
    let polls = 0;
    const tick = async () => {
      if (final(el.dataset.state) || polls++ > 120) return;
      try {
        const res = await fetch('/mockbank/v1/transactions/' + encodeURIComponent(el.dataset.tx),
          { cache: 'no-store', headers: { Accept: 'application/json' } });
        if (res.ok) {
          const t = await res.json();
          if (t.delivery && t.delivery !== el.dataset.state) {
            el.dataset.state = t.delivery;
            el.textContent = words[t.delivery] || t.delivery;
          }
        }
      } catch (e) { /* offline for a moment: try again */ }
      setTimeout(tick, 1000);
    };
    setTimeout(tick, 300);
  }
})();
