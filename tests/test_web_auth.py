"""Password checks off the event loop (timelapse/web/auth.py), with the real web server over HTTP:
a check in progress never holds up another request, at most a fixed number run or wait whatever
the number of guessing addresses, and the per-address limit holds for requests sent all at once.

The stored hash is made with scrypt's p = 8 (the server checks with the parameters stored in
the file), so that each check takes long enough to be seen in flight; n and r, and so the 16 MB
each needs, are the shipped ones."""

import base64
import http.client
import re
import threading
import time

import pytest

from timelapse.web import auth

from web_harness import PASSWORD, WebServer


def slow_hash(password):
    salt = b"0123456789abcdef"
    digest = __import__("hashlib").scrypt(password.encode(), salt=salt, n=auth.SCRYPT["n"], r=auth.SCRYPT["r"],
                                          p=8, dklen=32)
    encode = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"scrypt${auth.SCRYPT['n']}${auth.SCRYPT['r']}$8${encode(salt)}${encode(digest)}"


@pytest.fixture
def server(tmp_path):
    server = WebServer(tmp_path, daemon=False)
    (server.config.parent / "web-password").write_text(slow_hash(PASSWORD) + "\n")
    yield server
    server.stop()


def basic(server, password, source="127.0.0.1", path="/api/status", headers=None):
    """GET ``path`` with HTTP Basic from the loopback address ``source``; return (status, headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120, source_address=(source, 0))
    auth_header = base64.b64encode(f"me:{password}".encode()).decode()
    connection.request("GET", path, headers=dict(headers or {}, Authorization=f"Basic {auth_header}"))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response


def all_at_once(calls):
    """Run the callables in threads started together; return their results in order."""
    results = [None] * len(calls)

    def run(index):
        results[index] = calls[index]()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


def session_cookie(server):
    status, response, body = server.get("/login", auth=False)
    xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', body).group(1).decode()
    status, response, _ = server.request(
        "POST", "/login", auth=False, body=f"_xsrf={xsrf}&next=/&password=" + PASSWORD.replace(" ", "+"),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Cookie": response.getheader("Set-Cookie").split(";")[0]})
    assert status == 302
    return [c for c in response.headers.get_all("Set-Cookie") if c.startswith("timelapse_session=")][0].split(";")[0]


def test_a_signed_in_viewer_is_answered_while_password_checks_run(server):
    cookie = session_cookie(server)
    done = []
    guessers = [threading.Thread(target=lambda n=n: done.append(basic(server, f"guess {n}", f"127.0.0.{10 + n}")))
                for n in range(4)]
    for thread in guessers:
        thread.start()
    time.sleep(0.3)  # the guesses have arrived; their checks (2 at a time, p = 8) take seconds
    status, _ = basic(server, "not used", headers={"Cookie": cookie})  # the cookie is enough
    answered_while = len(done)
    for thread in guessers:
        thread.join(120)
    assert status == 200
    assert answered_while < 4, "the session request waited for every password check"
    assert sorted(code for code, _ in done) == [401] * 4


def test_checks_at_once_are_capped_whatever_the_number_of_addresses(server):
    many = auth.CHECKS_AT_ONCE + auth.CHECKS_WAITING + 4
    results = all_at_once([lambda n=n: basic(server, f"guess {n}", f"127.0.1.{n + 1}") for n in range(many)])
    codes = [code for code, _ in results]
    busy = [response for code, response in results if code == 503]
    assert set(codes) <= {401, 503} and len(busy) >= 1, codes
    assert codes.count(401) <= auth.CHECKS_AT_ONCE + auth.CHECKS_WAITING
    assert all(int(response.getheader("Retry-After")) > 0 for response in busy)
    assert basic(server, PASSWORD)[0] == 200  # once the rush is over, the right password works


def test_the_per_address_limit_holds_for_guesses_sent_all_at_once(server):
    results = all_at_once([lambda n=n: basic(server, f"guess {n}") for n in range(auth.FAILURES_ALLOWED + 4)])
    codes = sorted(code for code, _ in results)
    assert codes.count(401) == auth.FAILURES_ALLOWED and codes.count(429) == 4, codes
    assert basic(server, PASSWORD)[0] == 429  # even the right password waits
    assert basic(server, PASSWORD, "127.0.0.2")[0] == 200  # another address is not held up
