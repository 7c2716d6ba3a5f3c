// Browser test, with sign-in on: signs in through the page, uploads two
// photos through the form (the progressive upload script active), checks
// the detail page, filters the gallery by clicking a class chip, deletes
// one photo through its confirmation page and sees it gone. Screenshots of
// each step go to SHOT_DIR.
//
// usage: node upload.mjs BASE_URL USER PASSWORD IMAGE_WITH_PERSON IMAGE_WITH_TIE SHOT_DIR
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, user, password, bus, hopper, shots] = process.argv.slice(2);
if (!base || !user || !password || !bus || !hopper || !shots) {
  console.error("usage: node upload.mjs BASE_URL USER PASSWORD IMAGE_WITH_PERSON IMAGE_WITH_TIE SHOT_DIR");
  process.exit(2);
}
const executablePath = process.env.YOLOO_CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "yoloo-chromium-"));
const fail = (msg) => { throw new Error(msg); };
mkdirSync(shots, { recursive: true });

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
  const shot = async (name) => page.screenshot({ path: join(shots, name), fullPage: true });

  // Anonymous: no upload form, a sign-in link.
  const resp = await page.goto(base + "/");
  if (!resp || resp.status() !== 200) fail(`GET / answered ${resp && resp.status()}`);
  if (await page.locator("#upload-form").count()) fail("upload form shown to an anonymous visitor");
  await page.locator("#sign-in-link").click();
  await page.waitForURL(/\/sign-in/);
  await page.locator("input[name=user]").fill(user);
  await page.locator("input[name=password]").fill(password);
  await shot("viewer-sign-in.png");
  await Promise.all([
    page.waitForURL(base + "/"),
    page.locator("#sign-in-form button[type=submit]").click(),
  ]);
  const who = (await page.locator("#signed-in-as").textContent()) || "";
  if (!who.includes(user)) fail(`header says ${JSON.stringify(who)}`);

  // Upload the first photo: its detail page.
  const upload = async (image) => {
    await page.locator("input[name=input_image]").setInputFiles(image);
    await Promise.all([
      page.waitForURL(/\/images\/[0-9A-Z]{26}\?flash=processed$/, { timeout: 60000 }),
      page.locator("#upload-form button[type=submit]").click(),
    ]);
    const flash = (await page.locator(".flash").textContent()) || "";
    if (!flash.includes("Image processed")) fail(`flash was ${JSON.stringify(flash)}`);
  };
  await upload(bus);
  const person = await page.locator('#counts li[data-label="person"]').getAttribute("data-count");
  if (person !== "3") fail(`person count ${person}, expected 3`);
  if (!((await page.locator("#counts").textContent()) || "").includes("person ×3")) fail("no 'person ×3' chip");
  if ((await page.locator("#uploaded-by").textContent()) !== user) fail("uploader not shown");
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
  await shot("viewer-detail.png");

  // The second photo, then the gallery filtered by clicking its class.
  await page.goto(base + "/");
  await upload(hopper);
  await page.goto(base + "/");
  if ((await page.locator(".card").count()) !== 2) fail("gallery does not show both photos");
  await Promise.all([
    page.waitForURL(/\/\?class=tie$/),
    page.locator('#classes li[data-label="tie"] a').click(),
  ]);
  const cards = page.locator(".card");
  if ((await cards.count()) !== 1) fail(`filter by tie shows ${await cards.count()} cards`);
  const counts = (await cards.first().locator(".counts").textContent()) || "";
  if (!counts.includes("tie")) fail(`filtered card says ${JSON.stringify(counts)}`);
  if (!((await page.locator("#filter").textContent()) || "").includes("tie")) fail("the page does not say what it shows");
  await shot("viewer-filtered.png");

  // Delete it through the confirmation page.
  await cards.first().locator("a").first().click();
  await page.waitForURL(/\/images\/[0-9A-Z]{26}$/);
  await page.locator("#delete-button").click();
  await page.waitForURL(/\/images\/[0-9A-Z]{26}\/delete$/);
  await shot("viewer-confirm-delete.png");
  await Promise.all([
    page.waitForURL(/\/\?flash=deleted$/),
    page.locator("#delete-form button[type=submit]").click(),
  ]);
  if (!((await page.locator(".flash").textContent()) || "").includes("Image deleted")) fail("no 'Image deleted' flash");
  if ((await page.locator(".card").count()) !== 1) fail("the deleted photo is still in the gallery");
  const left = (await page.locator(".card .counts").first().textContent()) || "";
  if (!left.includes("person ×3")) fail(`remaining card says ${JSON.stringify(left)}`);
  if (await page.locator('#classes li[data-label="tie"]').count()) fail("the class bar still offers tie");
  await shot("viewer-deleted.png");

  if (errors.length) fail("page errors (CSP?): " + errors.join(" | "));
  // A bad file through the same (scripted) form: the 4xx page is shown in place.
  await page.locator("input[name=input_image]").setInputFiles({
    name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image"),
  });
  await page.locator("#upload-form button[type=submit]").click();
  const err = page.locator("#error-message");
  await err.waitFor({ timeout: 30000 });
  if ((await err.getAttribute("data-code")) !== "unsupported_media_type") fail("no unsupported_media_type error page");
  if (!((await page.title()) || "").startsWith("415")) fail(`error page title ${await page.title()}`);
  console.log(`ok: signed in, person ×3, filtered by tie, deleted it; annotated naturalWidth ${natural}; screenshots in ${shots}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
