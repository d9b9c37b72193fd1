// JSON-lines driver for @azure/msal-node, the client under test.
//
// One request per line on stdin, one reply per line on stdout, in order; the
// protocol is defined in crates/conformance/src/driver_protocol.rs and
// explained in docs/driver-protocol.md. Everything here is glue: each command
// calls the port's own public API once and reports what the port returned.
//
// msal-node 7.x sends through Node's global fetch and has neither a proxy
// nor a CA option: a `configure` routes that fetch through an undici
// dispatcher (setGlobalDispatcher) that trusts the request's CA and, when
// given, tunnels through its proxy, so msal-node's own HTTP client runs
// unchanged. The dispatcher is per process, unlike NODE_EXTRA_CA_CERTS
// (read once at start-up), so `reset` can hand the process to another mock.
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import readline from "node:readline";

// Only reply lines may reach the harness: route console output to stderr.
for (const name of ["log", "info", "debug", "warn"]) console[name] = console.error;

const msal = await import("@azure/msal-node");
const { Agent, ProxyAgent, getGlobalDispatcher, setGlobalDispatcher } = await import("undici");

const EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default";
// What msal-node 7.2.4 offers. Absent on purpose: assertion_response, jwt_pop,
// mtls_pop (the assertion callback returns only a string), hash_algorithm and
// account_lookup (fixed by the library), user_fic_force_refresh (user_fic
// always reaches the network). A callback declared without parameters is an
// ordinary callback to JavaScript, and the request's fmiPath takes any value.
const CAPABILITIES = [
    "secret", "certificate", "fmi_path", "context_callback",
    "user_fic", "user_fic_by_oid", "silent", "cache", "legacy_callback",
    "fmi_path_null", "fmi_path_untyped", "user_fic_claims", "user_fic_tenant", "reset",
];

// The version in the package.json of the copy actually loaded, not the pin.
const LIBRARY_VERSION = (() => {
    let dir = path.dirname(createRequire(import.meta.url).resolve("@azure/msal-node"));
    while (path.basename(dir) !== "msal-node") dir = path.dirname(dir);
    return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
})();

class DriverError extends Error {
    constructor(kind, message, extra = {}) {
        super(message);
        this.body = { kind, message, ...extra };
    }
}

const unsupported = (what) =>
    new DriverError("unsupported", `msal-node ${LIBRARY_VERSION} has no ${what}`);

// What a failing_callback throws, so its arrival can be recognised.
class CallbackFailure extends Error {}

// True when err is, or was caused by, a CallbackFailure.
function raisedByCallback(err) {
    for (let e = err, depth = 0; e && depth < 8; e = e.cause, depth++) {
        if (e instanceof CallbackFailure) return true;
    }
    return false;
}

// Maps whatever the port threw to the protocol's error object.
function errorBody(err) {
    if (err instanceof DriverError) return err.body;
    // The callback's error reached the application: report what it received.
    if (raisedByCallback(err)) return { kind: "client", message: `${err.name}: ${err.message}` };
    if (err?.driverError) return err.driverError; // raised inside an fmi callback
    if (err instanceof msal.AuthError) {
        const fromServer = err instanceof msal.ServerError || err.status !== undefined || err.errorNo !== undefined;
        const body = { kind: fromServer ? "service" : "client", message: err.message };
        if (fromServer && err.errorCode) body.error = err.errorCode;
        // msal-node keeps only the first of the response's error_codes.
        const code = Number.parseInt(err.errorNo, 10);
        if (Number.isInteger(code)) body.error_codes = [code];
        if (Number.isInteger(err.status)) body.status = err.status;
        return body;
    }
    return { kind: "driver", message: `${err?.name ?? "Error"}: ${err?.message ?? err}` };
}

const accountInfo = (a) => {
    const info = { home_account_id: a.homeAccountId, username: a.username ?? "" };
    if (a.environment) info.environment = a.environment;
    if (a.tenantId) info.realm = a.tenantId;
    return info;
};

function tokenReply(result) {
    if (!result) throw new DriverError("client", "msal-node returned null: no token");
    const token = {
        access_token: result.accessToken,
        token_type: result.tokenType,
        source: result.fromCache ? "cache" : "identity_provider",
    };
    if (result.account) token.account = accountInfo(result.account);
    if (result.idTokenClaims && Object.keys(result.idTokenClaims).length) token.id_token_claims = result.idTokenClaims;
    return { token };
}

// The callback context in the protocol's spelling; other fields kept as given.
function normalizeContext({ clientId, tokenEndpoint, fmiPath, ...rest }) {
    const ctx = { client_id: clientId, token_endpoint: tokenEndpoint, ...rest };
    if (fmiPath !== undefined && fmiPath !== null) ctx.fmi_path = fmiPath;
    return ctx;
}

// The dispatcher global fetch had before any configure, restored by reset.
const DEFAULT_DISPATCHER = getGlobalDispatcher();

// One route per process (global fetch has one dispatcher): every app until
// the next reset shares the CA and proxy of the first configure.
let route = null;

