/* XB storefront chat widget: one <script> tag, no framework, shadow DOM, CSP-safe
   (no inline script, no eval). <script src=".../widget.js" data-gateway="https://gw"
   data-locale="de-DE" data-customer-token="..." async></script> */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var gateway = (script && script.getAttribute("data-gateway")) || new URL(script.src).origin;
  var locale = (script && script.getAttribute("data-locale")) || navigator.language || "en";
  var token = script && script.getAttribute("data-customer-token");
  var lang = locale.slice(0, 2).toLowerCase();
  var UI = {
    en: ["Chat with us", "Type your message…", "Send", "Talk to a person", "Waiting for a colleague…", "joined the chat", "left the chat", "Reconnecting…", "Close", "Assistant"],
    es: ["Chatea con nosotros", "Escribe tu mensaje…", "Enviar", "Hablar con una persona", "Esperando a un compañero…", "se ha unido al chat", "ha salido del chat", "Reconectando…", "Cerrar", "Asistente"],
    fr: ["Discutez avec nous", "Écrivez votre message…", "Envoyer", "Parler à une personne", "Un conseiller va vous répondre…", "a rejoint la conversation", "a quitté la conversation", "Reconnexion…", "Fermer", "Assistant"],
    de: ["Chatten Sie mit uns", "Ihre Nachricht …", "Senden", "Mit einer Person sprechen", "Ein Kollege ist gleich für Sie da …", "ist dem Chat beigetreten", "hat den Chat verlassen", "Verbindung wird wiederhergestellt …", "Schließen", "Assistent"],
    it: ["Scrivici", "Scrivi il tuo messaggio…", "Invia", "Parla con una persona", "Un collega ti risponderà a breve…", "è entrato nella chat", "ha lasciato la chat", "Riconnessione…", "Chiudi", "Assistente"],
    pt: ["Fale conosco", "Digite sua mensagem…", "Enviar", "Falar com uma pessoa", "Aguardando um atendente…", "entrou no chat", "saiu do chat", "Reconectando…", "Fechar", "Assistente"],
    ar: ["تحدث معنا", "اكتب رسالتك…", "إرسال", "التحدث مع موظف", "بانتظار أحد الزملاء…", "انضم إلى المحادثة", "غادر المحادثة", "جارٍ إعادة الاتصال…", "إغلاق", "المساعد"],
    ja: ["チャットでお問い合わせ", "メッセージを入力…", "送信", "担当者と話す", "担当者におつなぎしています…", "がチャットに参加しました", "がチャットを退出しました", "再接続しています…", "閉じる", "アシスタント"],
    vi: ["Chat với chúng tôi", "Nhập tin nhắn…", "Gửi", "Nói chuyện với nhân viên", "Đang chờ nhân viên…", "đã tham gia cuộc trò chuyện", "đã rời cuộc trò chuyện", "Đang kết nối lại…", "Đóng", "Trợ lý"],
    th: ["แชทกับเรา", "พิมพ์ข้อความ…", "ส่ง", "คุยกับเจ้าหน้าที่", "กำลังรอเจ้าหน้าที่…", "เข้าร่วมแชทแล้ว", "ออกจากแชทแล้ว", "กำลังเชื่อมต่อใหม่…", "ปิด", "ผู้ช่วย"]
  };
  var T = UI[lang] || UI.en;
  var rtl = lang === "ar";
  var store = window.localStorage;
  var convKey = "xbchat:conversation", seqKey = "xbchat:seq";
  var convId = store.getItem(convKey);
  if (!convId) {
    convId = "w" + Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(12)), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    store.setItem(convKey, convId);
  }
  var lastSeq = 0, seen = {}, ws = null, retry = 0, open = false, unread = 0, pending = [];

  var host = document.createElement("div");
  host.setAttribute("data-xb-chat", "");
  var root = host.attachShadow({ mode: "open" });
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = gateway + "/static/widget.css";
  root.appendChild(css);
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  var launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-label", T[0]);
  launcher.appendChild(el("span", "icon", "💬"));
  var badge = el("span", "badge", "");
  badge.hidden = true;
  launcher.appendChild(badge);
  var panel = el("section", "panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", T[0]);
  panel.dir = rtl ? "rtl" : "ltr";
  panel.lang = lang;
  var head = el("header", "head");
  head.appendChild(el("strong", "title", T[0]));
  var status = el("span", "status", "");
  head.appendChild(status);
  var close = el("button", "close", "×");
  close.type = "button";
  close.setAttribute("aria-label", T[8]);
  head.appendChild(close);
  var log = el("ol", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  var typing = el("div", "typing", "• • •");
  typing.hidden = true;
  var quick = el("div", "quick");
  var form = el("form", "composer");
  var input = el("textarea", "input");
  input.rows = 1;
  input.maxLength = 5000;
  input.placeholder = T[1];
  input.setAttribute("aria-label", T[1]);
  var send = el("button", "send", T[2]);
  send.type = "submit";
  var human = el("button", "human", T[3]);
  human.type = "button";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(quick);
  panel.appendChild(form);
  panel.appendChild(human);
  root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(host);

  function setOpen(v) {
    open = v; panel.hidden = !v; launcher.hidden = v;
    if (v) { unread = 0; badge.hidden = true; input.focus(); log.scrollTop = log.scrollHeight; }
    else launcher.focus();
  }
  function setStatus(text) { status.textContent = text || ""; }
  function render(entry) {
    var seq = entry.seq || 0;
    if (seq && seen[seq]) return;
    if (seq) { seen[seq] = true; if (seq > lastSeq) { lastSeq = seq; store.setItem(seqKey + ":" + convId, String(seq)); } }
    if (entry.speaker === "system") { setStatus(entry.text); return; }
    var li = el("li", "msg " + entry.speaker);
    if (entry.speaker === "agent" && entry.agent_name) li.appendChild(el("span", "who", entry.agent_name));
    var body = el("p", "text", entry.display_text || entry.text);   /* textContent: never HTML */
    li.appendChild(body);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    while (quick.firstChild) quick.removeChild(quick.firstChild);
    if (entry.speaker !== "shopper") {
      typing.hidden = true;
      (entry.buttons || []).forEach(function (b) {
        var q = el("button", "chip", b.title);
        q.type = "button";
        q.addEventListener("click", function () { submit(b.payload, b.title); });
        quick.appendChild(q);
      });
      if (!open) { unread += 1; badge.textContent = String(unread); badge.hidden = false; }
    }
  }
  function connect() {
    lastSeq = parseInt(store.getItem(seqKey + ":" + convId) || "0", 10);
    var url = gateway.replace(/^http/, "ws") + "/ws/shopper?conversation_id=" + encodeURIComponent(convId) + "&after=0";
    ws = new WebSocket(url);
    ws.onopen = function () { retry = 0; setStatus(""); while (pending.length) ws.send(pending.shift()); };
    ws.onmessage = function (ev) {
      var m; try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "entry") render(m.entry);
      else if (m.type === "typing") typing.hidden = false;
      else if (m.type === "state" || m.type === "hello") {
        if (m.mode === "queued") setStatus(T[4]); else if (m.mode === "bot") setStatus("");
      } else if (m.type === "error") { typing.hidden = true; }
    };
    ws.onclose = function () {
      ws = null; setStatus(T[7]);
      var delay = Math.min(30000, 500 * Math.pow(2, retry++)) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }
  function submit(text, display) {
    text = (text || "").trim();
    if (!text) return;
    var meta = { locale: locale };
    if (token) meta.customer_token = token;
    if (display) meta.display = display;
    var frame = JSON.stringify({ type: "message", text: text, metadata: meta });
    if (ws && ws.readyState === 1) ws.send(frame); else pending.push(frame);
  }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(input.value); input.value = ""; });
  input.addEventListener("keydown", function (ev) { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit ? form.requestSubmit() : submit(input.value); } });
  human.addEventListener("click", function () { submit("/human_handoff", T[3]); });
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") setOpen(false); });
  window.XBChat = { open: function () { setOpen(true); }, conversationId: convId };
  connect();
})();
