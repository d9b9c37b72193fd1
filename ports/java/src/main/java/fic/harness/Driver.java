package fic.harness;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonWriter;
import com.microsoft.aad.msal4j.AssertionRequestOptions;
import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.IClientCredential;
import com.microsoft.aad.msal4j.ITenantProfile;
import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import com.microsoft.aad.msal4j.SilentParameters;
import com.microsoft.aad.msal4j.TokenSource;
import com.microsoft.aad.msal4j.UserFederatedIdentityCredentialParameters;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON-lines driver for msal4j, the client under test. One request per line
 * on stdin, one reply per line on stdout, in order; the protocol is defined in
 * crates/conformance/src/driver_protocol.rs and explained in
 * docs/driver-protocol.md. Everything here is glue: each command calls the
 * port's own public API and reports what the port answered.
 */
public final class Driver {
    static final String EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default";

    // Announced honestly for 1.26.1: the assertion callback returns a String
    // only (msal4j has no AssertionResponse type, so no jwt-pop), there is no
    // mTLS PoP for confidential clients, and the hash and the account lookup
    // are fixed (no option chooses them). Callable<String> is the callback
    // without context; the builder's fmiPath takes a null String; user_fic
    // parameters have forceRefresh and claims.
    static final List<String> CAPABILITIES = List.of("secret", "certificate", "fmi_path",
            "context_callback", "user_fic", "user_fic_by_oid", "silent", "cache", "legacy_callback",
            "fmi_path_null", "user_fic_force_refresh", "user_fic_claims", "user_fic_tenant", "reset");

    /** What a failing_callback throws, so its arrival can be recognised. */
    static final class CallbackFailure extends RuntimeException {
        CallbackFailure(String message) {
            super(message);
        }
    }

    static final Pattern AADSTS = Pattern.compile("^AADSTS(\\d+)");

    /** The protocol's error object, thrown from anywhere in the glue. */
    static final class DriverError extends RuntimeException {
        final String kind;
        String error;
        List<Long> errorCodes = new ArrayList<>();
        Integer status;

