// Browser test: opens the gallery, uploads bus.jpg through the form (with the
// progressive upload script active), lands on the detail page, checks the
// person count and that the annotated image loaded, saves a screenshot.
//
// usage: node upload.mjs BASE_URL IMAGE SCREENSHOT_PATH
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const [base, image, shot] = process.argv.slice(2);
if (!base || !image || !shot) {
  console.error("usage: node upload.mjs BASE_URL IMAGE SCREENSHOT_PATH");
  process.exit(2);
}
const executablePath = process.env.YOLOO_CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "yoloo-chromium-"));
const fail = (msg) => { throw new Error(msg); };

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});
try {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 400 && r.status() !== 415) errors.push(`${r.status()} ${r.url()}`); });

  const resp = await page.goto(base + "/");
  if (!resp || resp.status() !== 200) fail(`GET / answered ${resp && resp.status()}`);
  await page.locator("input[name=input_image]").setInputFiles(image);
  await Promise.all([
    page.waitForURL(/\/images\/[0-9A-Z]{26}\?flash=processed$/, { timeout: 60000 }),
    page.locator("#upload-form button[type=submit]").click(),
  ]);
  const flash = (await page.locator(".flash").textContent()) || "";
  if (!flash.includes("Image processed")) fail(`flash was ${JSON.stringify(flash)}`);
  const person = await page.locator('#counts li[data-label="person"]').getAttribute("data-count");
  if (person !== "3") fail(`person count ${person}, expected 3`);
  if (!((await page.locator("#counts").textContent()) || "").includes("person ×3")) fail("no 'person ×3' chip");
  const img = page.locator("img#annotated");
  await img.waitFor();
  const natural = await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((ok, ko) => { el.onload = ok; el.onerror = ko; });
    return el.naturalWidth;
  });
  if (!(natural > 0)) fail(`annotated image naturalWidth ${natural}`);
  if ((await page.locator("table.detections tbody tr").count()) < 3) fail("detections table has < 3 rows");
  // The toggle to the original works without script.
  await page.locator('a[href="#original"]').click();
  if (!(await page.locator("img#original").isVisible())) fail("original not shown after toggle");
  await page.locator('a[href="#annotated"]').click();
  if (errors.length) fail("page errors (CSP?): " + errors.join(" | "));
  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  // Back to the gallery: the new card is there with its counts.
  await page.goto(base + "/");
  const card = (await page.locator(".card .counts").first().textContent()) || "";
  if (!card.includes("person ×3")) fail(`gallery card says ${JSON.stringify(card)}`);
  // A bad file through the same (scripted) form: the 4xx page is shown in place.
  await page.locator("input[name=input_image]").setInputFiles({
    name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image"),
  });
  await page.locator("#upload-form button[type=submit]").click();
  const err = page.locator("#error-message");
  await err.waitFor({ timeout: 30000 });
  if ((await err.getAttribute("data-code")) !== "unsupported_media_type") fail("no unsupported_media_type error page");
  if (!((await page.title()) || "").startsWith("415")) fail(`error page title ${await page.title()}`);
  console.log(`ok: person ×3, annotated naturalWidth ${natural}, screenshot ${shot}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
