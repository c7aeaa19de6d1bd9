/* XB storefront chat widget. A shop embeds it with one tag:

     <script src="https://GATEWAY/static/widget.js" data-gateway="https://GATEWAY"
             data-locale="de-DE" data-customer-token="…" async></script>

   No framework, no eval, no inline script or style: the UI lives in a shadow root styled by
   the gateway's widget.css, so it runs under a strict Content-Security-Policy and neither
   the shop's CSS nor ours leaks across. Text from the server or the shopper only ever goes
   into textContent. Written as ES5 so the minifier (rjsmin) needs no parser. */
(function () {
  "use strict";
  if (window.XBChat) return; // the tag twice on one page: one widget

  // ---- UI strings, one set per native language: every key English has, with the same
  // {placeholders} ({name}, {n}: see fmt below). scripts/check_copy.py reads the text between
  // the two markers as JSON, so keep it strict JSON (quoted keys, no trailing comma).
  // They stay in widget.js rather than a .json file: the widget is one request, with no
  // cross-origin fetch (which would need CORS) from the shop's page.
  var UI = /* widget-strings:begin */ {
    "en": { "title": "Chat with us", "hi": "Hi! Ask me about your order, delivery, sizes or returns.", "placeholder": "Type your message…", "send": "Send", "human": "Talk to a person", "bot": "Virtual assistant", "queued": "Waiting for a team member…", "joined": "{name} joined the chat", "left": "{name} left the chat", "agent": "A team member", "reconnecting": "Reconnecting…", "close": "Close chat", "typing": "{name} is typing…", "unread": "{n} unread", "you": "You", "sending": "Sending…", "failed": "Not sent. Please try again.", "csat_q": "How did we do?", "csat_comment": "Would you like to add anything? (optional)", "csat_send": "Send rating", "csat_thanks": "Thank you for your feedback.", "csat_star": "{n} out of 5" },
    "es": { "title": "Chatea con nosotros", "hi": "¡Hola! Pregúntame por tu pedido, el envío, las tallas o las devoluciones.", "placeholder": "Escribe tu mensaje…", "send": "Enviar", "human": "Hablar con una persona", "bot": "Asistente virtual", "queued": "Esperando a alguien del equipo…", "joined": "{name} se ha unido al chat", "left": "{name} ha salido del chat", "agent": "Alguien del equipo", "reconnecting": "Reconectando…", "close": "Cerrar chat", "typing": "{name} está escribiendo…", "unread": "{n} sin leer", "you": "Tú", "sending": "Enviando…", "failed": "No se ha enviado. Inténtalo de nuevo.", "csat_q": "¿Cómo valora nuestra atención?", "csat_comment": "¿Desea añadir algún comentario? (opcional)", "csat_send": "Enviar valoración", "csat_thanks": "Muchas gracias por su valoración.", "csat_star": "{n} de 5" },
    "fr": { "title": "Discutons", "hi": "Bonjour ! Posez-moi vos questions sur votre commande, la livraison, les tailles ou les retours.", "placeholder": "Écrivez votre message…", "send": "Envoyer", "human": "Parler à une personne", "bot": "Assistant virtuel", "queued": "En attente d'un membre de l'équipe…", "joined": "{name} a rejoint la conversation", "left": "{name} a quitté la conversation", "agent": "Un membre de l'équipe", "reconnecting": "Reconnexion…", "close": "Fermer le chat", "typing": "{name} écrit…", "unread": "{n} non lu(s)", "you": "Vous", "sending": "Envoi…", "failed": "Non envoyé. Veuillez réessayer.", "csat_q": "Êtes-vous satisfait de notre aide ?", "csat_comment": "Souhaitez-vous ajouter un commentaire ? (facultatif)", "csat_send": "Envoyer mon avis", "csat_thanks": "Merci beaucoup pour votre avis.", "csat_star": "{n} sur 5" },
    "de": { "title": "Chatten Sie mit uns", "hi": "Hallo! Fragen Sie mich zu Ihrer Bestellung, zur Lieferung, zu Größen oder Rücksendungen.", "placeholder": "Ihre Nachricht …", "send": "Senden", "human": "Mit einer Person sprechen", "bot": "Virtueller Assistent", "queued": "Gleich ist jemand aus unserem Team für Sie da …", "joined": "{name} ist dem Chat beigetreten", "left": "{name} hat den Chat verlassen", "agent": "Jemand aus dem Team", "reconnecting": "Verbindung wird wiederhergestellt …", "close": "Chat schließen", "typing": "{name} schreibt …", "unread": "{n} ungelesen", "you": "Sie", "sending": "Wird gesendet …", "failed": "Nicht gesendet. Bitte versuchen Sie es erneut.", "csat_q": "Wie zufrieden waren Sie mit unserer Hilfe?", "csat_comment": "Möchten Sie noch etwas ergänzen? (optional)", "csat_send": "Bewertung senden", "csat_thanks": "Vielen Dank für Ihre Rückmeldung.", "csat_star": "{n} von 5" },
    "it": { "title": "Scrivici", "hi": "Ciao! Chiedimi del tuo ordine, della consegna, delle taglie o dei resi.", "placeholder": "Scrivi un messaggio…", "send": "Invia", "human": "Parla con una persona", "bot": "Assistente virtuale", "queued": "In attesa di un operatore…", "joined": "{name} è ora in chat", "left": "{name} ha lasciato la chat", "agent": "Un operatore", "reconnecting": "Riconnessione…", "close": "Chiudi la chat", "typing": "{name} sta scrivendo…", "unread": "{n} da leggere", "you": "Tu", "sending": "Invio…", "failed": "Messaggio non inviato. Riprova.", "csat_q": "Come valuta il nostro servizio?", "csat_comment": "Desidera aggiungere un commento? (facoltativo)", "csat_send": "Invia la valutazione", "csat_thanks": "Grazie per il Suo riscontro.", "csat_star": "{n} su 5" },
    "pt": { "title": "Fale conosco", "hi": "Olá! Pergunte sobre o seu pedido, a entrega, os tamanhos ou as devoluções.", "placeholder": "Digite sua mensagem…", "send": "Enviar", "human": "Falar com uma pessoa", "bot": "Assistente virtual", "queued": "Aguardando um atendente…", "joined": "{name} entrou no chat", "left": "{name} saiu do chat", "agent": "Um atendente", "reconnecting": "Reconectando…", "close": "Fechar o chat", "typing": "{name} está digitando…", "unread": "{n} não lidas", "you": "Você", "sending": "Enviando…", "failed": "Mensagem não enviada. Tente novamente.", "csat_q": "Como você avalia o nosso atendimento?", "csat_comment": "Deseja deixar um comentário? (opcional)", "csat_send": "Enviar avaliação", "csat_thanks": "Muito obrigado pela sua avaliação.", "csat_star": "{n} de 5" },
    "ar": { "title": "تحدث معنا", "hi": "مرحبًا! اسألني عن طلبك أو التوصيل أو المقاسات أو الإرجاع.", "placeholder": "اكتب رسالتك…", "send": "إرسال", "human": "التحدث مع موظف", "bot": "المساعد الافتراضي", "queued": "بانتظار أحد أعضاء الفريق…", "joined": "انضم {name} إلى المحادثة", "left": "غادر {name} المحادثة", "agent": "أحد أعضاء الفريق", "reconnecting": "جارٍ إعادة الاتصال…", "close": "إغلاق المحادثة", "typing": "{name} يكتب…", "unread": "{n} غير مقروءة", "you": "أنت", "sending": "جارٍ الإرسال…", "failed": "لم تُرسل الرسالة. يُرجى المحاولة مرة أخرى.", "csat_q": "ما تقييمكم لخدمتنا؟", "csat_comment": "هل تودّون إضافة تعليق؟ (اختياري)", "csat_send": "إرسال التقييم", "csat_thanks": "شكرًا جزيلًا على ملاحظاتكم.", "csat_star": "{n} من 5" },
    "ja": { "title": "チャットでお問い合わせ", "hi": "こんにちは。ご注文、配送、サイズ、返品についてお気軽にお尋ねください。", "placeholder": "メッセージを入力…", "send": "送信", "human": "担当者と話す", "bot": "バーチャルアシスタント", "queued": "担当者におつなぎしています…", "joined": "{name}がチャットに参加しました", "left": "{name}がチャットから退出しました", "agent": "担当者", "reconnecting": "再接続しています…", "close": "チャットを閉じる", "typing": "{name}が入力中…", "unread": "未読{n}件", "you": "あなた", "sending": "送信中…", "failed": "送信できませんでした。もう一度お試しください。", "csat_q": "今回の対応はいかがでしたか？", "csat_comment": "ご意見がございましたらご記入ください（任意）", "csat_send": "評価を送信", "csat_thanks": "ご意見をお寄せいただき、誠にありがとうございます。", "csat_star": "5段階中{n}" },
    "vi": { "title": "Trò chuyện với chúng tôi", "hi": "Xin chào! Hãy hỏi tôi về đơn hàng, giao hàng, kích cỡ hoặc đổi trả.", "placeholder": "Nhập tin nhắn…", "send": "Gửi", "human": "Nói chuyện với nhân viên", "bot": "Trợ lý ảo", "queued": "Đang chờ nhân viên hỗ trợ…", "joined": "{name} đã tham gia cuộc trò chuyện", "left": "{name} đã rời cuộc trò chuyện", "agent": "Nhân viên hỗ trợ", "reconnecting": "Đang kết nối lại…", "close": "Đóng cửa sổ chat", "typing": "{name} đang nhập…", "unread": "{n} tin chưa đọc", "you": "Bạn", "sending": "Đang gửi…", "failed": "Chưa gửi được. Vui lòng thử lại.", "csat_q": "Quý khách đánh giá thế nào về sự hỗ trợ của chúng tôi?", "csat_comment": "Quý khách có muốn góp ý thêm không? (không bắt buộc)", "csat_send": "Gửi đánh giá", "csat_thanks": "Xin cảm ơn Quý khách đã góp ý.", "csat_star": "{n} trên 5" },
    "th": { "title": "แชทกับเรา", "hi": "สวัสดี สอบถามเรื่องคำสั่งซื้อ การจัดส่ง ขนาด หรือการคืนสินค้าได้เลย", "placeholder": "พิมพ์ข้อความ…", "send": "ส่ง", "human": "คุยกับเจ้าหน้าที่", "bot": "ผู้ช่วยอัตโนมัติ", "queued": "กำลังรอเจ้าหน้าที่…", "joined": "{name} เข้าร่วมแชทแล้ว", "left": "{name} ออกจากแชทแล้ว", "agent": "เจ้าหน้าที่", "reconnecting": "กำลังเชื่อมต่อใหม่…", "close": "ปิดแชท", "typing": "{name} กำลังพิมพ์…", "unread": "ยังไม่ได้อ่าน {n} ข้อความ", "you": "คุณ", "sending": "กำลังส่ง…", "failed": "ส่งไม่สำเร็จ โปรดลองอีกครั้ง", "csat_q": "ท่านพึงพอใจกับการให้บริการของเราเพียงใด", "csat_comment": "ต้องการแสดงความคิดเห็นเพิ่มเติมหรือไม่ (ไม่บังคับ)", "csat_send": "ส่งคะแนน", "csat_thanks": "ขอขอบคุณสำหรับความคิดเห็นของท่าน", "csat_star": "{n} จาก 5" }
  } /* widget-strings:end */;

  // ---- configuration from the script tag, the page and the browser ----
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  function attr(name) {
    var v = script && script.getAttribute("data-" + name);
    return v ? v.trim() : "";
  }
  var gateway = attr("gateway") ?
    new URL(attr("gateway"), location.href).href.replace(/\/+$/, "") :
    new URL(script ? script.src : location.href, location.href).origin;
  var socketBase = gateway.replace(/^http/, "ws");
  var token = attr("customer-token");
  // the page's locale (tag, then <html lang>); the browser's languages are the fallback
  var browserLangs = navigator.languages && navigator.languages.length ?
    Array.prototype.slice.call(navigator.languages) : [navigator.language || "en"];
  var candidates = [attr("locale"), document.documentElement.lang].concat(browserLangs)
    .filter(function (x) { return !!x; });
  var locale = candidates[0] || "en"; // sent to the gateway as a language hint
  var lang = "en"; // the UI's language: the first candidate we have strings for
  for (var i = 0; i < candidates.length; i++) {
    var primary = candidates[i].split(/[-_]/)[0].toLowerCase();
    if (UI[primary]) { lang = primary; break; }
  }
  var T = UI[lang];
  function fmt(s, name, n) { return s.replace("{name}", name).replace("{n}", n); }

  // ---- storage: localStorage when the browser allows it, memory otherwise ----
  var memory = {};
  function load(area, key) {
    try { return window[area].getItem(key); } catch (e) { return memory[area + key] || null; }
  }
  function save(area, key, value) {
    try { window[area].setItem(key, value); } catch (e) { memory[area + key] = value; }
  }
  var prefix = "xbchat:" + gateway + ":";
  var convId = load("localStorage", prefix + "conversation");
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(convId || "")) {
    convId = "w" + hex(12);
    save("localStorage", prefix + "conversation", convId);
  }
  function hex(bytes) {
    return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(bytes)), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // ---- DOM (inside a shadow root) ----
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    svg.appendChild(p);
    return svg;
  }
  var host = el("div");
  host.setAttribute("data-xb-chat", "");
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link");
  sheet.rel = "stylesheet";
  sheet.href = gateway + "/static/widget.css";
  root.appendChild(sheet);
  var frame = el("div", "xb");
  frame.dir = lang === "ar" ? "rtl" : "ltr";
  frame.lang = lang;
  frame.hidden = true; // until widget.css is in: no flash of an unstyled button
  sheet.addEventListener("load", function () { frame.hidden = false; });
  sheet.addEventListener("error", function () { frame.hidden = false; });
  root.appendChild(frame);

  var launcher = el("button", "launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-controls", "xb-panel");
  launcher.setAttribute("aria-expanded", "false");
  launcher.appendChild(icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"));
  var badge = el("span", "badge");
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true"); // the launcher's label says it
  launcher.appendChild(badge);

  var panel = el("section", "panel");
  panel.id = "xb-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "xb-title");
  var head = el("header", "head");
  var titles = el("div", "titles");
  var title = el("h2", "title", T.title);
  title.id = "xb-title";
  var status = el("p", "status", T.bot);
  titles.appendChild(title);
  titles.appendChild(status);
  var close = el("button", "close");
  close.type = "button";
  close.setAttribute("aria-label", T.close);
  close.appendChild(icon("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"));
  head.appendChild(titles);
  head.appendChild(close);
  var offline = el("p", "offline", T.reconnecting);
  offline.setAttribute("role", "status");
  offline.hidden = true;
  var log = el("ol", "log");
  log.setAttribute("role", "log"); // polite live region: new messages are read out
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", T.title);
  log.tabIndex = 0; // scrollable with the keyboard
  var empty = el("p", "empty", T.hi);
  var typing = el("div", "typing");
  typing.hidden = true;
  var dots = el("span", "dots");
  dots.setAttribute("aria-hidden", "true");
  dots.appendChild(el("i"));
  dots.appendChild(el("i"));
  dots.appendChild(el("i"));
  var typingText = el("span", "typing-text");
  typing.appendChild(dots);
  typing.appendChild(typingText);
  var quick = el("div", "quick");
  quick.setAttribute("role", "group");
  var form = el("form", "composer");
  var input = el("textarea", "input");
  input.rows = 1;
  input.maxLength = 5000;
  input.placeholder = T.placeholder;
  input.setAttribute("aria-label", T.placeholder);
  var send = el("button", "send", T.send);
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  var human = el("button", "human", T.human);
  human.type = "button";
  // "How did we do?": five buttons and an optional comment, asked once after a resolution
  var csat = el("div", "csat");
  csat.hidden = true;
  csat.setAttribute("role", "group");
  var csatQ = el("p", "csat-q", T.csat_q);
  csatQ.id = "xb-csat-q";
  csat.setAttribute("aria-labelledby", "xb-csat-q");
  var csatScale = el("div", "csat-scale");
  var csatRating = 0, csatButtons = [];
  [1, 2, 3, 4, 5].forEach(function (n) {
    var b = el("button", "csat-n", String(n));
    b.type = "button";
    b.setAttribute("data-rating", String(n));
    b.setAttribute("aria-label", fmt(T.csat_star, "", n));
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", function () {
      csatRating = n;
      csatButtons.forEach(function (x, i) { x.setAttribute("aria-pressed", String(i + 1 === n)); });
      csatSend.disabled = false;
    });
    csatButtons.push(b);
    csatScale.appendChild(b);
  });
  var csatComment = el("textarea", "csat-comment");
  csatComment.rows = 2;
  csatComment.maxLength = 1000;
  csatComment.placeholder = T.csat_comment;
  csatComment.setAttribute("aria-label", T.csat_comment);
  var csatSend = el("button", "csat-send", T.csat_send);
  csatSend.type = "button";
  csatSend.disabled = true;
  [csatQ, csatScale, csatComment, csatSend].forEach(function (n) { csat.appendChild(n); });
  [head, offline, empty, log, typing, quick, csat, form, human].forEach(function (n) { panel.appendChild(n); });
  frame.appendChild(launcher);
  frame.appendChild(panel);

  // ---- state ----
  var ws = null, connected = false, retry = 0, timer = null;
  var seen = {};         // seq -> true: every entry is shown exactly once
  var contiguous = 0;    // every seq up to here is shown: what a reconnect asks "after"
  var newest = 0;        // highest seq shown
  var outbox = [];       // {id, payload} frames not yet handed to an open socket
  var sent = 0;
  var mode = null, agentName = null, typingTimer = null;
  var isOpen = false;
  var readKey = prefix + convId + ":read";
  var readSeq = parseInt(load("localStorage", readKey) || "0", 10) || 0;
  var unread = 0;

  function setOpen(open, quiet) {
    isOpen = open;
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    save("sessionStorage", prefix + "open", open ? "1" : "");
    if (open) {
      markRead();
      log.scrollTop = log.scrollHeight;
      if (!quiet) input.focus();
      if (!ws) connect(); // the shopper is looking: do not wait for the backoff
    } else if (!quiet) {
      launcher.focus();
    }
  }
  function markRead() {
    readSeq = Math.max(readSeq, newest);
    save("localStorage", readKey, String(readSeq));
    unread = 0;
    showUnread();
  }
  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    launcher.setAttribute("aria-label", unread ? T.title + " (" + fmt(T.unread, "", unread) + ")" : T.title);
  }

  function place(li, seq) {
    // entries nearly always arrive in order: walk back from the end to where this one goes
    li.xbSeq = seq;
    var node = log.lastChild;
    while (node && node.xbSeq > seq) node = node.previousSibling;
    log.insertBefore(li, node ? node.nextSibling : log.firstChild);
    empty.hidden = true;
    log.scrollTop = log.scrollHeight;
  }
  function bubble(speaker, label, text, language) {
    var li = el("li", "msg " + speaker);
    li.appendChild(el("span", speaker === "agent" ? "who" : "who sr", label));
    var p = el("p", "text", text); // textContent: markup stays text
    p.dir = "auto";
    if (language) p.lang = language;
    li.appendChild(p);
    return li;
  }
  function note(text) {
    var li = el("li", "note", text);
    place(li, newest + 0.5);
  }
  function addEntry(entry) {
    var seq = +entry.seq || 0;
    if (!seq || seen[seq]) return; // exactly once
    seen[seq] = true;
    while (seen[contiguous + 1]) contiguous++;
    var speaker = entry.speaker;
    if (speaker === "system") {
      var line = el("li", "note", entry.text);
      line.setAttribute("data-seq", String(seq));
      place(line, seq);
    } else {
      var name = speaker === "agent" ? (entry.agent && entry.agent.name) || entry.agent_name || agentName || T.agent :
        speaker === "bot" ? T.bot : T.you;
      var li = bubble(speaker === "agent" || speaker === "bot" ? speaker : "shopper", name, entry.text, entry.language);
      if (entry.notice) li.className += " notice"; // we wrote first: a parcel has a problem
      li.setAttribute("data-seq", String(seq));
      place(li, seq);
    }
    if (speaker === "shopper") confirm(entry.text);
    else hideTyping();
    if (seq > newest) {
      newest = seq;
      // quick replies belong to the newest message only
      while (quick.firstChild) quick.removeChild(quick.firstChild);
      (speaker === "shopper" ? [] : entry.buttons || []).forEach(function (b) {
        if (!b || !b.title || !b.payload) return;
        var chip = el("button", "chip", b.title);
        chip.type = "button";
        chip.addEventListener("click", function () { submit(b.payload, b.title); });
        quick.appendChild(chip);
      });
    }
    if (speaker !== "shopper" && seq > readSeq) {
      if (isOpen && !document.hidden) markRead();
      else { unread++; showUnread(); }
    }
  }

  // shopper messages show at once, marked as sending, until the gateway's entry for them
  function pending(id, text) {
    var li = bubble("shopper pending", T.you, text);
    li.xbClient = id;
    li.xbText = text.normalize("NFC");
    li.appendChild(el("span", "state", T.sending));
    li.setAttribute("aria-hidden", "true"); // read out once, when the gateway confirms it
    place(li, Infinity);
  }
  function confirm(text) {
    var want = String(text || "").normalize("NFC");
    var nodes = log.querySelectorAll(".pending");
    for (var k = 0; k < nodes.length; k++) {
      if (nodes[k].xbText === want) { nodes[k].remove(); return; }
    }
  }
  function settle(clientId, failed) {
    var nodes = log.querySelectorAll(".pending");
    for (var k = 0; k < nodes.length; k++) {
      if (nodes[k].xbClient !== clientId) continue;
      if (!failed) { nodes[k].remove(); return; }
      nodes[k].className = "msg shopper failed";
      nodes[k].removeAttribute("aria-hidden");
      nodes[k].lastChild.textContent = T.failed;
    }
  }

  function showTyping(speaker, name) {
    typingText.textContent = fmt(T.typing, speaker === "agent" ? name || agentName || T.agent : T.bot);
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 20000);
  }
  function hideTyping() {
    typing.hidden = true;
    clearTimeout(typingTimer);
  }

  function setMode(next, name, announce) {
    if (next !== "bot" && next !== "queued" && next !== "agent") return;
    var who = next === "agent" ? name || (mode === "agent" && agentName) || T.agent : null;
    if (announce && mode && (next !== mode || who !== agentName)) {
      if (mode === "agent" && agentName !== who) note(fmt(T.left, agentName));
      if (next === "agent") note(fmt(T.joined, who));
      else if (next === "queued") note(T.queued);
    }
    mode = next;
    agentName = who;
    status.textContent = next === "agent" ? fmt(T.joined, who) : next === "queued" ? T.queued : T.bot;
    human.hidden = next !== "bot";
  }

  // ---- the socket: history after the last contiguous seq, then live; backoff on loss ----
  function connect() {
    clearTimeout(timer);
    timer = null;
    if (ws) return;
    var sock;
    try {
      var convToken = load("localStorage", prefix + convId + ":token");
      sock = new WebSocket(socketBase + "/ws/shopper?conversation_id=" + encodeURIComponent(convId) +
        "&after=" + contiguous + (convToken ? "&token=" + encodeURIComponent(convToken) : ""));
    } catch (e) {
      retryLater();
      return;
    }
    ws = sock;
    sock.onmessage = function (ev) { if (ws === sock) receive(ev.data); };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      if (ev.code === 4403) { startOver(); return; } // not ours (token lost): a new chat
      connected = false;
      offline.hidden = false;
      hideTyping();
      retryLater();
    };
  }
  // Backoff: the algorithm of backoffDelay() in static/shared/ui.js, which the staff pages
  // use: exponential with full jitter, a random wait in [0, min(cap, base * 2^retry)). It is
  // copied, not imported: widget.js is a classic script that shops embed with a plain
  // <script src> tag (no type="module"), so it can't use `import`, and a dynamic import()
  // from the shop's page would be a cross-origin module fetch, which needs CORS headers the
  // gateway's /static/ doesn't send (and the shop's own CSP may forbid it). One difference:
  // retry resets on the gateway's "hello" rather than on the socket's open event, so a
  // gateway that accepts and at once drops the socket still gets backed off from.
  // tests/unit/web/test_frontend_modules.py checks both files use the same constants.
  var BACKOFF_BASE_MS = 500, BACKOFF_CAP_MS = 15000;
  function retryLater() {
    if (timer) return;
    var delay = Math.floor(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, retry)));
    retry = Math.min(retry + 1, 30);
    timer = setTimeout(connect, delay);
  }
  // The gateway refused this conversation id (its token is gone, or it never was ours):
  // forget it and start a conversation of our own; unsent messages go with us.
  function startOver() {
    convId = "w" + hex(12);
    save("localStorage", prefix + "conversation", convId);
    readKey = prefix + convId + ":read";
    readSeq = 0;
    seen = {};
    contiguous = 0;
    newest = 0;
    while (log.firstChild) log.removeChild(log.firstChild);
    connect();
  }
  function showCsat() {
    if (!csat.hidden) return; // a reconnect asks again: keep what the shopper chose
    csatRating = 0;
    csatComment.value = "";
    csatSend.disabled = true;
    csatButtons.forEach(function (x) { x.setAttribute("aria-pressed", "false"); });
    csat.hidden = false;
  }
  csatSend.addEventListener("click", function () {
    if (!csatRating) return;
    csatSend.disabled = true;
    var body = { type: "csat", rating: csatRating };
    if (csatComment.value.trim()) body.comment = csatComment.value.trim();
    // over the socket like every message (no cross-origin request from the shop's page)
    if (ws && connected) ws.send(JSON.stringify(body)); else csatSend.disabled = false;
  });
  function receive(data) {
    var m;
    try { m = JSON.parse(data); } catch (e) { return; }
    if (!m || typeof m !== "object") return;
    var name = m.agent_name || (m.agent && m.agent.name);
    if (m.type === "hello") {
      if (m.token) save("localStorage", prefix + convId + ":token", m.token);
      connected = true;
      retry = 0;
      offline.hidden = true;
      setMode(m.mode, name, true);
      resendInFlight();
      flush();
    } else if (m.type === "entry" && m.entry) {
      addEntry(m.entry);
    } else if (m.type === "typing") {
      showTyping(m.speaker, name);
    } else if (m.type === "mode") {
      setMode(m.mode, name, true);
    } else if (m.type === "csat") {
      if (m.answered) { csat.hidden = true; note(T.csat_thanks); } else showCsat();
    } else if (m.type === "state") {
      hideTyping();
      acked(m.client_id);
      settle(m.client_id);
      setMode(m.mode, name, true);
    } else if (m.type === "error") {
      hideTyping();
      if (/^csat_/.test(m.code || "")) { csat.hidden = true; return; } // answered already
      if (/^bad_(rating|comment)$/.test(m.code || "")) { csatSend.disabled = false; return; }
      if (m.retry && unacked[m.client_id]) { // nothing was saved: keep it, send it again
        var id = m.client_id, again = unacked[id];
        acked(id);
        unacked[id] = again;
        setTimeout(function () { if (unacked[id]) { outbox.push({ id: id, payload: again }); flush(); } }, 2000);
        return;
      }
      acked(m.client_id);
      settle(m.client_id, true);
    }
  }
  // messages sent but not yet answered with "state", by client id: after a dropped socket
  // (or a store outage, error frame with retry) they are sent again; the gateway stores each
  // client id once and answers one it stored but never answered
  var unacked = {}, inFlight = [];
  function flush() {
    while (connected && ws && ws.readyState === 1 && outbox.length) {
      var frame = outbox.shift();
      ws.send(frame.payload);
      inFlight.push(frame);
    }
  }
  function resendInFlight() {
    var again = inFlight.filter(function (f) { return unacked[f.id]; });
    inFlight = [];
    outbox = again.concat(outbox);
  }
  function acked(id) {
    delete unacked[id];
    inFlight = inFlight.filter(function (f) { return f.id !== id; });
  }
  function submit(text, display) {
    text = (text || "").trim();
    if (!text) return;
    var id = "c" + ++sent + "-" + hex(3);
    var meta = { locale: locale, page: location.pathname };
    if (token) meta.customer_token = token;
    if (display) meta.display = display;
    pending(id, display || text);
    unacked[id] = JSON.stringify({ type: "message", text: text, client_id: id, metadata: meta });
    outbox.push({ id: id, payload: unacked[id] });
    flush();
    if (!ws) connect();
  }

  // ---- events ----
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    submit(input.value);
    input.value = "";
    input.focus();
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { // IME: Enter confirms a word
      ev.preventDefault();
      submit(input.value);
      input.value = "";
    }
  });
  human.addEventListener("click", function () { submit("/human_handoff", T.human); });
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") setOpen(false); });
  window.addEventListener("online", function () { if (!ws) connect(); });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    if (!ws) connect();
    if (isOpen) markRead();
  });

  window.XBChat = {
    get conversationId() { return convId; },
    locale: locale,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    setCustomerToken: function (t) { token = t || ""; }
  };
  function mount() {
    showUnread();
    document.body.appendChild(host);
    if (load("sessionStorage", prefix + "open")) setOpen(true, true); // same tab, next page
    connect();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
