#!/usr/bin/env python3
"""The owner pages in a real browser (issue 11), run by scripts/test.sh against its stack.

Headless Chromium and chromedriver from Debian's packages, driven by selenium; axe-core through
axe-selenium-python. Everything stays on loopback: the browser resolves no host name but 127.0.0.1 and
makes no background requests.

  1. An app whose receiver answers 500 with a hostile body, six failing days seeded through the
     database and a month of history, one alert: the broken rule disables it and the worker sends the
     disable e-mail to the SMTP sink.
  2. The link is taken from that real .eml, opened: status "disabled" and the reason; the dashboard
     shows the chart's bars and, opened, the failing entry's response body as text (no script runs).
  3. Screenshots at 360 and 1440 px of both pages (.data/screenshots/), axe on both pages: no serious
     or critical violation.
  4. Re-enable is pressed: the page says "Active".

Usage: browser_test.py --base-url URL --receiver-url URL --mailbox DIR --psql PSQL --database CONNINFO
                       --screenshots DIR   (ALERT_RELAY_ADMIN_TOKEN in the environment)
Exit status 0 when every check passed; the failures are printed.
"""

import argparse
import email
import glob
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from email import policy

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers on the network

from axe_selenium_python import Axe  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HOSTILE = "<script>alert(1)</script>"
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + (token or os.environ["ALERT_RELAY_ADMIN_TOKEN"]),
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def setup(args):
    """An organization, its owner, a project and an app that fails; returns (org, app, owner e-mail)."""
    suffix = secrets.token_hex(4)
    org = "browser-" + suffix
    owner = "olive-%s@example.com" % suffix
    assert api(args.base_url, "POST", "/api/0/organizations", {"slug": org, "name": "Acme Corp"})[0] == 201
    assert api(args.base_url, "POST", "/api/0/organizations/%s/members" % org,
               {"email": owner, "name": "Olive Owner", "role": "owner"})[0] == 201
    assert api(args.base_url, "POST", "/api/0/organizations/%s/projects" % org, {"slug": "web", "name": "Web"})[0] == 201
    path = "/browser/" + suffix
    status, app = api(args.base_url, "POST", "/api/0/organizations/%s/sentry-apps" % org,
                      {"name": "Pager Bridge", "slug": "pager-bridge-" + suffix,
                       "webhook_url": args.receiver_url + path, "timeout_ms": 2000})
    assert status == 201, app
    rules = json.dumps({"path": path, "responses": [
        {"status": 500, "headers": {"Content-Type": "text/html"}, "body": HOSTILE, "hang_seconds": 0}]}).encode()
    urllib.request.urlopen(urllib.request.Request(
        args.receiver_url + "/_control/rules", data=rules, headers={"Content-Type": "application/json"}), timeout=10)
    # Through the database, as the broken-rule tests do: a month of history (successes with a few errors and
    # timeouts) and the last six days failing.
    subprocess.run([args.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", args.database, "-c", """
        INSERT INTO health_counters (app_id, organization_id, day, success, error, timeout, fatal)
        SELECT {app}, {org}, (now() AT TIME ZONE 'UTC')::date - g, 40 + (g * 37) % 25, g % 4, (g * 5) % 3, 0
        FROM generate_series(7, 29) AS g;
        INSERT INTO health_counters (app_id, organization_id, day, success, error, timeout, fatal)
        SELECT {app}, {org}, (now() AT TIME ZONE 'UTC')::date - g, 0, 6 + g % 5, g % 2, 0
        FROM generate_series(1, 6) AS g;
        """.format(app=int(app["id"]), org="(SELECT id FROM organizations WHERE slug = '%s')" % org)], check=True)
    event = {"event_id": secrets.token_hex(16), "project": "web", "group_id": 7, "title": "TypeError: x is undefined"}
    status, delivery = api(args.base_url, "POST", "/api/0/organizations/%s/alerts" % org,
                           {"sentry_app": app["slug"], "rule": "Error rate above 5%", "event": event})
    check(status == 201 and delivery.get("error_class") == "app_disabled",
          "the alert's 500 disabled the app (%s %s)" % (status, delivery))
    return org, app, owner


def disable_email(mailbox, owner, timeout=60):
    """The disable e-mail to `owner` from the SMTP sink's mailbox, parsed."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for sidecar in glob.glob(os.path.join(mailbox, "*.json")):
            with open(sidecar) as f:
                meta = json.load(f)
            if owner not in [r.strip("<>") for r in meta.get("rcpt_tos", [])]:
                continue
            eml = sidecar[:-5] + ".eml"
            if not os.path.exists(eml):
                continue
            with open(eml, "rb") as f:
                message = email.message_from_bytes(f.read(), policy=policy.default)
            if message["Subject"].startswith("Action required"):
                return eml, message
        time.sleep(0.3)
    return None, None


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-default-apps", "--disable-domain-reliability", "--disable-extensions",
        "--disable-client-side-phishing-detection", "--metrics-recording-only", "--no-pings",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--hide-scrollbars",
        "--force-device-scale-factor=1", "--user-data-dir=" + profile,
    ]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def screenshot(driver, path, width):
    """The whole page at `width` CSS pixels."""
    driver.set_window_size(width, 800)
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    driver.set_window_size(width, max(height, 400))
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.2)
    driver.save_screenshot(path)
    print("     screenshot %s (%d×%d)" % (path, width, height), flush=True)
    wide = driver.execute_script("return document.documentElement.scrollWidth")
    check(wide <= width, "%s: nothing wider than the window at %d px (%d)" % (os.path.basename(path), width, wide))


