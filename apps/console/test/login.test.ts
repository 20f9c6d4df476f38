/**
 * The console's login in real Chromium against a real server: nothing but the login page without
 * a session, a wrong password refused, who is logged in shown, admins' Users and Audit pages,
 * log out back to the login page.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, openConsole, PASSWORD } from "./harness";

let c: ConsoleFixture;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  c = await openConsole({ user: null, viewport: { width: 1280, height: 800 } });
  ({ context, page } = c);
}, 120_000);
afterAll(async () => {
  await c?.close();
});
async function logIn(username: string, password: string) {
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

describe("console login", () => {
  it("shows only the login page without a session, refuses a wrong password, logs in and out", async () => {
    await page.goto("/violations");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("UNS");
    expect(await page.getByRole("navigation").count()).toBe(0);
    expect(await page.getByLabel("Password").getAttribute("type")).toBe("password");

    await logIn("admin", "not-the-password");
    await expect
      .poll(() => page.getByTestId("login-error").textContent())
      .toBe("Wrong user name or password.");

    await logIn("admin", PASSWORD);
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe("Logged in as admin");
    // The page asked for before the login is the one shown after it.
    expect(new URL(page.url()).pathname).toBe("/violations");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "uns_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    expect(await page.evaluate(() => document.cookie)).not.toContain("uns_session");

    // Admins see the Users page and manage users from it; a generated password is shown once.
    await page.getByRole("link", { name: "Users" }).click();
    await expect.poll(() => page.getByTestId("users-table").textContent()).toContain("viewer");
    await page.getByLabel("New user").fill("operator-7");
    await page.getByRole("button", { name: "Add user" }).click();
    await expect
      .poll(() => page.getByTestId("new-password").textContent())
      .toMatch(/operator-7.*shown once: \S{12,}/);
    await expect.poll(() => page.getByTestId("users-table").textContent()).toContain("operator-7");

    await page.getByRole("link", { name: "Audit" }).click();
    await expect.poll(() => page.getByTestId("audit-table").textContent()).toContain("user.add");
    expect(await page.getByTestId("audit-table").textContent()).toContain("operator-7");

    await page.getByRole("button", { name: "Log out" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Log in" }).count()).toBe(1);
    const res = await context.request.get("/api/v1/compliance/totals");
    expect(res.status()).toBe(401);
  });

  it("shows a read-only user no admin pages", async () => {
    await page.goto("/");
    await logIn("viewer", PASSWORD);
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe("Logged in as viewer (read only)");
    expect(await page.getByRole("link", { name: "Users" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Overview" }).count()).toBe(1);
  });
});
