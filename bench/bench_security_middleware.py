"""The extra cost of the account-security middleware (issue 12) on a plain
page: django-axes' middleware, the sign-in rate limit and the sign-in policy
(absolute session age, a password that must change first).

A signed-in editor asks for a plain page (GET /account/password/: one form,
no list) BENCH_REPEAT times with the full MIDDLEWARE and with MIDDLEWARE
without those three (the baseline: today's stack), alternating the two in
rounds so that both see the same machine. Prints the medians and the ratio
(goal: at most 1.10).

Sizes: BENCH_REPEAT (default 300), BENCH_ROUNDS (default 5).
"""
import os
import statistics
import time

from scratch import scratch_database, setup_django

os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
setup_django()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
NEW = ("axes.middleware.AxesMiddleware", "project.middleware.LoginRateLimitMiddleware",
       "project.middleware.SignInPolicyMiddleware")
PAGE = "/account/password/"


def measure(middleware, user):
    with override_settings(MIDDLEWARE=middleware, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        client = Client()
        client.force_login(user)
        assert client.get(PAGE).status_code == 200
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            client.get(PAGE)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)


def main():
    with scratch_database():
        from content import services as content_services

        user = content_services.user_create(actor=None, username="bench", password="Bench#2026xy", roles_=["editor"])
        full = list(settings.MIDDLEWARE)
        baseline = [m for m in full if m not in NEW]
        with_new, without = [], []
        for _ in range(ROUNDS):
            without.append(measure(baseline, user))
            with_new.append(measure(full, user))
        a, b = statistics.median(with_new), statistics.median(without)
        print(f"plain page {PAGE}: {a:.2f} ms with the security middleware, {b:.2f} ms without "
              f"(baseline, same run); ratio {a / b:.3f} (goal <= 1.10)")


if __name__ == "__main__":
    main()