def axe_check(driver, name, directory):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    with open(os.path.join(directory, "axe-%s.json" % name), "w") as f:
        json.dump(results, f, indent=1)
    serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    others = [v for v in results["violations"] if v not in serious]
    detail = "; ".join("%s (%s): %s" % (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in serious)
    check(not serious, "axe on the %s page: no serious or critical violation%s" % (name, (": " + detail) if detail else ""))
    print("     axe %s: %d rules passed, %d violations (%s), %d incomplete" % (
        name, len(results["passes"]), len(results["violations"]),
        ", ".join("%s/%s" % (v["id"], v["impact"]) for v in results["violations"]) or "none",
        len(results["incomplete"])), flush=True)
    return results


def no_alert(driver):
    try:
        driver.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def follow(driver, element):
    """Clicks a link or a form's button and waits until the next page has replaced this one (a click returns
    before the navigation ends; an element found too early belongs to the old page)."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))


def main():
    parser = argparse.ArgumentParser()
    for name in ["--base-url", "--receiver-url", "--mailbox", "--psql", "--database", "--screenshots"]:
        parser.add_argument(name, required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    org, app, owner = setup(args)
    eml, message = disable_email(args.mailbox, owner)
    if not check(message is not None, "the disable e-mail reached the SMTP sink"):
        return 1
    print("     e-mail %s: %s" % (eml, message["Subject"]), flush=True)
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r"http://\S+\?referrer=disabled-sentry-app&token=\S+", text)
    check(len(links) == 2, "the e-mail has two signed links")
    settings_link = [link for link in links if "/dashboard/" not in link][0]
    html = message.get_body(("html",)).get_content()
    check(settings_link.replace("&", "&amp;") in html, "the HTML part links the same address")

    profile = tempfile.mkdtemp(prefix="alert-relay-chromium-")
    driver = None
    try:
        driver = browser(profile)
        driver.set_window_size(1440, 900)
        driver.get(settings_link)
        check("token=" not in driver.current_url, "the address bar holds no token after the redirect (%s)" % driver.current_url)
        session = driver.get_cookie("ar_session")
        check(session is not None and session.get("httpOnly") and session.get("sameSite") == "Lax",
              "an HttpOnly, SameSite=Lax session cookie")
        badge = driver.find_element(By.CSS_SELECTOR, ".badge")
        check(badge.text == "Disabled", "the status says disabled (%r)" % badge.text)
        body = driver.find_element(By.TAG_NAME, "main").text
        check("Every day of the last 7 UTC days had errors and not one successful delivery." in body, "the reason is shown")
        screenshot(driver, os.path.join(args.screenshots, "owner-page-1440.png"), 1440)
        axe_check(driver, "settings", args.screenshots)
        screenshot(driver, os.path.join(args.screenshots, "owner-page-360.png"), 360)

        driver.set_window_size(1440, 900)
        follow(driver, driver.find_element(By.LINK_TEXT, "Dashboard"))
        bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")
        check(len(bars) >= 40, "the chart draws its bars (%d)" % len(bars))
        errors = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.e")
        check(len(errors) >= 7, "the failing days' error bars (%d)" % len(errors))
        first = driver.find_element(By.CSS_SELECTOR, "table.log tbody tr td a")
        follow(driver, first)
        received = driver.find_element(By.CSS_SELECTOR, "pre[aria-label='Response body']")
        check(received.text == HOSTILE, "the failing entry's response body, as text (%r)" % received.text)
        check(no_alert(driver), "no script ran")
        scripts = driver.execute_script("return document.scripts.length")
        check(scripts == 0, "the page holds no script element (%d)" % scripts)
        screenshot(driver, os.path.join(args.screenshots, "dashboard-1440.png"), 1440)
        overflowing = driver.execute_script(
            "return [...document.querySelectorAll('.io dd, .io-meta dd')].filter("
            "d => d.scrollWidth > d.clientWidth + 1).length")
        check(overflowing == 0, "at 1440 px every sent and received value stays in its column (%d overflow)" % overflowing)
        axe_check(driver, "dashboard", args.screenshots)
        screenshot(driver, os.path.join(args.screenshots, "dashboard-360.png"), 360)

        driver.set_window_size(1440, 900)
        follow(driver, driver.find_element(By.LINK_TEXT, "Settings"))
        follow(driver, driver.find_element(By.XPATH, "//button[normalize-space()='Re-enable']"))
        badge = driver.find_element(By.CSS_SELECTOR, ".badge")
        check(badge.text == "Active", "after Re-enable the status says active (%r)" % badge.text)
        check("Re-enabled." in driver.find_element(By.CSS_SELECTOR, ".notice").text, "a notice confirms it")
        status, state = api(args.base_url, "GET", "/api/0/sentry-apps/%s" % app["slug"])
        check(status == 200 and state["is_disabled"] is False, "the API agrees: enabled")
        status, audit = api(args.base_url, "GET", "/api/0/organizations/%s/audit-logs?event=internal-integration.enable" % org)
        check([entry["actor"] for entry in audit] == ["member:" + owner], "audited with the owner as actor")
        screenshot(driver, os.path.join(args.screenshots, "owner-page-enabled-1440.png"), 1440)
    finally:
        if driver is not None:
            driver.quit()
        subprocess.run(["rm", "-rf", profile], check=False)

    if failures:
        print("\n%d browser check(s) failed:\n- %s" % (len(failures), "\n- ".join(failures)), flush=True)
        return 1
    print("\nall browser checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
