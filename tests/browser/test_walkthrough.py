"""The acceptance walk of the portal in Chromium, as its people use it.

The compliance officer follows a denied run to its failing controls, records the missing
evidence, asks the gate again, approves once the engineer resubmits, then generates,
downloads and verifies a signed report. The auditor sees no action anywhere and each
action URL refuses them. The ML engineer registers a run, submits it and answers its
denial. Every page walked is checked with axe-core and must fit the viewport.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Portal, check_page, logged_in

pytestmark = pytest.mark.browser


def _open_run(page: Any, portal: Portal, name: str) -> None:
    page.click("nav >> text=Runs")
    page.wait_for_selector("h1:has-text('Fine-tune runs')")
    check_page(page)
    page.click(f"a:text-is('{name}')")
    page.wait_for_selector(f"h1:has-text('Run {name}')")
    check_page(page)


def _attest(page: Any, version_id: int, fact: str, value: str) -> None:
    panel = page.locator(f"#attestations-dataset_version-{version_id}")
    panel.locator("summary:has-text('Attest a fact')").click()
    panel.locator("select[name=fact]").select_option(fact)
    panel.locator("input[name=value]").fill(value)
    panel.locator("input[name=evidence_ref]").fill(f"{fact} record in the DPO's register")
    panel.locator("textarea[name=justification]").fill("reviewed with the data protection officer")
    panel.locator("button:has-text('Attest')").click()
    page.wait_for_selector(f".flash.ok:has-text('{fact} attested')")


def test_officer_takes_a_denied_run_to_approval_and_a_verified_report(
    portal: Portal, browser: Any, tmp_path: Path
) -> None:
    officer = logged_in(browser, portal, "olivia")
    check_page(officer)
    _open_run(officer, portal, "triage-gemini-sft")
    standing = officer.locator("section.next")
    assert "denied this run" in standing.inner_text()
    failing = standing.locator("ul.failing > li > a").all_inner_texts()
    assert {"GDPR-9.2", "GDPR-35"} <= set(failing)

    # The failing control, as the decision shows it: outcome, reason and remediation.
    standing.locator("a:text-is('GDPR-9.2')").click()
    officer.wait_for_selector("h1:has-text('deny')")
    row = officer.locator("tr[id='control-GDPR-9.2']")
    assert "fail" in row.inner_text()
    check_page(officer)
    officer.go_back()

    # The missing evidence, attested on the dataset version the run trains on.
    version_id = portal.seed.ids["triage"]
    officer.click("a:has-text('facts of eu-patient-triage')")
    officer.wait_for_selector(f"#attestations-dataset_version-{version_id}")
    check_page(officer)
    _attest(officer, version_id, "art9_condition", "h")
    _attest(officer, version_id, "dpia", '{"ref": "DPIA-2026-019", "outcome": "approved"}')
    check_page(officer)

    # The gate, asked again: the GDPR controls now pass.
    _open_run(officer, portal, "triage-gemini-sft")
    officer.click("button:has-text('Ask the gate again')")
    officer.wait_for_selector("h1:has-text('Decision')")
    for control in ("GDPR-9.2", "GDPR-35"):
        assert "pass" in officer.locator(f"tr[id='control-{control}']").inner_text()
    check_page(officer)

    # The engineer answers the denial by submitting again; the officer approves.
    engineer = logged_in(browser, portal, "eli")
    _open_run(engineer, portal, "triage-gemini-sft")
    engineer.click("button:has-text('Submit again to the gate')")
    engineer.wait_for_selector(".flash.ok:has-text('approval request')")
    request_id = re.search(r"approval request (\d+)", engineer.inner_text(".flash.ok"))
    assert request_id is not None
    engineer.context.close()

    officer.click("a.brand")
    officer.wait_for_selector("h1:has-text('Dashboard')")
    officer.click(f"#awaiting ~ ul a:text-is('approval request {request_id[1]}')")
    officer.wait_for_selector("h1:has-text('Approval request')")
    check_page(officer)
    officer.check("input[name=decision][value=approve]")
    officer.fill("textarea[name=comment]", "Art. 9(2)(h) and the DPIA are on file.")
    officer.click("button:has-text('Vote')")
    officer.wait_for_selector(".flash.ok:has-text('request is approved')")
    _open_run(officer, portal, "triage-gemini-sft")
    assert "approved" in officer.locator("h1").inner_text()

    # A signed report from the dataset's page: generated, downloaded, verified by upload.
    officer.click("a:has-text('eu-patient-triage v')")
    officer.click("button:has-text('Generate the signed compliance sheet')")
    officer.wait_for_selector(".flash.ok:has-text('generated and signed')", timeout=120_000)
    check_page(officer)
    report_id = re.search(r"report (\d+) generated", officer.inner_text(".flash.ok"))
    assert report_id is not None
    with officer.expect_download() as download_info:
        officer.click(f"tr:has(td:text-is('{report_id[1]}')) a:has-text('Download PDF')")
    pdf = tmp_path / "sheet.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    officer.set_input_files("input[name=file]", str(pdf))
    officer.click("button:has-text('Verify')")
    officer.wait_for_selector("h1")
    verdict = officer.locator("main").inner_text()
    assert "intact" in verdict.lower() and "tampered" not in verdict.lower()
    check_page(officer)


def test_auditor_sees_no_action_and_each_action_url_refuses_them(
    portal: Portal, browser: Any
) -> None:
    auditor = logged_in(browser, portal, "audrey")
    ids = portal.seed.ids
    request_id = ids["notes-claude-sft_request"]
    run_id = ids["triage-gemini-sft"]

    def shows_no_action(where: str) -> None:
        check_page(auditor)
        actions = auditor.locator("main form").evaluate_all("fs => fs.map(f => f.action)")
        assert {a.removeprefix(portal.base) for a in actions} <= {"/reports/verify"}, where

    for path in (
        "/",
        f"/runs/{run_id}",
        f"/approvals/{request_id}",
        f"/models/{ids['credit_model']}",
        "/reports",
    ):
        auditor.goto(f"{portal.base}{path}")
        shows_no_action(path)
    auditor.goto(f"{portal.base}/runs/{run_id}")
    auditor.click("section.next a:has-text('decision')")
    shows_no_action("the run's decision")
    auditor.goto(f"{portal.base}/runs/{run_id}")
    auditor.click("a:has-text('eu-patient-triage v')")
    shows_no_action("the run's dataset")
    token = auditor.locator("input[name=csrf_token]").first.get_attribute("value")
    version_id = ids["triage"]
    refused = {}
    for path in (
        "/runs/new",
        f"/runs/{run_id}/submit",
        f"/runs/{run_id}/gate",
        "/decisions/1/answers",
        "/attestations",
        f"/approvals/{request_id}/vote",
        "/reports",
        f"/datasets/versions/{version_id}/classification",
        f"/datasets/versions/{version_id}/erasure-requests",
        f"/deployments/{ids['credit_deployment']}/incidents",
    ):
        answer = auditor.request.post(
            f"{portal.base}{path}", form={"csrf_token": token or ""}, max_redirects=0
        )
        refused[path] = answer.status
    assert set(refused.values()) == {403}, refused
    assert auditor.request.get(f"{portal.base}/runs/new", max_redirects=0).status == 403


def test_engineer_registers_a_run_submits_it_and_answers_the_denial(
    portal: Portal, browser: Any
) -> None:
    engineer = logged_in(browser, portal, "eli")
    engineer.click("nav >> text=Runs")
    engineer.click("a:has-text('Register a run')")
    engineer.wait_for_selector("h1:has-text('Register a fine-tune run')")
    check_page(engineer)
    engineer.fill("input[name=name]", "notes-gpt-sft-2")
    engineer.fill("input[name=base_model]", "gpt-4.1-mini-2025-04-14")
    engineer.select_option("select[name=platform]", "openai")
    engineer.select_option("select[name=method]", "sft")
    engineer.select_option("select[name=hosting]", "external")
    engineer.fill("input[name=vendor]", "openai")
    engineer.fill("input[name=training_region]", "US")
    engineer.select_option("select[name=dataset_versions]", value=str(portal.seed.ids["notes_raw"]))
    engineer.click("button:has-text('Register the draft run')")
    engineer.wait_for_selector("h1:has-text('Run notes-gpt-sft-2')")
    assert "has not been to the gate yet" in engineer.inner_text("section.next")
    check_page(engineer)

    engineer.click("button:has-text('Submit to the training_launch gate')")
    engineer.wait_for_selector(".flash.error:has-text('denied the run')")
    assert "draft" in engineer.locator("h1").inner_text()
    assert "HIPAA-164.514" in engineer.locator("section.next ul.failing").inner_text()
    check_page(engineer)

    engineer.click("section.next a:has-text('decision')")
    engineer.wait_for_selector("h1:has-text('deny')")
    answer = (
        "The raw notes were attached by mistake; I will register a run on the de-identified v2."
    )
    engineer.fill("textarea[name=text]", answer)
    engineer.click("button:has-text('Send the answer')")
    engineer.wait_for_selector(".flash.ok:has-text('answer recorded')")
    assert answer in engineer.locator("#answers ~ p.answer, section p.answer").first.inner_text()
    check_page(engineer)
    engineer.click("a:has-text('run notes-gpt-sft-2')")
    assert answer in engineer.inner_text("section.next")
