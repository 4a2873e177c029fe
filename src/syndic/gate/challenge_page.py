"""The proof-of-work challenge as a page a person's browser solves by itself.

A browser that asks for HTML gets this page instead of the JSON body: its script finds the
nonce with the Web Crypto API, posts it to the redeem path, receives the pass cookie and
reloads the page it was refused, so a person sees a short wait, not an error. Web Crypto
exists only in a secure context (HTTPS, or a loopback address); elsewhere the page says so.
"""

from __future__ import annotations

import html
import json

from syndic.gate.pow import REDEEM_PATH

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>One moment: {site}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 36em; margin: 4em auto;
       padding: 0 1em; color: #222; }}
#status {{ color: #555; }}
</style>
</head>
<body>
<h1>Checking your browser</h1>
<p>{site} asks browsers for a small proof of work before serving pages, so that bulk
crawlers pay for what they take. This takes a moment and happens once.</p>
<p id="status">Working…</p>
<noscript><p>This check needs JavaScript. Crawlers: see the <code>WWW-Authenticate</code>
header, or ask for <code>application/json</code>.</p></noscript>
<script>
(async () => {{
  const challenge = {challenge};
  const zeros = "0".repeat({difficulty});
  const status = document.getElementById("status");
  if (!window.crypto || !crypto.subtle) {{
    status.textContent = "This check needs a secure (HTTPS) connection.";
    return;
  }}
  const encoder = new TextEncoder();
  const hex = (buf) => Array.from(new Uint8Array(buf),
                                  (b) => b.toString(16).padStart(2, "0")).join("");
  for (let n = 0; ; n++) {{
    const digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n));
    if (hex(digest).startsWith(zeros)) {{
      const r = await fetch({redeem}, {{
        method: "POST",
        credentials: "same-origin",
        headers: {{"content-type": "application/json"}},
        body: JSON.stringify({{challenge: challenge, nonce: String(n)}}),
      }});
      if (r.ok) {{
        status.textContent = "Done.";
        location.reload();
      }} else {{
        status.textContent = "The check failed; reload the page to try again.";
      }}
      return;
    }}
  }}
}})();
</script>
</body>
</html>
"""


def wants_html(accept: str) -> bool:
    """A browser navigation: asks for HTML and not for JSON (programs keep the JSON body)."""
    accept = accept.lower()
    return "text/html" in accept and "application/json" not in accept


def _script_literal(value: object) -> str:
    # JSON is a JavaScript literal; escaping < keeps "</script>" from ending the script
    return json.dumps(value).replace("<", "\\u003c")


def challenge_page(*, site: str, challenge: str, difficulty: int) -> bytes:
    return _PAGE.format(
        site=html.escape(site),
        challenge=_script_literal(challenge),
        difficulty=int(difficulty),
        redeem=_script_literal(REDEEM_PATH),
    ).encode("utf-8")
