"""Issue 12, acceptance 4: the bureau's web app in a real headless Chromium (Debian's, driven
by Selenium through the system chromedriver), against `duban run --demo` in a subprocess: the
real entry point, over HTTP. It logs in as the demo supervisor, sees the overview's charts
render, changes a filter and sees the numbers change, drills down to a unit and to a task's
timeline, then uploads a notice on the intake page, corrects a task and publishes it. The
screenshots are kept in var/screenshots/ for a person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import IN_CI, REPO, duban_run, wait_for

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = REPO / "var" / "screenshots"
NOTICE = REPO / "examples" / "qingchuan-2026-notice.txt"
ECHARTS = REPO / "var" / "assets" / "echarts.min.js"
SUPERVISOR, PASSWORD = "demo-supervisor", "Dcs#Demo-2026"


def _needed() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if shutil.which(p) is None]
    missing += [] if ECHARTS.exists() else [f"{ECHARTS} (scripts/fetch_assets.py)"]
    if missing:
        message = "needs " + ", ".join(missing) + " (scripts/test.sh installs them)"
        pytest.fail(message) if IN_CI else pytest.skip(message)


@pytest.fixture
def browser() -> Iterator:
    _needed()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1366,768")
    options.add_argument("--lang=zh-CN")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str, full: bool = False) -> Path:
    """A screenshot of the 1366×768 window, or of the whole page (``full``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if full:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1366, max(768, height))
    driver.save_screenshot(str(path))
    if full:
        driver.set_window_size(1366, 768)
    return path


def until(driver, check, what: str, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: check(d), message=what)


def text_of(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text


def charts_rendered(driver) -> bool:
    from selenium.webdriver.common.by import By

    boxes = driver.find_elements(By.CSS_SELECTOR, "[data-chart]")
    return len(boxes) == 4 and all(
        b.get_attribute("data-rendered") == "true" and b.find_elements(By.TAG_NAME, "canvas")
        for b in boxes
    )


def test_dashboard_and_intake_in_chromium(browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with duban_run(tmp_path / "data", "--demo") as http:
        wait_for(lambda: (tmp_path / "data" / "demo-loaded").exists(), "the demo county", 90)
        base = str(http.base_url).rstrip("/")

        # not logged in: the login page, which comes back to the dashboard
        browser.get(f"{base}/reporting/dashboard")
        until(browser, lambda d: "/tasks/login" in d.current_url, "the login page")
        browser.find_element(By.ID, "login").send_keys(SUPERVISOR)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        until(browser, lambda d: d.current_url.endswith("/reporting/dashboard"), "the dashboard")

        # the overview: figures and four charts drawn
        assert text_of(browser, "kpi-tasks") == "12"
        assert text_of(browser, "kpi-completed") == "2"
        until(browser, charts_rendered, "four charts drawn")
        assert "逾期任务" in browser.page_source and "督查工作台" in browser.page_source
        overdue_rows = browser.find_elements(By.CSS_SELECTOR, "#overdue tbody tr")
        assert overdue_rows, "the demo county has tasks behind"
        shot(browser, "01-dashboard")
        shot(browser, "01-dashboard-full", full=True)

        # a filter changes the numbers: the leader 王明's tasks only
        Select(browser.find_element(By.ID, "f-leader")).select_by_visible_text("王明")
        until(browser, lambda d: "leader=" in d.current_url, "the leader filter applied")
        until(browser, charts_rendered, "charts drawn again")
        assert text_of(browser, "kpi-tasks") == "4"
        shot(browser, "02-filter-leader")

        # drill down: a unit of the overdue list, then one of its tasks and its timeline
        browser.back()
        until(browser, lambda d: text_of(d, "kpi-tasks") == "12", "all leaders again")
        unit_link = browser.find_element(By.CSS_SELECTOR, "#overdue tbody tr td:nth-child(3) a")
        unit = unit_link.text
        unit_link.click()
        until(browser, lambda d: text_of(d, "unit-name") == unit, "the unit page")
        shot(browser, "03-unit")
        browser.find_element(By.CSS_SELECTOR, "#unit-tasks tbody tr td:nth-child(2) a").click()
        until(browser, lambda d: d.find_elements(By.ID, "timeline"), "the task page")
        entries = browser.find_elements(By.CSS_SELECTOR, "#timeline li")
        assert len(entries) >= 2, "defined, assigned, …"
        shot(browser, "04-task-timeline")

        # intake: upload a notice, read the draft and its warnings, correct a task, publish
        browser.get(f"{base}/reporting/dashboard/intake")
        until(browser, lambda d: "青禾政" in text_of(d, "documents"), "the document list")
        browser.find_element(By.ID, "upload-file").send_keys(str(NOTICE))
        browser.find_element(By.ID, "upload-button").click()
        until(browser, lambda d: "/reporting/dashboard/intake/" in d.current_url, "review page")
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#tasks article"), "draft")
        document_id = browser.current_url.rsplit("/", 1)[1]
        assert "青川县" in text_of(browser, "original"), "the original text beside the draft"
        shot(browser, "05-intake-review")
        shot(browser, "05-intake-review-full", full=True)

        first = browser.find_element(By.CSS_SELECTOR, "#tasks article")
        units = first.find_element(By.NAME, "responsible_units")
        units.clear()
        units.send_keys("县财政局、县统计局")
        first.find_element(By.CSS_SELECTOR, "button.save").click()
        until(browser, lambda d: "已保存" in text_of(d, "intake-ok"), "the correction saved")
        draft = http.get(f"/intake/documents/{document_id}").json()
        assert draft["tasks"][0]["responsible_units"] == ["县财政局", "县统计局"]

        browser.find_element(By.ID, "publish").click()
        until(browser, lambda d: d.switch_to.alert, "the confirmation").accept()
        until(browser, lambda d: "已发布" in text_of(d, "intake-ok"), "published")
        shot(browser, "06-intake-published")
        assert http.get(f"/intake/documents/{document_id}").json()["status"] == "published"
        wait_for(
            lambda: len(http.get("/reporting/overview").json()["documents"]) == 2,
            "the published notice in reporting",
        )
