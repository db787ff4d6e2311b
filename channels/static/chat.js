/* madoguchi web chat: plain JS, no dependencies. */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var statusLine = document.getElementById("status");
  var banner = document.getElementById("handoff-banner");
  var sizeButton = document.getElementById("text-size");
  var staffButton = document.getElementById("talk-to-staff");
  var city = root.getAttribute("data-city") || "";
  var maxChars = parseInt(root.getAttribute("data-max-chars"), 10) || 1000;
  var topics = [];
  try { topics = JSON.parse(root.getAttribute("data-topics") || "[]"); } catch (e) { topics = []; }

  var SESSION_KEY = "madoguchi.session";
  var session = null;
  var busy = false;
  var events = null;
  var URL_RE = /(https?:\/\/[^\s<>"'「」『』（）()、。]+)/g;

  var languageSelect = document.getElementById("language");

  /* The widget's own texts per language; the bot answers in the language the resident writes
     in, and this choice (the browser's language, or the switch) when a message does not tell. */
  var I18N = {
    ja: { bot: "AI案内", user: "あなた", staff: "職員", desk: "AI案内窓口", choices: "選択肢",
      busy: "回答を準備しています…", afterHours: "ただいま受付時間外です。お送りいただいた内容は、職員が確認してからご連絡します。",
      handoff: "職員対応中です。職員からの返信をこの画面でお待ちください。", tooLong: "メッセージが長すぎます。{n}文字以内でお送りください。",
      tooLong413: "メッセージが長すぎます。短くまとめて、もう一度お送りください。", sentToStaff: "職員にお送りしました",
      offline: "申し訳ありません。通信できませんでした。インターネットへの接続を確かめて、もう一度お試しください。",
      empty: "ご質問を入力してください。", larger: "文字を大きく", normal: "文字を標準に", talk: "職員と話す", talkText: "職員と話したい",
      inputLabel: "ご質問を入力", placeholder: "ご質問をどうぞ", send: "送信",
      greeting: "こんにちは。{city}のAI案内窓口です。ごみの出し方や各種手続きなど、市役所へのご質問をどうぞ。",
      notice: null, footer: null },
    en: { bot: "AI guide", user: "You", staff: "Staff", desk: "AI information desk", choices: "Choices",
      busy: "Preparing an answer…", afterHours: "The office is closed now. A staff member will read your message and contact you.",
      handoff: "A staff member is handling your conversation. Please wait for their reply here.", tooLong: "The message is too long. Please keep it under {n} characters.",
      tooLong413: "The message is too long. Please make it shorter and send it again.", sentToStaff: "Sent to the staff",
      offline: "Sorry, the connection failed. Please check your internet connection and try again.",
      empty: "Please type your question.", larger: "Larger text", normal: "Normal text", talk: "Talk to staff", talkText: "Talk to staff",
      inputLabel: "Type your question", placeholder: "Ask a question", send: "Send",
      greeting: "Hello. This is the AI information desk of {city}. You can ask about garbage, procedures and other city services.",
      notice: "The AI answers from the city's frequently asked questions. Do not enter your name, My Number or other personal information. Fire or ambulance: call 119. Police: call 110.",
      footer: "By phone: city hall {tel}" },
    zh: { bot: "AI向导", user: "您", staff: "工作人员", desk: "AI咨询窗口", choices: "选项",
      busy: "正在准备回答…", afterHours: "现在是非办公时间。工作人员确认您发送的内容后会联系您。",
      handoff: "工作人员正在处理。请在此页面等待工作人员的回复。", tooLong: "消息太长了。请在{n}个字以内发送。",
      tooLong413: "消息太长了。请简短后再发送。", sentToStaff: "已发送给工作人员",
      offline: "对不起，无法连接。请检查网络连接后再试。",
      empty: "请输入您的问题。", larger: "放大文字", normal: "标准文字", talk: "与工作人员交谈", talkText: "人工",
      inputLabel: "输入问题", placeholder: "请输入问题", send: "发送",
      greeting: "您好。这里是{city}的AI咨询窗口。关于垃圾、各种手续等市政府的问题，请随时提问。",
      notice: "AI根据市政府的常见问题回答。请不要输入姓名、个人编号等个人信息。火灾、急救请拨打119，案件、事故请拨打110。",
      footer: "电话咨询：市政府总机 {tel}" },
    ko: { bot: "AI 안내", user: "나", staff: "직원", desk: "AI 안내 창구", choices: "선택지",
      busy: "답변을 준비하고 있습니다…", afterHours: "지금은 업무 시간 외입니다. 보내 주신 내용은 직원이 확인한 후 연락드립니다.",
      handoff: "직원이 대응 중입니다. 이 화면에서 직원의 답장을 기다려 주세요.", tooLong: "메시지가 너무 깁니다. {n}자 이내로 보내 주세요.",
      tooLong413: "메시지가 너무 깁니다. 짧게 줄여서 다시 보내 주세요.", sentToStaff: "직원에게 보냈습니다",
      offline: "죄송합니다. 통신할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.",
      empty: "질문을 입력해 주세요.", larger: "글자 크게", normal: "글자 보통", talk: "직원과 이야기하기", talkText: "상담원과 이야기하고 싶어요",
      inputLabel: "질문 입력", placeholder: "질문을 입력하세요", send: "보내기",
      greeting: "안녕하세요. {city} AI 안내 창구입니다. 쓰레기 배출 방법이나 각종 절차 등 시청에 관한 질문을 해 주세요.",
      notice: "AI가 시의 자주 묻는 질문에서 답변합니다. 이름이나 마이넘버 등 개인 정보는 입력하지 마세요. 화재·구급은 119, 사건·사고는 110으로 전화하세요.",
      footer: "전화 문의: 시청 대표 {tel}" },
    vi: { bot: "Hướng dẫn AI", user: "Bạn", staff: "Nhân viên", desk: "Quầy hướng dẫn AI", choices: "Lựa chọn",
      busy: "Đang chuẩn bị câu trả lời…", afterHours: "Hiện ngoài giờ làm việc. Nhân viên sẽ đọc tin nhắn và liên lạc với bạn.",
      handoff: "Nhân viên đang xử lý. Vui lòng chờ trả lời tại đây.", tooLong: "Tin nhắn quá dài. Vui lòng gửi dưới {n} ký tự.",
      tooLong413: "Tin nhắn quá dài. Vui lòng viết ngắn hơn và gửi lại.", sentToStaff: "Đã gửi cho nhân viên",
      offline: "Xin lỗi, không thể kết nối. Vui lòng kiểm tra kết nối internet và thử lại.",
      empty: "Vui lòng nhập câu hỏi.", larger: "Chữ lớn", normal: "Chữ thường", talk: "Nói chuyện với nhân viên", talkText: "Tôi muốn nói chuyện với nhân viên",
      inputLabel: "Nhập câu hỏi", placeholder: "Hãy đặt câu hỏi", send: "Gửi",
      greeting: "Xin chào. Đây là quầy hướng dẫn AI của {city}. Bạn có thể hỏi về rác, các thủ tục và các dịch vụ khác của thành phố.",
      notice: "AI trả lời từ các câu hỏi thường gặp của thành phố. Không nhập họ tên, số My Number hay thông tin cá nhân. Cháy hoặc cấp cứu: gọi 119. Cảnh sát: gọi 110.",
      footer: "Điện thoại: tổng đài tòa thị chính {tel}" },
    pt: { bot: "Guia IA", user: "Você", staff: "Funcionário", desk: "Atendimento com IA", choices: "Opções",
      busy: "Preparando a resposta…", afterHours: "Fora do horário de atendimento. Um funcionário lerá a sua mensagem e entrará em contato.",
      handoff: "Um funcionário está atendendo. Aguarde a resposta nesta tela.", tooLong: "A mensagem é muito longa. Envie até {n} caracteres.",
      tooLong413: "A mensagem é muito longa. Resuma e envie novamente.", sentToStaff: "Enviado ao funcionário",
      offline: "Desculpe, não foi possível conectar. Verifique a internet e tente novamente.",
      empty: "Digite a sua pergunta.", larger: "Letra maior", normal: "Letra normal", talk: "Falar com um funcionário", talkText: "Quero falar com um atendente",
      inputLabel: "Digite a sua pergunta", placeholder: "Faça a sua pergunta", send: "Enviar",
      greeting: "Olá. Este é o atendimento com IA de {city}. Pergunte sobre lixo, procedimentos e outros serviços da prefeitura.",
      notice: "A IA responde a partir das perguntas frequentes da prefeitura. Não digite nome, My Number ou outros dados pessoais. Incêndio ou ambulância: 119. Polícia: 110.",
      footer: "Por telefone: prefeitura {tel}" }
  };
  var HTML_LANG = { ja: "ja", en: "en", zh: "zh-Hans", ko: "ko", vi: "vi", pt: "pt" };
  var noticeElement = document.getElementById("notice");
  var footerElement = document.getElementById("footer");
  var japaneseNotice = noticeElement.innerHTML;
  var japaneseFooter = footerElement.innerHTML;

  function pickLanguage() {
    var saved = storageGet("localStorage", "madoguchi.lang");
    if (saved && I18N[saved]) return saved;
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || "ja"];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (I18N[code]) return code;
    }
    return "ja";
  }
  var language = "ja";
  function T(key) { return (I18N[language] && I18N[language][key]) || I18N.ja[key]; }
  var WHO = { bot: "", user: "", staff: "" };
  var embedded = /[?&]embed=1/.test(location.search) && window.parent !== window;
  if (embedded) {
    document.documentElement.classList.add("embedded");
    // Esc inside the panel closes it (the page that embeds us listens; see embed.js).
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ madoguchi: "close" }, "*");
    });
  }

  function storageGet(store, key) { try { return window[store].getItem(key); } catch (e) { return null; } }
  function storageSet(store, key, value) { try { window[store].setItem(key, value); } catch (e) { /* private mode */ } }

  /* Text with links: built from text nodes, never innerHTML. */
  function fillText(element, text) {
    var last = 0;
    text.replace(URL_RE, function (url, _g, offset) {
      if (offset > last) element.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      element.appendChild(link);
      last = offset + url.length;
      return url;
    });
    if (last < text.length) element.appendChild(document.createTextNode(text.slice(last)));
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
    if (window.requestAnimationFrame) window.requestAnimationFrame(function () { log.scrollTop = log.scrollHeight; });
  }

  function addMessage(role, text, buttons, note) {
    var item = document.createElement("div");
    item.className = "msg msg-" + role;
    var who = document.createElement("p");
    who.className = "who";
    who.textContent = WHO[role] || "";
    if (role === "user") who.className += " visually-hidden";
    item.appendChild(who);
    if (text) {
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      fillText(bubble, text);
      item.appendChild(bubble);
    }
    if (buttons && buttons.length) item.appendChild(buttonGroup(buttons, text));
    if (note) {
      var small = document.createElement("p");
      small.className = "note";
      small.textContent = note;
      item.appendChild(small);
    }
    log.appendChild(item);
    scrollDown();
    return item;
  }

  function buttonGroup(buttons, label) {
    var group = document.createElement("div");
    var yesno = buttons.every(function (b) { return b.payload === "/affirm" || b.payload === "/deny"; });
    group.className = "choices" + (yesno ? " yesno" : "");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", label ? label.slice(0, 60) : T("choices"));
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = b.title;
      if (b.hint) {
        var hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = b.hint;
        button.appendChild(hint);
      }
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (busy) return;
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (other) { other.disabled = true; });
        button.setAttribute("aria-pressed", "true");
        send(b.payload, b.title);
      });
      group.appendChild(button);
    });
    return group;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    statusLine.textContent = value ? T("busy") : "";
  }

  function showHandoff(on, kind) {
    if (kind === "after_hours") banner.textContent = T("afterHours");
    else if (kind === "handoff") banner.textContent = T("handoff");
    banner.hidden = !on;
  }

  function request(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin"
    });
  }

  function ensureSession() {
    if (session) return Promise.resolve(session);
    var saved = storageGet("sessionStorage", SESSION_KEY);
    if (saved && /^[0-9a-f]{32}$/.test(saved)) {
      session = saved;
      listen();
      return Promise.resolve(session);
    }
    return request("api/session").then(function (response) {
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    }).then(function (data) {
      session = data.session;
      storageSet("sessionStorage", SESSION_KEY, session);
      listen();
      return session;
    });
  }

  function listen() {
    if (events || !window.EventSource || !session) return;
    events = new EventSource("api/events?session=" + encodeURIComponent(session));
    events.addEventListener("staff", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      showHandoff(true);
      addMessage("staff", data.text || "");
    });
  }

  function send(text, shown) {
    text = (text || "").trim();
    if (!text || busy) return;
    if (text.length > maxChars) {
      statusLine.textContent = T("tooLong").replace("{n}", maxChars);
      return;
    }
    var mine = addMessage("user", shown || text);
    setBusy(true);
    ensureSession().then(function () {
      return request("api/message", { session: session, text: text, language: language });
    }).then(function (response) {
      if (response.status === 413) return { messages: [{ role: "bot", text: T("tooLong413") }] };
      if (!response.ok) throw new Error("message " + response.status);
      return response.json();
    }).then(function (data) {
      var messages = data.messages || [];
      messages.forEach(function (m) { addMessage(m.role || "bot", m.text || "", m.buttons || []); });
      if (data.handoff) showHandoff(true, data.kind);
      if (data.kind === "empty" && !messages.length) {
        var note = document.createElement("p");
        note.className = "note";
        note.textContent = T("sentToStaff");
        mine.appendChild(note);
      }
    }).catch(function () {
      addMessage("bot", T("offline"));
    }).then(function () {
      setBusy(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { statusLine.textContent = T("empty"); input.focus(); return; }
    input.value = "";
    autosize();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; never while the IME is converting Japanese.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 160) + "px";
  }
  input.addEventListener("input", autosize);

  function applySize(large) {
    document.documentElement.classList.toggle("large", large);
    sizeButton.setAttribute("aria-pressed", large ? "true" : "false");
    sizeButton.textContent = large ? T("normal") : T("larger");
  }
  sizeButton.addEventListener("click", function () {
    var large = !document.documentElement.classList.contains("large");
    applySize(large);
    storageSet("localStorage", "madoguchi.large", large ? "1" : "0");
  });
  applySize(storageGet("localStorage", "madoguchi.large") === "1");

  staffButton.addEventListener("click", function () { send("/request_human", T("talkText")); });

  /* Every text of the widget in `code`; the greeting is said again in the new language. */
  function applyLanguage(code, greet) {
    language = I18N[code] ? code : "ja";
    languageSelect.value = language;
    document.documentElement.lang = HTML_LANG[language];
    ["bot", "user", "staff"].forEach(function (role) { WHO[role] = T(role); });
    document.getElementById("title-desk").textContent = T("desk");
    document.title = city + " " + T("desk");
    staffButton.textContent = T("talk");
    sendButton.textContent = T("send");
    input.placeholder = T("placeholder");
    document.getElementById("input-label").textContent = T("inputLabel");
    applySize(document.documentElement.classList.contains("large"));
    if (language === "ja") {
      noticeElement.innerHTML = japaneseNotice;  // the page's own markup, not user input
      footerElement.innerHTML = japaneseFooter;
    } else {
      noticeElement.textContent = T("notice");
      footerElement.textContent = T("footer").replace("{tel}", footerElement.getAttribute("data-switchboard") || "");
    }
    if (greet) {
      addMessage("bot", T("greeting").replace("{city}", city),
        language === "ja" ? topics.slice(0, 6).map(function (t) { return { title: t, payload: t }; }) : []);
    }
  }
  languageSelect.addEventListener("change", function () {
    storageSet("localStorage", "madoguchi.lang", languageSelect.value);
    applyLanguage(languageSelect.value, true);
  });
  applyLanguage(pickLanguage(), true);
})();