function routeThrough(caCert, proxy) {
    const wanted = { ca: path.resolve(caCert), proxy: proxy ?? null };
    if (route !== null) {
        if (route.ca === wanted.ca && route.proxy === wanted.proxy) return;
        throw new DriverError("driver",
            `this driver already routes through ${route.proxy ?? "no proxy"} trusting ${route.ca}, not ${wanted.proxy ?? "no proxy"} trusting ${wanted.ca}: reset first`);
    }
    let pem;
    try {
        pem = readFileSync(caCert, "utf8");
    } catch (err) {
        throw new DriverError("driver", `ca_cert ${caCert}: ${err.message}`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        throw new DriverError("driver", `ca_cert ${caCert} holds no PEM certificate`);
    }
    // Node's own roots plus the mock's CA: what NODE_EXTRA_CA_CERTS gives.
    const ca = [...tls.rootCertificates, pem];
    setGlobalDispatcher(proxy
        ? new ProxyAgent({ uri: proxy, requestTls: { ca } })
        : new Agent({ connect: { ca } }));
    route = wanted;
}

function unroute() {
    const dispatcher = getGlobalDispatcher();
    setGlobalDispatcher(DEFAULT_DISPATCHER);
    route = null;
    // Connections to the previous mock are of no further use.
    if (dispatcher !== DEFAULT_DISPATCHER) dispatcher.destroy().catch(() => {});
}

class App {
    constructor(req, apps) {
        this.contexts = [];
        this.authority = req.authority;
        // Before the CA check: an unsupported credential is unsupported anywhere.
        const credential = this.credential(req.credential, apps);
        routeThrough(req.ca_cert, req.proxy);
        const logLevel = msal.LogLevel[process.env.FIC_DRIVER_LOG ?? "Warning"] ?? msal.LogLevel.Warning;
        this.msal = new msal.ConfidentialClientApplication({
            auth: {
                clientId: req.client_id,
                authority: req.authority,
                // Through the proxy the authority is the public cloud's and
                // msal-node runs with its defaults (instance discovery).
                // Without one it is the mock's own localhost:PORT, which is no
                // Microsoft cloud: trusting its host:port skips discovery.
                ...(req.proxy ? {} : { knownAuthorities: [new URL(req.authority).host] }),
                ...credential,
            },
            system: {
                loggerOptions: {
                    loggerCallback: (_level, message) => process.stderr.write(`${message}\n`),
                    piiLoggingEnabled: false,
                    logLevel,
                },
            },
        });
    }

    credential(cred, apps) {
        switch (cred.type) {
            case "secret":
                return { clientSecret: cred.secret };
            case "certificate": {
                const certPem = readFileSync(cred.cert_pem_path, "utf8");
                const clientCertificate = {
                    thumbprintSha256: new X509Certificate(certPem).fingerprint256.replaceAll(":", ""),
                    privateKey: readFileSync(cred.key_pem_path, "utf8"),
                };
                if (cred.send_x5c) clientCertificate.x5c = certPem;
                return { clientCertificate };
            }
            case "assertion": {
                if (cred.token_binding) throw unsupported("token-binding assertion (jwt-pop)");
                if (cred.response_object) throw unsupported("assertion response object (the callback returns a string)");
                return {
                    clientAssertion: async (config) => {
                        this.contexts.push(normalizeContext(config));
                        return cred.assertion;
                    },
                };
            }
            case "fmi_callback": {
                const via = apps.get(cred.via_app);
                if (!via) throw new DriverError("driver", `fmi_callback: no app named '${cred.via_app}' configured`);
                const key = cred.fmi_path_from === "fmi_path" ? "fmiPath" : "clientId";
                return {
                    clientAssertion: async (config) => {
                        this.contexts.push(normalizeContext(config));
                        try {
                            const t1 = await via.msal.acquireTokenByClientCredential({
                                scopes: [EXCHANGE_SCOPE], fmiPath: config[key],
                            });
                            return t1.accessToken;
                        } catch (err) {
                            // Keep the inner failure, whatever msal-node wraps it in.
                            err.driverError = errorBody(err);
                            throw err;
                        }
                    },
                };
            }
            case "legacy_callback":
                return { clientAssertion: this.legacyCallback(cred.assertion) };
            case "failing_callback":
                return { clientAssertion: this.failingCallback(cred.message) };
            default:
                throw new DriverError("driver", `unknown credential type '${cred.type}'`);
        }
    }
}

App.prototype.legacyCallback = function legacyCallback(assertion) {
    // No parameter: whatever msal-node passes, this callback takes nothing.
    return async () => {
        this.contexts.push({});
        return assertion;
    };
};

App.prototype.failingCallback = function failingCallback(message) {
    return async (config) => {
        this.contexts.push(normalizeContext(config));
        throw new CallbackFailure(message);
    };
};

// Fields each command cannot do without, so a malformed request gets a
// readable driver error instead of a TypeError from deep inside msal-node.
const REQUIRED = {
    configure: ["app", "client_id", "authority", "ca_cert", "credential"],
    acquire_for_client: ["app", "scopes"],
    acquire_by_user_fic: ["app", "scopes", "assertion"],
    acquire_silent: ["app", "scopes", "home_account_id"],
    accounts: ["app"],
    cache: ["app"],
    callback_contexts: ["app"],
};

const apps = new Map();

function app(req) {
    const found = apps.get(req.app);
    if (!found) throw new DriverError("driver", `no app named '${req.app}' configured`);
    return found;
}

const commands = {
    hello: async () => ({ port: "node", library: "@azure/msal-node", version: LIBRARY_VERSION, capabilities: CAPABILITIES }),

    configure: async (req) => {
        const options = Object.entries(req.options ?? {}).filter(([, v]) => v !== null && v !== undefined);
        if (options.length) throw unsupported(`option(s) ${options.map(([k]) => k).sort().join(", ")}`);
        apps.set(req.app, new App(req, apps));
        return {};
    },

    acquire_for_client: async (req) => {
        if (req.mtls_pop) throw unsupported("mTLS proof-of-possession");
        const request = { scopes: req.scopes };
        if (req.fmi_path !== undefined) request.fmiPath = req.fmi_path;
        // null or a non-string, passed unconverted
        if (Object.hasOwn(req, "fmi_path_value")) request.fmiPath = req.fmi_path_value;
        return tokenReply(await app(req).msal.acquireTokenByClientCredential(request));
    },

    acquire_by_user_fic: async (req) => {
        if (req.force_refresh) throw unsupported("force-refresh option on user_fic (it always reaches the network)");
        const request = {
            scopes: req.scopes, assertion: req.assertion, username: req.username, userObjectId: req.user_id,
        };
        if (req.claims !== undefined && req.claims !== null) request.claims = req.claims;
        // msal-node overrides the tenant with a per-request authority.
        if (req.tenant !== undefined && req.tenant !== null) {
            const authority = new URL(app(req).authority);
            authority.pathname = `/${req.tenant}`;
            request.authority = authority.href.replace(/\/$/, "");
        }
        return tokenReply(await app(req).msal.acquireTokenByUserFederatedIdentityCredential(request));
    },

    acquire_silent: async (req) => {
        const target = app(req);
        const accounts = await target.msal.getTokenCache().getAllAccounts();
        const account = accounts.find((a) => a.homeAccountId === req.home_account_id);
        if (!account) throw new DriverError("client", `getAllAccounts() has no account '${req.home_account_id}'`);
        return tokenReply(await target.msal.acquireTokenSilent({ account, scopes: req.scopes }));
    },

    accounts: async (req) => ({ accounts: (await app(req).msal.getTokenCache().getAllAccounts()).map(accountInfo) }),

    cache: async (req) => {
        const raw = JSON.parse(app(req).msal.getTokenCache().serialize());
        const keys = (section) => Object.keys(raw[section] ?? {});
        return {
            access_token_keys: keys("AccessToken"), account_keys: keys("Account"),
            id_token_keys: keys("IdToken"), refresh_token_keys: keys("RefreshToken"), raw,
        };
    },

    callback_contexts: async (req) => ({ contexts: app(req).contexts }),

    // msal-node keeps nothing per process beyond what each app holds (its
    // token cache, authority metadata and throttling entries live in the
    // app's cache): dropping the apps and the route leaves the process as a
    // new one would be.
    reset: async () => {
        apps.clear();
        unroute();
        return {};
    },

    shutdown: async () => ({}),
};

// Returns the reply object for one request line.
export async function handle(line) {
    let id = 0;
    try {
        let req;
        try {
            req = JSON.parse(line);
        } catch (err) {
            throw new DriverError("driver", `not JSON: ${err.message}`);
        }
        if (req === null || typeof req !== "object" || Array.isArray(req)) {
            throw new DriverError("driver", "a request must be a JSON object");
        }
        if (Number.isInteger(req.id)) id = req.id;
        const command = Object.hasOwn(commands, req.cmd) ? commands[req.cmd] : undefined;
        if (!command) throw new DriverError("driver", `unknown cmd ${JSON.stringify(req.cmd)}`);
        const missing = (REQUIRED[req.cmd] ?? []).filter((field) => req[field] === undefined);
        if (missing.length) throw new DriverError("driver", `missing field(s) ${missing.join(", ")}`);
        return { id, ok: true, ...(await command(req)) };
    } catch (err) {
        if (!(err instanceof DriverError) && !(err instanceof msal.AuthError) && !err?.driverError
            && !raisedByCallback(err)) {
            console.error(err); // glue failure: keep the stack for whoever debugs it
        }
        return { id, ok: false, error: errorBody(err) };
    }
}

async function main() {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
        if (!line.trim()) continue;
        const reply = await handle(line);
        const stop = reply.ok && JSON.parse(line).cmd === "shutdown";
        await new Promise((resolve) => process.stdout.write(`${JSON.stringify(reply)}\n`, resolve));
        if (stop) break;
    }
    process.exit(0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