        DriverError(String kind, String message) {
            super(message);
            this.kind = kind;
        }

        Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("kind", kind);
            body.put("message", getMessage() == null ? "" : getMessage());
            if (error != null && !error.isEmpty()) body.put("error", error);
            if (!errorCodes.isEmpty()) body.put("error_codes", errorCodes);
            if (status != null) body.put("status", status);
            return body;
        }
    }

    static DriverError driverError(String message) {
        return new DriverError("driver", message);
    }

    static final class App {
        ConfidentialClientApplication msal;
        final List<Map<String, Object>> contexts = new ArrayList<>();
        // The fmi callback's inner failure in protocol form: msal4j wraps
        // whatever the callback throws into an MsalClientException.
        DriverError callbackError;
    }

    final Map<String, App> apps = new LinkedHashMap<>();

    // ---- request field access -------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Map<String, Object> req, String name) {
        Object v = req.get(name);
        if (!(v instanceof Map)) throw driverError("missing field " + name + " (an object)");
        return (Map<String, Object>) v;
    }

    static String str(Map<String, Object> req, String name) {
        Object v = req.get(name);
        if (v == null) throw driverError("missing field " + name);
        if (!(v instanceof String)) throw driverError("field " + name + " must be a string");
        return (String) v;
    }

    static String optStr(Map<String, Object> req, String name) {
        return req.get(name) == null ? null : str(req, name);
    }

    static boolean bool(Map<String, Object> req, String name) {
        return Boolean.TRUE.equals(req.get(name));
    }

    static Set<String> scopes(Map<String, Object> req) {
        Object v = req.get("scopes");
        if (!(v instanceof List)) throw driverError("missing field scopes (a list of strings)");
        Set<String> out = new LinkedHashSet<>();
        for (Object s : (List<?>) v) {
            if (!(s instanceof String)) throw driverError("field scopes must hold strings only");
            out.add((String) s);
        }
        return out;
    }

    App app(Map<String, Object> req) {
        String name = str(req, "app");
        App app = apps.get(name);
        if (app == null) throw driverError("no app named '" + name + "' configured");
        return app;
    }

    // ---- hello -------------------------------------------------------------

    /** The msal4j version on the class path, from the jar's own Maven metadata. */
    static String libraryVersion() {
        try (InputStream in = ConfidentialClientApplication.class.getResourceAsStream(
                "/META-INF/maven/com.microsoft.azure/msal4j/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) return v;
            }
        } catch (IOException ignored) {
            // fall through to the manifest
        }
        String v = ConfidentialClientApplication.class.getPackage().getImplementationVersion();
        return v != null ? v : "unknown";
    }

    Map<String, Object> hello(Map<String, Object> req) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("port", "java");
        out.put("library", "com.microsoft.azure:msal4j");
        out.put("version", libraryVersion());
        out.put("capabilities", CAPABILITIES);
        return out;
    }

    // ---- configure -----------------------------------------------------------

    /** Trust exactly the mock's CA: a trust store holding only it. */
    static SSLSocketFactory trusting(String caPath) {
        try (InputStream in = Files.newInputStream(Paths.get(caPath))) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) throw driverError("ca_cert " + caPath + " holds no PEM certificate");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (DriverError e) {
            throw e;
        } catch (Exception e) {
            throw driverError("ca_cert " + caPath + ": " + e);
        }
    }

    /** The request's forward proxy (`http://host:port`), or none. */
    static Proxy proxy(Object value) {
        if (value == null) return null;
        try {
            URI uri = new URI(String.valueOf(value));
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw driverError("proxy " + value + " is not http://host:port");
            }
            return new Proxy(Proxy.Type.HTTP, new InetSocketAddress(uri.getHost(), uri.getPort()));
        } catch (URISyntaxException e) {
            throw driverError("proxy " + value + ": " + e.getMessage());
        }
    }

    Map<String, Object> configure(Map<String, Object> req) {
        String name = str(req, "app");
        String clientId = str(req, "client_id");
        String authority = str(req, "authority");
        String caPath = str(req, "ca_cert");
        Map<String, Object> cred = object(req, "credential");
        Object options = req.get("options");
        if (options instanceof Map) {
            Set<String> set = new TreeSet<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) options).entrySet()) {
                if (e.getValue() == null) continue;
                set.add(String.valueOf(e.getKey()));
            }
            if (!set.isEmpty()) {
                throw new DriverError("unsupported", "msal4j " + libraryVersion() + " has no option(s) " + String.join(", ", set));
            }
        }
        // What the port lacks is reported before any set-up can fail.
        App app = new App();
        IClientCredential credential = credential(app, cred);
        SSLSocketFactory ssl = trusting(caPath);
        Proxy proxy = proxy(req.get("proxy"));
        try {
            ConfidentialClientApplication.Builder builder = ConfidentialClientApplication.builder(clientId, credential)
                    .authority(authority)
                    .sslSocketFactory(ssl);
            if (proxy != null) {
                // The public cloud's authority through the proxy: msal4j's
                // defaults (authority validation, instance discovery).
                builder.proxy(proxy);
            } else {
                // The mock's own https://localhost:PORT is no Microsoft
                // cloud: no instance discovery and no authority validation;
                // msal4j then builds {authority}/oauth2/v2.0/token itself.
                builder.validateAuthority(false).instanceDiscovery(false);
            }
            if ("certificate".equals(cred.get("type"))) builder.sendX5c(bool(cred, "send_x5c"));
            app.msal = builder.build();
        } catch (DriverError e) {
            throw e;
        } catch (Exception e) {
            throw portError(e);
        }
        apps.put(name, app);
        return new LinkedHashMap<>();
    }

    IClientCredential credential(App app, Map<String, Object> cred) {
        String type = str(cred, "type");
        try {
            switch (type) {
                case "secret":
                    return ClientCredentialFactory.createFromSecret(str(cred, "secret"));
                case "certificate": {
                    X509Certificate cert = readCertificate(str(cred, "cert_pem_path"));
                    PrivateKey key = readPrivateKey(str(cred, "key_pem_path"));
                    return ClientCredentialFactory.createFromCertificate(key, cert);
                }
                case "assertion": {
                    if (cred.get("token_binding") != null) {
                        throw new DriverError("unsupported", "msal4j " + libraryVersion()
                                + " has no token-binding assertion (jwt-pop): its callback returns a String");
                    }
                    if (bool(cred, "response_object")) {
                        throw new DriverError("unsupported", "msal4j " + libraryVersion()
                                + " has no AssertionResponse object: its callback returns a String");
                    }
                    String assertion = str(cred, "assertion");
                    Function<AssertionRequestOptions, String> callback = ctx -> {
                        app.contexts.add(contextOf(ctx));
                        return assertion;
                    };
                    return ClientCredentialFactory.createFromCallback(callback);
                }
                case "fmi_callback": {
                    String viaName = str(cred, "via_app");
                    App via = apps.get(viaName);
                    if (via == null) throw driverError("fmi_callback: no app named '" + viaName + "' configured");
                    boolean fromFmiPath = "fmi_path".equals(cred.get("fmi_path_from"));
                    Function<AssertionRequestOptions, String> callback = ctx -> {
                        app.contexts.add(contextOf(ctx));
                        String path = fromFmiPath ? ctx.clientAssertionFmiPath() : ctx.clientId();
                        try {
                            return via.msal.acquireToken(ClientCredentialParameters
                                    .builder(Collections.singleton(EXCHANGE_SCOPE))
                                    .fmiPath(path)
                                    .build()).join().accessToken();
                        } catch (RuntimeException e) {
                            app.callbackError = portError(e);
                            throw e;
                        }
                    };
                    return ClientCredentialFactory.createFromCallback(callback);
                }
                case "legacy_callback":
                    return ClientCredentialFactory.createFromCallback(legacyCallback(app, str(cred, "assertion")));
                case "failing_callback":
                    return ClientCredentialFactory.createFromCallback(failingCallback(app, str(cred, "message")));
                default:
                    throw driverError("unknown credential type '" + type + "'");
            }
        } catch (DriverError e) {
            throw e;
        } catch (IOException e) {
            throw driverError(e.toString());
        } catch (Exception e) {
            throw portError(e);
        }
    }

    /** The callback without context: msal4j's Callable<String> form. */
    static java.util.concurrent.Callable<String> legacyCallback(App app, String assertion) {
        return () -> {
            app.contexts.add(new LinkedHashMap<>());
            return assertion;
        };
    }

    static Function<AssertionRequestOptions, String> failingCallback(App app, String message) {
        return ctx -> {
            app.contexts.add(contextOf(ctx));
            throw new CallbackFailure(message);
        };
    }

    static Map<String, Object> contextOf(AssertionRequestOptions ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("client_id", ctx.clientId());
        out.put("token_endpoint", ctx.tokenEndpoint());
        if (ctx.clientAssertionFmiPath() != null) out.put("fmi_path", ctx.clientAssertionFmiPath());
        return out;
    }

    static X509Certificate readCertificate(String path) throws Exception {
        try (InputStream in = Files.newInputStream(Paths.get(path))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** msal4j takes a PrivateKey object; PKCS#8 PEM, or PKCS#1 wrapped into PKCS#8. */
    static PrivateKey readPrivateKey(String path) throws Exception {
        String pem = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("-----BEGIN ([A-Z ]*)PRIVATE KEY-----([^-]+)-----END").matcher(pem);
        if (!m.find()) throw driverError(path + " holds no PEM private key");
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        if (m.group(1).equals("RSA ")) der = pkcs1ToPkcs8(der);
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = concat(derHeader(0x04, pkcs1.length), pkcs1);
        int bodyLength = version.length + algorithm.length + octets.length;
        return concat(derHeader(0x30, bodyLength), version, algorithm, octets);
    }

    static byte[] derHeader(int tag, int length) {
        if (length < 0x80) return new byte[]{(byte) tag, (byte) length};
        if (length < 0x100) return new byte[]{(byte) tag, (byte) 0x81, (byte) length};
        if (length < 0x10000) return new byte[]{(byte) tag, (byte) 0x82, (byte) (length >> 8), (byte) length};
        return new byte[]{(byte) tag, (byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    // ---- errors --------------------------------------------------------------

    /**
     * Maps what msal4j threw: an error answer from the IdP is `service`; a
     * transport failure (TLS, connection) is the driver's set-up; any other
     * refusal, including argument validation, is `client`.
     */
    static DriverError portError(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DriverError) return (DriverError) t;
            // The callback's error reached the application: report what the
            // application received, as it received it.
            if (t instanceof CallbackFailure) return new DriverError("client", e.getClass().getSimpleName() + ": " + e.getMessage());
            if (t.getCause() == t) break;
        }
        if (e instanceof MsalServiceException) {
            MsalServiceException s = (MsalServiceException) e;
            DriverError out = new DriverError("service", s.getMessage());
            out.error = s.errorCode();
            out.status = s.statusCode();
            // msal4j keeps no error_codes; the description's leading AADSTS
            // number is the only code it exposes.
            Matcher m = AADSTS.matcher(s.getMessage() == null ? "" : s.getMessage());
            if (m.find()) out.errorCodes.add(Long.parseLong(m.group(1)));
            return out;
        }
        if (e instanceof MsalClientException && e.getCause() instanceof IOException) {
            return driverError(e.getMessage());
        }
        if (e instanceof MsalClientException || e instanceof IllegalArgumentException) {
            return new DriverError("client", String.valueOf(e.getMessage()));
        }
        // A NullPointerException is msal4j's answer only when msal4j threw it;
        // one from the driver's own code is the driver's failure.
        if (e instanceof NullPointerException && thrownByMsal4j(e)) {
            return new DriverError("client", e.toString());
        }
        return driverError(e.toString());
    }

    /** The first frame outside the JDK (Objects.requireNonNull and the like) is msal4j's. */
    static boolean thrownByMsal4j(Throwable e) {
        for (StackTraceElement frame : e.getStackTrace()) {
            String cls = frame.getClassName();
            if (cls.startsWith("java.") || cls.startsWith("javax.") || cls.startsWith("jdk.") || cls.startsWith("sun.")) continue;
            return cls.startsWith("com.microsoft.aad.msal4j.");
        }
        return false;
    }

    interface PortCall {
        IAuthenticationResult run() throws Exception;
    }

    /** Runs one port call, preferring the fmi callback's inner error. */
    static IAuthenticationResult call(App app, PortCall fn) {
        app.callbackError = null;
        try {
            return fn.run();
        } catch (Throwable e) {
            if (app.callbackError != null) throw app.callbackError;
            throw portError(e);
        }
    }

    // ---- acquire -------------------------------------------------------------

    static Map<String, Object> tokenReply(IAuthenticationResult result, IAccount account) {
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("access_token", result.accessToken());
        // IAuthenticationResult states no token type, so none is reported.
        TokenSource source = result.metadata() == null ? null : result.metadata().tokenSource();
        token.put("source", source == TokenSource.CACHE ? "cache" : "identity_provider");
        if (account != null) token.put("account", accountInfo(account));
        ITenantProfile profile = result.tenantProfile();
        if (profile != null && profile.getClaims() != null && !profile.getClaims().isEmpty()) {
            token.put("id_token_claims", new LinkedHashMap<>(profile.getClaims()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", token);
        return out;
    }

    static Map<String, Object> accountInfo(IAccount account) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("home_account_id", account.homeAccountId());
        info.put("username", account.username() == null ? "" : account.username());
        if (account.environment() != null) info.put("environment", account.environment());
        // IAccount has no realm; its tenant profiles are keyed by tenant id.
        Map<String, ITenantProfile> profiles = account.getTenantProfiles();
        if (profiles != null && profiles.size() == 1) info.put("realm", profiles.keySet().iterator().next());
        return info;
    }

    IAccount findAccount(App app, String homeAccountId) {
        for (IAccount a : app.msal.getAccounts().join()) {
            if (homeAccountId.equals(a.homeAccountId())) return a;
        }
        return null;
    }

    Map<String, Object> acquireForClient(Map<String, Object> req) {
        App app = app(req);
        Set<String> scopes = scopes(req);
        if (bool(req, "mtls_pop")) {
            throw new DriverError("unsupported", "msal4j " + libraryVersion() + " has no mTLS proof-of-possession");
        }
        String fmiPath = optStr(req, "fmi_path");
        boolean nullFmiPath = req.containsKey("fmi_path_value");
        if (nullFmiPath && req.get("fmi_path_value") != null) {
            throw new DriverError("unsupported", "msal4j " + libraryVersion()
                    + " has no untyped fmi path: ClientCredentialParametersBuilder.fmiPath takes a String");
        }
        IAuthenticationResult result = call(app, () -> {
            ClientCredentialParameters.ClientCredentialParametersBuilder b = ClientCredentialParameters.builder(scopes);
            if (fmiPath != null) b.fmiPath(fmiPath);
            if (nullFmiPath) b.fmiPath(null);
            return app.msal.acquireToken(b.build()).get();
        });
        return tokenReply(result, null);
    }

    Map<String, Object> acquireByUserFic(Map<String, Object> req) {
        App app = app(req);
        Set<String> scopes = scopes(req);
        String assertion = str(req, "assertion");
        String username = optStr(req, "username");
        String userId = optStr(req, "user_id");
        if (username != null && userId != null) {
            // One public builder per identifier (the builder's username and
            // userObjectId setters are package-private): an application
            // cannot make this call, so msal4j has no answer to report.
            throw new DriverError("unsupported", "msal4j " + libraryVersion()
                    + " has no call with both a username and a user object id");
        }
        boolean forceRefresh = bool(req, "force_refresh");
        String claims = optStr(req, "claims");
        String tenant = optStr(req, "tenant");
        IAuthenticationResult result = call(app, () -> {
            // Neither identifier: the username builder with a null username,
            // as an application would call it.
            UserFederatedIdentityCredentialParameters.UserFederatedIdentityCredentialParametersBuilder b = userId != null
                    ? UserFederatedIdentityCredentialParameters.builder(scopes, UUID.fromString(userId), assertion)
                    : UserFederatedIdentityCredentialParameters.builder(scopes, username, assertion);
            if (forceRefresh) b.forceRefresh(true);
            if (claims != null) b.claims(com.microsoft.aad.msal4j.ClaimsRequest.formatAsClaimsRequest(claims));
            if (tenant != null) b.tenant(tenant);
            return app.msal.acquireToken(b.build()).get();
        });
        IAccount account = result.account();
        if (account != null) {
            IAccount listed = findAccount(app, account.homeAccountId());
            if (listed != null) account = listed;
        }
        return tokenReply(result, account);
    }

    Map<String, Object> acquireSilent(Map<String, Object> req) {
        App app = app(req);
        Set<String> scopes = scopes(req);
        String home = str(req, "home_account_id");
        IAccount account = findAccount(app, home);
        if (account == null) throw new DriverError("client", "getAccounts() has no account '" + home + "'");
        IAuthenticationResult result = call(app, () ->
                app.msal.acquireTokenSilently(SilentParameters.builder(scopes, account).build()).get());
        return tokenReply(result, account);
    }

    // ---- cache ---------------------------------------------------------------

    Map<String, Object> accounts(Map<String, Object> req) {
        App app = app(req);
        List<Object> out = new ArrayList<>();
        for (IAccount a : app.msal.getAccounts().join()) out.add(accountInfo(a));
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("accounts", out);
        return reply;
    }

    @SuppressWarnings("unchecked")
    static List<String> sectionKeys(Map<String, Object> doc, String name) {
        Object section = doc.get(name);
        List<String> keys = new ArrayList<>();
        if (section instanceof Map) keys.addAll(((Map<String, Object>) section).keySet());
        Collections.sort(keys);
        return keys;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> cache(Map<String, Object> req) {
        App app = app(req);
        String serialized = app.msal.tokenCache().serialize();
        Object doc;
        try (JsonReader r = JsonProviders.createReader(serialized)) {
            r.nextToken();
            doc = r.readUntyped();
        } catch (IOException e) {
            throw driverError("the port's serialized cache is not JSON: " + e);
        }
        Map<String, Object> raw = doc instanceof Map ? (Map<String, Object>) doc : new LinkedHashMap<>();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("access_token_keys", sectionKeys(raw, "AccessToken"));
        out.put("account_keys", sectionKeys(raw, "Account"));
        out.put("id_token_keys", sectionKeys(raw, "IdToken"));
        out.put("refresh_token_keys", sectionKeys(raw, "RefreshToken"));
        out.put("raw", raw);
        return out;
    }

    Map<String, Object> callbackContexts(Map<String, Object> req) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("contexts", new ArrayList<>(app(req).contexts));
        return out;
    }

    // ---- reset ---------------------------------------------------------------

    /**
     * What msal4j keeps per JVM rather than per application, in static maps:
     * instance discovery metadata by host (in production mode every mock is
     * login.microsoftonline.com, so a kept entry would skip the discovery a
     * new process makes), throttled requests, cached interaction_required
     * errors. A reset clears them with the apps.
     */
    static final List<String[]> PROCESS_CACHES = List.of(
            new String[]{"com.microsoft.aad.msal4j.AadInstanceDiscoveryProvider", "cache"},
            new String[]{"com.microsoft.aad.msal4j.ThrottlingCache", "requestsToThrottle"},
            new String[]{"com.microsoft.aad.msal4j.InteractionRequiredCache", "requestsToCache"});

    /** The static map `className.field` of msal4j. */
    static Map<?, ?> processCache(String className, String field) {
        try {
            java.lang.reflect.Field f = Class.forName(className).getDeclaredField(field);
            f.setAccessible(true);
            Object value = f.get(null);
            if (!(value instanceof Map)) throw new IllegalStateException("not a map: " + value);
            return (Map<?, ?>) value;
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A renamed field must not leave stale state behind: the harness
            // then starts a new process instead.
            throw driverError("reset cannot clear msal4j's " + className + "." + field + ": " + e);
        }
    }

    /** Drops every app (its cache and callback contexts) and msal4j's JVM-wide caches. */
    Map<String, Object> reset() {
        apps.clear();
        for (String[] cache : PROCESS_CACHES) processCache(cache[0], cache[1]).clear();
        return new LinkedHashMap<>();
    }

    // ---- loop ----------------------------------------------------------------

    /** The reply to one line; the second element says whether to stop. */
    @SuppressWarnings("unchecked")
    Object[] handle(String line) {
        long id = 0;
        try {
            Object parsed;
            try (JsonReader r = JsonProviders.createReader(line)) {
                r.nextToken();
                parsed = r.readUntyped();
            } catch (Exception e) {
                throw driverError("not JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Map)) throw driverError("a request must be a JSON object");
            Map<String, Object> req = (Map<String, Object>) parsed;
            if (req.get("id") instanceof Number) id = ((Number) req.get("id")).longValue();
            Object cmd = req.get("cmd");
            Map<String, Object> body;
            switch (String.valueOf(cmd)) {
                case "hello": body = hello(req); break;
                case "configure": body = configure(req); break;
                case "acquire_for_client": body = acquireForClient(req); break;
                case "acquire_by_user_fic": body = acquireByUserFic(req); break;
                case "acquire_silent": body = acquireSilent(req); break;
                case "accounts": body = accounts(req); break;
                case "cache": body = cache(req); break;
                case "callback_contexts": body = callbackContexts(req); break;
                case "reset": body = reset(); break;
                case "shutdown": body = new LinkedHashMap<>(); break;
                default: throw driverError("unknown cmd '" + cmd + "'");
            }
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("id", id);
            reply.put("ok", true);
            reply.putAll(body);
            return new Object[]{reply, "shutdown".equals(cmd)};
        } catch (Throwable e) {
            DriverError err = e instanceof DriverError ? (DriverError) e : driverError(e.toString());
            if (!(e instanceof DriverError)) e.printStackTrace(System.err);
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("id", id);
            reply.put("ok", false);
            reply.put("error", err.body());
            return new Object[]{reply, false};
        }
    }

    static String toJson(Object value) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonWriter w = JsonProviders.createWriter(out)) {
            w.writeUntyped(value);
            w.flush();
        }
        return out.toString();
    }

    public static void main(String[] args) throws IOException {
        // Only reply lines may reach the harness: anything msal4j or a stray
        // println writes goes to stderr.
        PrintStream replies = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        // msal4j logs at debug freely; warnings only unless FIC_DRIVER_LOG asks.
        String level = System.getenv("FIC_DRIVER_LOG");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level == null || level.isEmpty() ? "warn" : level.toLowerCase());
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        Driver driver = new Driver();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            Object[] result = driver.handle(line);
            replies.print(toJson(result[0]));
            replies.print('\n');
            replies.flush();
            if ((Boolean) result[1]) break;
        }
        System.exit(0);
    }
}
