// The simulator signs like WeChat's servers: signature = sha1(sorted(token, timestamp, nonce)).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let msgId = Date.now() * 10;

  function sha1(str) {
    const bytes = new TextEncoder().encode(str);
    const words = [];
    for (let i = 0; i < bytes.length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
    const bitLen = bytes.length * 8;
    words[bitLen >> 5] |= 0x80 << (24 - bitLen % 32);
    words[(((bitLen + 64) >> 9) << 4) + 15] = bitLen;
    let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
    const w = new Array(80);
    for (let i = 0; i < words.length; i += 16) {
      let a = h0, b = h1, c = h2, d = h3, e = h4;
      for (let t = 0; t < 80; t++) {
        w[t] = t < 16 ? (words[i + t] | 0) : ((x) => (x << 1) | (x >>> 31))(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]);
        const f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
        const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
        const tmp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
        e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = tmp;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0; h4 = (h4 + e) | 0;
    }
    return [h0, h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, "0")).join("");
  }

  const cdata = (s) => "<![CDATA[" + String(s).split("]]>").join("]]]]><![CDATA[>") + "]]>";

  function add(text, cls) {
    const div = document.createElement("div");
    div.className = "msg " + cls;
    div.textContent = text;
    $("log").appendChild(div);
    $("log").scrollTop = $("log").scrollHeight;
  }

  async function post(inner) {
    const openid = $("openid").value.trim() || "sim-user-1";
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const signature = sha1([window.SIM_TOKEN, timestamp, nonce].sort().join(""));
    const xml = "<xml><ToUserName>" + cdata("gh_tongxin_sandbox") + "</ToUserName><FromUserName>" + cdata(openid) +
      "</FromUserName><CreateTime>" + timestamp + "</CreateTime>" + inner + "</xml>";
    const url = "/wechat?signature=" + signature + "&timestamp=" + timestamp + "&nonce=" + nonce + "&openid=" + encodeURIComponent(openid);
    const resp = await fetch(url, { method: "POST", body: xml, headers: { "Content-Type": "text/xml" } });
    const body = await resp.text();
    if (!resp.ok) { add("HTTP " + resp.status + "：" + body, "err"); return; }
    if (body === "success" || !body) { add("（无回复）", "bot"); }
    else {
      const doc = new DOMParser().parseFromString(body, "application/xml");
      const node = doc.getElementsByTagName("Content")[0];
      add(node ? node.textContent : body, "bot");
    }
    loadOutbox();
  }

  async function loadOutbox() {
    const openid = $("openid").value.trim();
    const rows = await (await fetch("/simulator/api/outbox?openid=" + encodeURIComponent(openid))).json();
    const box = $("outbox");
    box.innerHTML = rows.length ? "" : "<p class='meta'>（暂无）</p>";
    rows.reverse().forEach((r) => {
      const div = document.createElement("div");
      div.className = "out";
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = "#" + r.id + " · " + r.kind + " · " + r.status + " · " + r.created_at.replace("T", " ").slice(0, 19);
      div.appendChild(meta);
      div.appendChild(document.createTextNode(r.text));
      box.appendChild(div);
    });
  }

  async function loadIdentities() {
    const data = await (await fetch("/simulator/api/identities")).json();
    const sel = $("identity");
    const roles = { member: "成员", secretary: "支部书记", office: "党办", admin: "管理员" };
    data.people.forEach((p) => {
      const o = document.createElement("option");
      o.value = p.openid;
      o.textContent = p.name + "（" + (roles[p.role] || p.role) + "·" + p.where + "）";
      sel.appendChild(o);
    });
    const inv = $("invites");
    if (data.invites.length) {
      inv.innerHTML = "<p>演示单位邀请码（点击填入「绑定」命令）：</p>";
      data.invites.forEach((i) => {
        const line = document.createElement("div");
        const code = document.createElement("code");
        code.textContent = i.code;
        code.onclick = () => { $("text").value = "绑定 " + i.code; $("text").focus(); };
        line.appendChild(code);
        line.appendChild(document.createTextNode(" " + i.name));
        inv.appendChild(line);
      });
    }
  }

  $("identity").onchange = (e) => { if (e.target.value) { $("openid").value = e.target.value; } $("log").innerHTML = ""; loadOutbox(); };
  $("send").onsubmit = (e) => {
    e.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    add(text, "me");
    $("text").value = "";
    msgId += 1;
    post("<MsgType>" + cdata("text") + "</MsgType><Content>" + cdata(text) + "</Content><MsgId>" + msgId + "</MsgId>");
  };
  document.querySelectorAll(".menu button").forEach((b) => {
    b.onclick = () => {
      add("［菜单］" + b.textContent, "me");
      post("<MsgType>" + cdata("event") + "</MsgType><Event>" + cdata("CLICK") + "</Event><EventKey>" + cdata(b.dataset.key) + "</EventKey>");
    };
  });
  $("refresh").onclick = loadOutbox;
  loadIdentities();
  loadOutbox();
})();
