"""RFC 6238 codes (SHA-1, 6 digits, 30 s) computed from a base32 secret, as an
authenticator app computes them: for the browser and production tests, which
sign in through the real pages and the API as the demo users whose
authenticators ``seed_demo`` enrolled (``seed_demo --json`` gives each one's
``totp_secret``). Pure Python, no Django.

The server accepts each time step's code once per user, so ``fresh_code``
remembers the steps this process used and waits for the next step when the
current one was used already (at most 30 s)."""
import base64
import hashlib
import hmac
import struct
import threading
import time

STEP = 30
DIGITS = 6

_used = {}
_lock = threading.Lock()


def code_at(secret, step_no):
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    digest = hmac.new(key, struct.pack(">Q", step_no), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10 ** DIGITS:0{DIGITS}d}"


def fresh_code(secret):
    """The code of the current time step, or of the next one (waiting for it)
    when this process used the current one already."""
    with _lock:
        now_step = int(time.time()) // STEP
        step_no = max(now_step, _used.get(secret, -1) + 1)
        if step_no > now_step:
            time.sleep(max(0.0, step_no * STEP - time.time()) + 0.2)
        _used[secret] = step_no
        return code_at(secret, step_no)
