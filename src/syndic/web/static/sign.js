// Signing an agreement in the browser: the private key is read from its file (or made here)
// and used by WebCrypto; it is never sent. Only the signature (or the public half) is posted.
"use strict";

function b64(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

function pemToDer(text) {
  const body = text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, "");
  const bin = atob(body);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function derToPem(der) {
  const lines = b64(der).match(/.{1,64}/g).join("\n");
  return "-----BEGIN PRIVATE KEY-----\n" + lines + "\n-----END PRIVATE KEY-----\n";
}

function say(el, text, bad) {
  el.textContent = text;
  el.classList.toggle("error", Boolean(bad));
  el.classList.toggle("ok", !bad);
}

const hasCrypto = Boolean(window.crypto && crypto.subtle);

const signForm = document.getElementById("sign-form");
if (signForm && hasCrypto) {
  const status = document.getElementById("sign-status");
  document.getElementById("key-field").hidden = false;
  document.getElementById("sign-here").addEventListener("click", async () => {
    const file = document.getElementById("key_file").files[0];
    if (!file) { say(status, "Choose your private key file first.", true); return; }
    try {
      const key = await crypto.subtle.importKey(
        "pkcs8", pemToDer(await file.text()), { name: "Ed25519" }, false, ["sign"]);
      const doc = await fetch(signForm.dataset.document, { credentials: "same-origin" });
      if (!doc.ok) throw new Error("the document could not be read (" + doc.status + ")");
      const bytes = await doc.arrayBuffer();
      const sig = await crypto.subtle.sign({ name: "Ed25519" }, key, bytes);
      document.getElementById("signature").value = b64(sig);
      say(status, "Signed the document's " + bytes.byteLength +
        " bytes in this browser. Press Sign agreement to send the signature.", false);
    } catch (e) {
      say(status, "Could not sign here: " + (e && e.message ? e.message : e) +
        ". The key file must be an Ed25519 PKCS#8 PEM file; or sign offline.", true);
    }
  });
}

const keyForm = document.getElementById("key-form");
if (keyForm && hasCrypto) {
  const status = document.getElementById("key-status");
  const button = document.getElementById("generate-key");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
      document.getElementById("public_key").value =
        b64(await crypto.subtle.exportKey("raw", pair.publicKey));
      const pem = derToPem(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([pem], { type: "application/x-pem-file" }));
      link.download = "syndic-licensee.key";
      link.textContent = "Save the private key file";
      status.textContent = "";
      const p = document.createElement("p");
      p.append("A new key was made in this browser; its public half is in the field. ");
      p.append(link);
      p.append(" (keep it safe: you sign with it, and nobody else has a copy), then press Register key.");
      status.append(p);
      status.classList.add("ok");
    } catch (e) {
      say(status, "This browser cannot make Ed25519 keys: use syndic agreement keygen.", true);
    }
  });
}
