// Passkeys (WebAuthn): a form with data-passkey="create" or "get" and data-options (the
// server's JSON options) asks the browser for a passkey on submit, puts the answer (JSON) in
// its hidden "credential" field and submits it. The server checks everything.
(function () {
  "use strict";

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBytes(d.id) }); });
  }

  function publicKey(kind, options) {
    var o = Object.assign({}, options, { challenge: toBytes(options.challenge) });
    if (kind === "create") {
      o.user = Object.assign({}, options.user, { id: toBytes(options.user.id) });
      o.excludeCredentials = descriptors(options.excludeCredentials);
    } else {
      o.allowCredentials = descriptors(options.allowCredentials);
    }
    return o;
  }

  function answer(credential) {
    var r = credential.response, response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) { response.transports = r.getTransports(); }
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) { response.userHandle = toB64url(r.userHandle); }
    }
    return JSON.stringify({
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      response: response, clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined
    });
  }

  function show(selector) {
    var el = document.querySelector(selector);
    if (el) { el.hidden = false; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      if (!window.PublicKeyCredential || !navigator.credentials) {
        show("[data-passkey-unsupported]");
        return;
      }
      form.addEventListener("submit", function (event) {
        var field = form.querySelector("input[name=credential]");
        if (field.value) { return; }
        event.preventDefault();
        var kind = form.dataset.passkey;
        var request = { publicKey: publicKey(kind, JSON.parse(form.dataset.options)) };
        var call = kind === "create" ? navigator.credentials.create(request)
                                     : navigator.credentials.get(request);
        call.then(function (credential) {
          field.value = answer(credential);
          form.submit();
        }).catch(function () { show("[data-passkey-failed]"); });
      });
    });
  });
})();
