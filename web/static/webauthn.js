// Gatehouse: security keys and passkeys on the second-factor pages. Hand-written, no
// dependencies. A button with data-webauthn="login" or "register" asks data-begin for options,
// runs navigator.credentials.get or .create, and posts the result to data-finish, which
// answers {"redirect": url} or {"error": sentence}. Both requests carry data-csrf in the
// X-Gatehouse-CSRF header. Errors go to the page's role="alert" region.
(() => {
  "use strict";

  // problem is an error whose message is a plain sentence for the page; other errors are
  // unexpected, and the page says something generic.
  const problem = (message) => Object.assign(new Error(message), { plain: true });

  // bytes turns a base64url string into an ArrayBuffer.
  const bytes = (s) => {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  };

  // text turns an ArrayBuffer into base64url without padding.
  const text = (buf) => {
    let bin = "";
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  // decodeOptions converts the binary fields of go-webauthn's JSON options in place.
  const decodeOptions = (publicKey) => {
    publicKey.challenge = bytes(publicKey.challenge);
    if (publicKey.user) publicKey.user.id = bytes(publicKey.user.id);
    for (const list of [publicKey.allowCredentials, publicKey.excludeCredentials]) {
      for (const cred of list || []) cred.id = bytes(cred.id);
    }
  };

  // encodeCredential turns a PublicKeyCredential into the JSON go-webauthn parses.
  const encodeCredential = (cred) => {
    const r = cred.response;
    const response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      if (typeof r.getTransports === "function") response.transports = r.getTransports();
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      if (r.userHandle && r.userHandle.byteLength > 0) response.userHandle = text(r.userHandle);
    }
    return {
      id: cred.id, rawId: text(cred.rawId), type: cred.type, response,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  };

  // post sends body (or nothing) to url and returns the JSON answer, or throws its error.
  const post = async (url, csrf, body) => {
    const headers = { "Accept": "application/json", "X-Gatehouse-CSRF": csrf };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(url, { method: "POST", credentials: "same-origin", headers, body });
    } catch {
      throw problem("The server could not be reached. Check your connection and try again.");
    }
    const json = await res.json().catch(() => ({}));
    if (res.ok) return json;
    const error = typeof json.error === "string" && json.error;
    throw problem(error || `That didn't work (error ${res.status}). Please try again.`);
  };

  // explain returns a plain sentence for an error of the WebAuthn ceremony.
  const explain = (err, register) => {
    switch (err && err.name) {
      case "NotAllowedError":
      case "AbortError":
        return "The request was cancelled or timed out. Try again when your key or passkey is ready.";
      case "InvalidStateError":
        return register
          ? "This security key or passkey is already registered."
          : "This security key or passkey isn't registered for your account.";
      case "NotSupportedError":
        return "This browser or key doesn't support the kind of credential this site asks for.";
      case "ConstraintError":
        return "This key can't check your PIN or fingerprint, which this site asks for. Try another key or passkey.";
      case "SecurityError":
        return "This site's address doesn't match its security key settings. Please tell the site's administrator.";
    }
    return "Your security key or passkey didn't respond as expected. Please try again.";
  };

  // showError puts message in the page's alert region, creating one after the heading's
  // introduction when the page has none.
  const showError = (message) => {
    let alert = document.querySelector('[role="alert"]');
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "alert";
      alert.setAttribute("role", "alert");
      const main = document.querySelector("main") || document.body;
      const after = main.querySelector(".notice") || main.querySelector("h1 + .lead") || main.querySelector("h1");
      if (after) after.after(alert);
      else main.prepend(alert);
    }
    alert.textContent = message;
  };

  // run performs the ceremony of one button.
  const run = async (button, buttons) => {
    const register = button.dataset.webauthn === "register";
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(window.isSecureContext === false
        ? "Security keys and passkeys only work on a secure (https) connection."
        : "This browser can't use security keys or passkeys. Try another way, or a current version of Chrome, Edge, Firefox or Safari.");
      return;
    }
    buttons.forEach((b) => { b.disabled = true; });
    button.setAttribute("aria-busy", "true");
    try {
      const options = await post(button.dataset.begin, button.dataset.csrf);
      if (!options || !options.publicKey) throw problem("The server sent no security key request. Please try again.");
      decodeOptions(options.publicKey);
      let cred;
      try {
        cred = register ? await navigator.credentials.create(options) : await navigator.credentials.get(options);
      } catch (err) {
        throw problem(explain(err, register));
      }
      if (!cred) throw problem(explain(null, register));
      const done = await post(button.dataset.finish, button.dataset.csrf, JSON.stringify(encodeCredential(cred)));
      const next = typeof done.redirect === "string" && done.redirect ? new URL(done.redirect, location.href) : null;
      if (!next || (next.protocol !== "https:" && next.protocol !== "http:")) {
        throw problem("The server's answer had no page to go to. Please reload the page and try again.");
      }
      location.assign(next.href);
    } catch (err) {
      if (!err.plain) console.error(err);
      showError(err.plain ? err.message : "Something went wrong. Please reload the page and try again.");
      buttons.forEach((b) => { b.disabled = false; });
      button.removeAttribute("aria-busy");
      button.focus();
    }
  };

  const buttons = Array.from(document.querySelectorAll('button[data-webauthn="login"], button[data-webauthn="register"]'));
  for (const button of buttons) {
    button.addEventListener("click", () => run(button, buttons));
  }
})();
