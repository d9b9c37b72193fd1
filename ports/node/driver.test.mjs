// Protocol handling of driver.mjs that needs no identity provider.
// Run: node --test ports/node/
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const DRIVER = fileURLToPath(new URL("./driver.mjs", import.meta.url));

// Feeds request lines to a fresh driver; returns its exit code and replies.
function run(...lines) {
    const proc = spawnSync(process.execPath, [DRIVER], { input: lines.map((l) => `${l}\n`).join(""), encoding: "utf8" });
    return { status: proc.status, replies: proc.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)) };
}

test("hello reports the msal-node actually installed, without pop", () => {
    const pkg = JSON.parse(readFileSync(new URL("./node_modules/@azure/msal-node/package.json", import.meta.url)));
    const { replies: [reply] } = run('{"id":1,"cmd":"hello"}');
    assert.deepEqual([reply.id, reply.ok, reply.port, reply.library, reply.version],
        [1, true, "node", "@azure/msal-node", pkg.version]);
    assert.ok(reply.capabilities.includes("fmi_path"));
    for (const absent of ["jwt_pop", "mtls_pop", "assertion_response", "hash_algorithm", "account_lookup"]) {
        assert.ok(!reply.capabilities.includes(absent), absent);
    }
});

test("every line gets one reply in order; bad ones get a driver error", () => {
    const { status, replies } = run("not json", "[1]", '{"id":3,"cmd":"fly"}', '{"id":4,"cmd":"cache","app":"nope"}',
        '{"id":5,"cmd":"configure","app":"a"}', '{"id":6,"cmd":"hello"}');
    assert.equal(status, 0);
    assert.deepEqual(replies.map((r) => r.id), [0, 0, 3, 4, 5, 6]);
    for (const reply of replies.slice(0, 5)) assert.equal(reply.error.kind, "driver", JSON.stringify(reply));
    assert.match(replies[4].error.message, /ca_cert/);
    assert.equal(replies[5].ok, true);
});

test("features msal-node lacks are unsupported before any request", () => {
    const base = { cmd: "configure", app: "a", client_id: "c", authority: "https://localhost:1/t", ca_cert: "/nonexistent" };
    const { replies } = run(
        JSON.stringify({ ...base, id: 1, credential: { type: "assertion", assertion: "x", token_binding: { cert_pem_path: "c", key_pem_path: "k" } } }),
        JSON.stringify({ ...base, id: 2, credential: { type: "assertion", assertion: "x", response_object: true } }),
        JSON.stringify({ ...base, id: 3, credential: { type: "secret", secret: "s" }, options: { account_lookup: "strict" } }),
        JSON.stringify({ id: 4, cmd: "acquire_for_client", app: "a", scopes: ["x/.default"], mtls_pop: true }),
    );
    assert.deepEqual(replies.map((r) => r.error.kind), ["unsupported", "unsupported", "unsupported", "unsupported"]);
});

test("options msal-node lacks on user_fic are unsupported", () => {
    const { replies: [reply] } = run(JSON.stringify({
        id: 1, cmd: "acquire_by_user_fic", app: "a", scopes: ["s"], assertion: "t", username: "u", force_refresh: true,
    }));
    assert.equal(reply.error.kind, "unsupported", JSON.stringify(reply));
});

test("a CA that is no certificate is refused with the reason", () => {
    const { replies: [reply] } = run(JSON.stringify({
        id: 1, cmd: "configure", app: "a", client_id: "c", authority: "https://localhost:1/t",
        ca_cert: fileURLToPath(import.meta.url), credential: { type: "secret", secret: "s" },
    }));
    assert.equal(reply.error.kind, "driver");
    assert.match(reply.error.message, /holds no PEM certificate/);
});

test("reset drops every app and the route, so another mock can be trusted", () => {
    const ca = (name) => fileURLToPath(new URL(`../../fixtures/certs/${name}`, import.meta.url));
    const configure = (id, app, caCert, proxy) => JSON.stringify({
        id, cmd: "configure", app, client_id: "c", authority: "https://login.microsoftonline.com/t",
        ca_cert: caCert, proxy, credential: { type: "secret", secret: "s" },
    });
    // Another mock's CA: another file.
    const otherCa = path.join(mkdtempSync(path.join(tmpdir(), "fic-node-")), "ca.pem");
    copyFileSync(ca("blueprint.crt"), otherCa);
    const { replies } = run(
        '{"id":1,"cmd":"hello"}',
        configure(2, "blueprint", ca("blueprint.crt"), "http://127.0.0.1:9"),
        configure(3, "agent A", ca("blueprint.crt"), "http://127.0.0.1:9"),
        configure(4, "agent B", ca("blueprint.key"), "http://127.0.0.1:10"),
        '{"id":5,"cmd":"callback_contexts","app":"blueprint"}',
        '{"id":6,"cmd":"reset"}',
        '{"id":7,"cmd":"callback_contexts","app":"blueprint"}',
        '{"id":8,"cmd":"cache","app":"agent A"}',
        configure(9, "blueprint", ca("blueprint.key"), "http://127.0.0.1:10"),
        configure(10, "blueprint", otherCa, "http://127.0.0.1:10"),
        '{"id":11,"cmd":"callback_contexts","app":"blueprint"}',
    );
    assert.ok(replies[0].capabilities.includes("reset"));
    assert.deepEqual(replies.map((r) => r.ok), [true, true, true, false, true, true, false, false, false, true, true]);
    assert.match(replies[3].error.message, /already routes through http:\/\/127.0.0.1:9.*reset first/);
    assert.deepEqual(replies[4].contexts, []);
    assert.deepEqual(replies[5], { id: 6, ok: true });
    for (const gone of [replies[6], replies[7]]) assert.match(gone.error.message, /no app named/);
    // After the reset the route is free again: the key file is refused for
    // holding no certificate, no longer for the previous route.
    assert.match(replies[8].error.message, /holds no PEM certificate/);
});

test("shutdown replies, then exits 0", () => {
    const { status, replies } = run('{"id":9,"cmd":"shutdown"}', '{"id":10,"cmd":"hello"}');
    assert.equal(status, 0);
    assert.deepEqual(replies, [{ id: 9, ok: true }]);
});
