// The receipt verifier: checks a registration receipt in this browser, with WebCrypto
// (Ed25519 for the checkpoint's signature, SHA-256 for the Merkle proof). Nothing is uploaded.
// The receipt format, the C2SP signed note and the RFC 9162 proof are described in
// docs/provenance.md; this mirrors syndic.provenance.receipt.verify_receipt.
"use strict";

(function () {
  const form = document.getElementById("verify-form");
  if (!form) return;
  const input = document.getElementById("receipt-file");
  const out = document.getElementById("verify-result");
  const trustedKey = form.dataset.publicKey;
  const trustedOrigin = form.dataset.origin;
  const enc = new TextEncoder();

  function b64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function concat(...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  class Refused extends Error {}

  // C2SP signed note: text, a blank line, then "— <name> base64(keyid || signature)" lines.
  async function checkCheckpoint(note, origin, pub) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Refused("the checkpoint has no signature block");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2).replace(/\n$/, "").split("\n");
    const keyId = (await sha256(concat(enc.encode(origin + "\n"), new Uint8Array([1]), pub))).slice(0, 4);
    const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    let verified = false;
    for (const line of lines) {
      if (!line.startsWith("\u2014 ")) throw new Refused("a signature line is malformed");
      const [name, sig64] = line.slice(2).split(" ");
      const raw = b64(sig64);
      if (name !== origin || !equal(raw.slice(0, 4), keyId)) continue;
      if (!(await crypto.subtle.verify("Ed25519", key, raw.slice(4), enc.encode(text)))) {
        throw new Refused("the checkpoint's signature does not verify: it was not signed by this coalition's key");
      }
      verified = true;
    }
    if (!verified) throw new Refused("the checkpoint is not signed by this coalition's key");
    const [cpOrigin, size, root] = text.slice(0, -1).split("\n");
    if (cpOrigin !== origin) throw new Refused("the checkpoint is from another log");
    if (!/^(0|[1-9][0-9]*)$/.test(size)) throw new Refused("the checkpoint's size is malformed");
    return { size: Number(size), root: b64(root) };
  }

  // RFC 9162 section 2.1.3.2: the root an inclusion proof implies.
  async function rootFromProof(leaf, index, size, proof) {
    if (index >= size) throw new Refused("the entry is beyond the signed tree");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Refused("the proof is longer than the tree is deep");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(new Uint8Array([1]), p, r));
        if (fn % 2 === 0) { while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await sha256(concat(new Uint8Array([1]), r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Refused("the proof is shorter than the tree is deep");
    return r;
  }

  async function verify(text) {
    let receipt;
    try { receipt = JSON.parse(text); } catch (e) { throw new Refused("the file is not a receipt (not JSON)"); }
    const c = receipt && receipt.coalition;
    if (!c || typeof receipt.checkpoint !== "string" || !Array.isArray(receipt.proof)) {
      throw new Refused("the file is not a Syndic receipt");
    }
    if (c.origin !== trustedOrigin) throw new Refused(`the receipt is for another coalition's log (${c.origin})`);
    if (c.public_key !== trustedKey) throw new Refused("the receipt names a different key than this coalition's");
    const cp = await checkCheckpoint(receipt.checkpoint, trustedOrigin, b64(trustedKey));
    if (cp.size !== receipt.tree_size) throw new Refused("the proof is for another tree than the signed one");
    const entry = b64(receipt.entry);
    const leaf = await sha256(concat(new Uint8Array([0]), entry));
    const root = await rootFromProof(leaf, receipt.index, receipt.tree_size, receipt.proof.map(b64));
    if (!equal(root, cp.root)) throw new Refused("the inclusion proof does not lead to the signed tree head");
    const event = JSON.parse(new TextDecoder().decode(entry));
    if (event.kind !== "work.registered" || !event.payload || event.payload.digest !== receipt.work) {
      throw new Refused("the logged entry does not register this work");
    }
    return { receipt, event, root: hex(root) };
  }

  function show(ok, title, lines) {
    out.replaceChildren();
    out.className = "notice " + (ok ? "ok" : "error");
    const h = document.createElement("h3");
    h.textContent = title;
    out.append(h);
    for (const line of lines) {
      const p = document.createElement("p");
      p.textContent = line;
      out.append(p);
    }
    out.focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = input.files && input.files[0];
    if (!file) { show(false, "Choose a receipt file first", []); return; }
    try {
      const { receipt, event } = await verify(await file.text());
      const p = event.payload;
      show(true, "Receipt verified", [
        `Proven: the work with SHA-256 ${receipt.work.replace("sha256:", "")} ("${p.title}") was registered as entry ${receipt.index} of ${trustedOrigin}'s public log, on ${event.at}.`,
        `Proven: that entry is inside the log's tree of ${receipt.tree_size} entries, whose head this coalition signed with its key (checked here with Ed25519 and SHA-256; the file never left your browser).`,
        "Not proven: who created the work, or that it is still in the pool today (a later entry may withdraw it).",
      ]);
    } catch (e) {
      const why = e instanceof Refused ? e.message : "the receipt could not be read (" + e.message + ")";
      show(false, "Receipt NOT verified", [why + "."]);
    }
  });
})();
