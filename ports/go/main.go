// Command go-driver is the JSON-lines driver for MSAL Go, the client under
// test. One request per line on stdin, one reply per line on stdout, in
// order; the protocol is defined in crates/conformance/src/driver_protocol.rs
// and explained in docs/driver-protocol.md. Everything here is glue: each
// command calls the port's own public API and reports what it answered.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

const (
	modulePath    = "github.com/AzureAD/microsoft-authentication-library-for-go"
	exchangeScope = "api://AzureADTokenExchange/.default"
)

// Announced honestly for v1.10.1: the assertion callback can only return a
// string (no assertion-response object, so no jwt-pop), there is no mTLS PoP
// for confidential clients, and the hash and account lookup are fixed. The
// callback always takes a context (no legacy form), WithFMIPath takes a
// string (no null), and user_fic has WithClaims but no force refresh.
var capabilities = []string{"secret", "certificate", "fmi_path", "context_callback",
	"user_fic", "user_fic_by_oid", "silent", "cache", "user_fic_claims", "user_fic_tenant", "reset"}

// callbackFailure is what a failing_callback returns, so its arrival can be
// recognised.
type callbackFailure struct{ message string }

func (e *callbackFailure) Error() string { return e.message }

// driverError is the protocol's error object.
type driverError struct {
	Kind       string `json:"kind"`
	Message    string `json:"message"`
	Error_     string `json:"error,omitempty"`
	ErrorCodes []int  `json:"error_codes,omitempty"`
	Status     int    `json:"status,omitempty"`
}

func (e *driverError) Error() string { return e.Message }

func newErr(kind, format string, args ...any) *driverError {
	return &driverError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// memCache keeps the port's own serialization of its cache, so `cache`
// reports exactly the bytes MSAL Go wrote.
type memCache struct {
	mu   sync.Mutex
	data []byte
}

func (c *memCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.data) == 0 {
		return nil
	}
	return u.Unmarshal(c.data)
}

func (c *memCache) Export(_ context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := m.Marshal()
	if err == nil {
		c.data = b
	}
	return err
}

func (c *memCache) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.data...)
}

type app struct {
	client   confidential.Client
	cache    *memCache
	contexts []map[string]any
	// The fmi callback's inner failure, kept in protocol form because MSAL Go
	// may not wrap the callback's error with %w.
	callbackErr *driverError
}

type driver struct {
	apps map[string]*app
}

// request is one parsed line; getters fail with a `driver` error naming the
// missing field.
type request map[string]any

func (r request) str(name string) (string, error) {
	v, ok := r[name]
	if !ok || v == nil {
		return "", newErr("driver", "missing field %s", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", newErr("driver", "field %s must be a string", name)
	}
	return s, nil
}

func (r request) optStr(name string) (*string, error) {
	if v, ok := r[name]; !ok || v == nil {
		return nil, nil
	}
	s, err := r.str(name)
	return &s, err
}

func (r request) boolean(name string) bool {
	b, _ := r[name].(bool)
	return b
}

func (r request) strList(name string) ([]string, error) {
	v, ok := r[name].([]any)
	if !ok {
		return nil, newErr("driver", "missing field %s (a list of strings)", name)
	}
	out := make([]string, 0, len(v))
	for _, item := range v {
		s, ok := item.(string)
		if !ok {
			return nil, newErr("driver", "field %s must hold strings only", name)
		}
		out = append(out, s)
	}
	return out, nil
}

func (r request) object(name string) (request, error) {
	v, ok := r[name].(map[string]any)
	if !ok {
		return nil, newErr("driver", "missing field %s (an object)", name)
	}
	return request(v), nil
}

func (d *driver) app(r request) (*app, error) {
	name, err := r.str("app")
	if err != nil {
		return nil, err
	}
	a, ok := d.apps[name]
	if !ok {
		return nil, newErr("driver", "no app named %q configured", name)
	}
	return a, nil
}

func libraryVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == modulePath {
				if dep.Replace != nil {
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "unknown"
}

func (d *driver) hello(request) (map[string]any, error) {
	return map[string]any{"port": "go", "library": modulePath, "version": libraryVersion(),
		"capabilities": capabilities}, nil
}

// httpClient trusts exactly the mock's CA and uses exactly the request's
// proxy (none for the mock's own localhost listener): the environment's
// proxies and CA bundles have no say.
func httpClient(caPath string, proxy string) (*http.Client, error) {
	pem, err := os.ReadFile(caPath)
	if err != nil {
		return nil, newErr("driver", "ca_cert: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, newErr("driver", "ca_cert %s holds no PEM certificate", caPath)
	}
	transport := &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	if proxy != "" {
		u, err := url.Parse(proxy)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, newErr("driver", "proxy %q is not http://host:port", proxy)
		}
		transport.Proxy = http.ProxyURL(u)
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: transport}, nil
}

func (d *driver) configure(r request) (map[string]any, error) {
	name, err := r.str("app")
	if err != nil {
		return nil, err
	}
	clientID, err := r.str("client_id")
	if err != nil {
		return nil, err
	}
	authority, err := r.str("authority")
	if err != nil {
		return nil, err
	}
	caPath, err := r.str("ca_cert")
	if err != nil {
		return nil, err
	}
	credReq, err := r.object("credential")
	if err != nil {
		return nil, err
	}
	if opts, ok := r["options"].(map[string]any); ok {
		var set []string
		for k, v := range opts {
			if v != nil {
				set = append(set, k)
			}
		}
		if len(set) > 0 {
			sort.Strings(set)
			return nil, newErr("unsupported", "MSAL Go %s has no option(s) %s", libraryVersion(), strings.Join(set, ", "))
		}
	}
	// What the port lacks is reported before any set-up can fail.
	a := &app{cache: &memCache{}}
	cred, extra, err := d.credential(a, credReq)
	if err != nil {
		return nil, err
	}
	proxy, _ := r["proxy"].(string)
	hc, err := httpClient(caPath, proxy)
	if err != nil {
		return nil, err
	}
	opts := append([]confidential.Option{
		confidential.WithHTTPClient(hc),
		confidential.WithCache(a.cache),
	}, extra...)
	if proxy == "" {
		// The mock's own https://localhost:PORT is no Microsoft cloud: no
		// instance discovery (which is also what turns off authority
		// validation in MSAL Go). Through the proxy the authority is the
		// public cloud's and MSAL Go runs with its defaults.
		opts = append(opts, confidential.WithInstanceDiscovery(false))
	}
	client, err := confidential.New(authority, clientID, cred, opts...)
	if err != nil {
		return nil, portError(err)
	}
	a.client = client
	d.apps[name] = a
	return map[string]any{}, nil
}

func (d *driver) credential(a *app, c request) (confidential.Credential, []confidential.Option, error) {
	kind, err := c.str("type")
	if err != nil {
		return confidential.Credential{}, nil, err
	}
	switch kind {
	case "secret":
		secret, err := c.str("secret")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		cred, err := confidential.NewCredFromSecret(secret)
		if err != nil {
			return cred, nil, newErr("client", "%v", err)
		}
		return cred, nil, nil
	case "certificate":
		certPath, err := c.str("cert_pem_path")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		keyPath, err := c.str("key_pem_path")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		var pemData []byte
		for _, p := range []string{certPath, keyPath} {
			b, err := os.ReadFile(p)
			if err != nil {
				return confidential.Credential{}, nil, newErr("driver", "%v", err)
			}
			pemData = append(append(pemData, b...), '\n')
		}
		certs, key, err := confidential.CertFromPEM(pemData, "")
		if err != nil {
			return confidential.Credential{}, nil, newErr("client", "%v", err)
		}
		cred, err := confidential.NewCredFromCert(certs, key)
		if err != nil {
			return cred, nil, newErr("client", "%v", err)
		}
		var extra []confidential.Option
		if c.boolean("send_x5c") {
			extra = append(extra, confidential.WithX5C())
		}
		return cred, extra, nil
	case "assertion":
		if v, ok := c["token_binding"]; ok && v != nil {
			return confidential.Credential{}, nil, newErr("unsupported",
				"MSAL Go %s has no token-binding assertion (jwt-pop): its callback returns a string", libraryVersion())
		}
		if c.boolean("response_object") {
			return confidential.Credential{}, nil, newErr("unsupported",
				"MSAL Go %s has no assertion response object: its callback returns a string", libraryVersion())
		}
		assertion, err := c.str("assertion")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		return confidential.NewCredFromAssertionCallback(
			func(_ context.Context, o confidential.AssertionRequestOptions) (string, error) {
				a.contexts = append(a.contexts, contextOf(o))
				return assertion, nil
			}), nil, nil
	case "legacy_callback":
		return confidential.Credential{}, nil, newErr("unsupported",
			"MSAL Go %s has no assertion callback without context: NewCredFromAssertionCallback's function takes AssertionRequestOptions", libraryVersion())
	case "failing_callback":
		message, err := c.str("message")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		return failingCallback(a, message), nil, nil
	case "fmi_callback":
		viaName, err := c.str("via_app")
		if err != nil {
			return confidential.Credential{}, nil, err
		}
		via, ok := d.apps[viaName]
		if !ok {
			return confidential.Credential{}, nil, newErr("driver", "fmi_callback: no app named %q configured", viaName)
		}
		fromFmiPath := c["fmi_path_from"] == "fmi_path"
		return confidential.NewCredFromAssertionCallback(
			func(ctx context.Context, o confidential.AssertionRequestOptions) (string, error) {
				a.contexts = append(a.contexts, contextOf(o))
				path := o.ClientID
				if fromFmiPath {
					path = o.FMIPath
				}
				res, err := via.client.AcquireTokenByCredential(ctx, []string{exchangeScope}, confidential.WithFMIPath(path))
				if err != nil {
					a.callbackErr = portError(err)
					return "", err
				}
				return res.AccessToken, nil
			}), nil, nil
	}
	return confidential.Credential{}, nil, newErr("driver", "unknown credential type %q", kind)
}

func failingCallback(a *app, message string) confidential.Credential {
	return confidential.NewCredFromAssertionCallback(
		func(_ context.Context, o confidential.AssertionRequestOptions) (string, error) {
			a.contexts = append(a.contexts, contextOf(o))
			return "", &callbackFailure{message: message}
		})
}

func contextOf(o confidential.AssertionRequestOptions) map[string]any {
	ctx := map[string]any{"client_id": o.ClientID, "token_endpoint": o.TokenEndpoint}
	if o.FMIPath != "" {
		ctx["fmi_path"] = o.FMIPath
	}
	return ctx
}

// portError maps an MSAL Go error: an HTTP error answer from the IdP is
// `service` (MSAL Go keeps the response, whose body has the OAuth error), a
// transport failure is the driver's set-up, anything else the port refused.
func portError(err error) *driverError {
	var de *driverError
	if errors.As(err, &de) {
		return de
	}
	// The callback's error reached the application: report what the
	// application received, as it received it.
	var cf *callbackFailure
	if errors.As(err, &cf) {
		return &driverError{Kind: "client", Message: err.Error()}
	}
	var callErr msalerrors.CallErr
	if errors.As(err, &callErr) && callErr.Resp != nil {
		out := &driverError{Kind: "service", Message: err.Error(), Status: callErr.Resp.StatusCode}
		if callErr.Resp.Body != nil {
			body, _ := io.ReadAll(callErr.Resp.Body)
			callErr.Resp.Body = io.NopCloser(bytes.NewReader(body))
			var parsed struct {
				Error      string `json:"error"`
				ErrorCodes []int  `json:"error_codes"`
			}
			if json.Unmarshal(body, &parsed) == nil {
				out.Error_ = parsed.Error
				out.ErrorCodes = parsed.ErrorCodes
			}
		}
		return out
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return &driverError{Kind: "driver", Message: err.Error()}
	}
	return &driverError{Kind: "client", Message: err.Error()}
}

// call runs one port call, preferring the fmi callback's inner error (the
// protocol wants the inner failure reported) over the outer wrapper.
func (a *app) call(fn func() (confidential.AuthResult, error)) (confidential.AuthResult, error) {
	a.callbackErr = nil
	res, err := fn()
	if err != nil {
		if a.callbackErr != nil {
			return res, a.callbackErr
		}
		return res, portError(err)
	}
	return res, nil
}

func tokenReply(res confidential.AuthResult, withAccount bool) map[string]any {
	source := "identity_provider"
	if res.Metadata.TokenSource == confidential.TokenSourceCache {
		source = "cache"
	}
	// AuthResult states no token type, so none is reported.
	token := map[string]any{"access_token": res.AccessToken, "source": source}
	if withAccount && !res.Account.IsZero() {
		token["account"] = accountInfo(res.Account)
	}
	if claims := jwtClaims(res.IDToken.RawToken); claims != nil {
		token["id_token_claims"] = claims
	}
	return map[string]any{"token": token}
}

func jwtClaims(raw string) map[string]any {
	parts := strings.Split(raw, ".")
	if len(parts) < 2 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if dec.Decode(&claims) != nil {
		return nil
	}
	return claims
}

func accountInfo(acc confidential.Account) map[string]any {
	info := map[string]any{"home_account_id": acc.HomeAccountID, "username": acc.PreferredUsername}
	if acc.Environment != "" {
		info["environment"] = acc.Environment
	}
	if acc.Realm != "" {
		info["realm"] = acc.Realm
	}
	return info
}

func (d *driver) acquireForClient(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	scopes, err := r.strList("scopes")
	if err != nil {
		return nil, err
	}
	if r.boolean("mtls_pop") {
		return nil, newErr("unsupported", "MSAL Go %s has no mTLS proof-of-possession for confidential clients", libraryVersion())
	}
	if _, ok := r["fmi_path_value"]; ok {
		return nil, newErr("unsupported", "MSAL Go %s has no untyped fmi path: WithFMIPath takes a string", libraryVersion())
	}
	fmiPath, err := r.optStr("fmi_path")
	if err != nil {
		return nil, err
	}
	var opts []confidential.AcquireByCredentialOption
	if fmiPath != nil {
		opts = append(opts, confidential.WithFMIPath(*fmiPath))
	}
	res, err := a.call(func() (confidential.AuthResult, error) {
		return a.client.AcquireTokenByCredential(context.Background(), scopes, opts...)
	})
	if err != nil {
		return nil, err
	}
	return tokenReply(res, false), nil
}

func (d *driver) acquireByUserFic(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	scopes, err := r.strList("scopes")
	if err != nil {
		return nil, err
	}
	assertion, err := r.str("assertion")
	if err != nil {
		return nil, err
	}
	username, err := r.optStr("username")
	if err != nil {
		return nil, err
	}
	userID, err := r.optStr("user_id")
	if err != nil {
		return nil, err
	}
	var opts []confidential.AcquireByUserFICOption
	if username != nil {
		opts = append(opts, confidential.WithUserFICUsername(*username))
	}
	if userID != nil {
		opts = append(opts, confidential.WithUserObjectID(*userID))
	}
	if r.boolean("force_refresh") {
		return nil, newErr("unsupported", "MSAL Go %s has no force-refresh option on user_fic (it always reaches the network)", libraryVersion())
	}
	claims, err := r.optStr("claims")
	if err != nil {
		return nil, err
	}
	if claims != nil {
		opts = append(opts, confidential.WithClaims(*claims))
	}
	tenant, err := r.optStr("tenant")
	if err != nil {
		return nil, err
	}
	if tenant != nil {
		opts = append(opts, confidential.WithTenantID(*tenant))
	}
	res, err := a.call(func() (confidential.AuthResult, error) {
		return a.client.AcquireTokenByUserFederatedIdentityCredential(context.Background(), scopes, assertion, opts...)
	})
	if err != nil {
		return nil, err
	}
	reply := tokenReply(res, true)
	// Prefer the account as the port lists it from its cache.
	if !res.Account.IsZero() {
		if acc, err := a.client.Account(context.Background(), res.Account.HomeAccountID); err == nil && !acc.IsZero() {
			reply["token"].(map[string]any)["account"] = accountInfo(acc)
		}
	}
	return reply, nil
}

func (d *driver) acquireSilent(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	scopes, err := r.strList("scopes")
	if err != nil {
		return nil, err
	}
	home, err := r.str("home_account_id")
	if err != nil {
		return nil, err
	}
	acc, err := a.client.Account(context.Background(), home)
	if err != nil {
		return nil, portError(err)
	}
	if acc.IsZero() {
		return nil, newErr("client", "Account(%q) found no account in the cache", home)
	}
	res, err := a.call(func() (confidential.AuthResult, error) {
		return a.client.AcquireTokenSilent(context.Background(), scopes, confidential.WithSilentAccount(acc))
	})
	if err != nil {
		return nil, err
	}
	reply := tokenReply(res, true)
	reply["token"].(map[string]any)["account"] = accountInfo(acc)
	return reply, nil
}

// serialized parses the port's own cache bytes; an app that never wrote
// its cache has an empty document.
func (a *app) serialized() (map[string]any, error) {
	raw := a.cache.bytes()
	doc := map[string]any{}
	if len(raw) == 0 {
		return doc, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, newErr("driver", "the port's serialized cache is not JSON: %v", err)
	}
	return doc, nil
}

func sectionKeys(doc map[string]any, name string) []string {
	keys := []string{}
	if section, ok := doc[name].(map[string]any); ok {
		for k := range section {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// MSAL Go's confidential client has no "all accounts" call, only
// Account(homeAccountID): the ids come from the port's own Account section,
// the account objects from the port's API.
func (d *driver) accounts(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	doc, err := a.serialized()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []map[string]any{}
	section, _ := doc["Account"].(map[string]any)
	for _, key := range sectionKeys(doc, "Account") {
		entry, _ := section[key].(map[string]any)
		home, _ := entry["home_account_id"].(string)
		if home == "" || seen[home] {
			continue
		}
		seen[home] = true
		acc, err := a.client.Account(context.Background(), home)
		if err != nil {
			return nil, portError(err)
		}
		if !acc.IsZero() {
			out = append(out, accountInfo(acc))
		}
	}
	return map[string]any{"accounts": out}, nil
}

func (d *driver) cache(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	doc, err := a.serialized()
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"access_token_keys":  sectionKeys(doc, "AccessToken"),
		"account_keys":       sectionKeys(doc, "Account"),
		"id_token_keys":      sectionKeys(doc, "IdToken"),
		"refresh_token_keys": sectionKeys(doc, "RefreshToken"),
		"raw":                doc,
	}, nil
}

func (d *driver) callbackContexts(r request) (map[string]any, error) {
	a, err := d.app(r)
	if err != nil {
		return nil, err
	}
	contexts := a.contexts
	if contexts == nil {
		contexts = []map[string]any{}
	}
	return map[string]any{"contexts": contexts}, nil
}

// handle answers one line; stop is true after shutdown.
func (d *driver) handle(line []byte) (reply map[string]any, stop bool) {
	var id uint64
	fail := func(err error) map[string]any {
		var de *driverError
		if !errors.As(err, &de) {
			de = &driverError{Kind: "driver", Message: err.Error()}
		}
		return map[string]any{"id": id, "ok": false, "error": de}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var r request
	if err := dec.Decode(&r); err != nil || r == nil {
		if err == nil {
			err = errors.New("a request must be a JSON object")
		}
		return fail(newErr("driver", "not a JSON object: %v", err)), false
	}
	if n, ok := r["id"].(json.Number); ok {
		if v, err := strconv.ParseUint(n.String(), 10, 64); err == nil {
			id = v
		}
	}
	cmd, _ := r["cmd"].(string)
	handlers := map[string]func(request) (map[string]any, error){
		"hello":               d.hello,
		"configure":           d.configure,
		"acquire_for_client":  d.acquireForClient,
		"acquire_by_user_fic": d.acquireByUserFic,
		"acquire_silent":      d.acquireSilent,
		"accounts":            d.accounts,
		"cache":               d.cache,
		"callback_contexts":   d.callbackContexts,
		"reset":               d.reset,
		"shutdown":            func(request) (map[string]any, error) { return map[string]any{}, nil },
	}
	h, ok := handlers[cmd]
	if !ok {
		return fail(newErr("driver", "unknown cmd %q", cmd)), false
	}
	body, err := safely(h, r)
	if err != nil {
		return fail(err), false
	}
	body["id"] = id
	body["ok"] = true
	return body, cmd == "shutdown"
}

// reset drops every app with its cache, HTTP client and callback contexts.
// MSAL Go keeps nothing per process for a confidential client (authority
// metadata and the token cache belong to each Client), so the process is
// then as a new one would be.
func (d *driver) reset(request) (map[string]any, error) {
	d.apps = map[string]*app{}
	return map[string]any{}, nil
}

// safely turns a panic in glue or library code into a `driver` error, so
// one bad request does not end the session.
func safely(h func(request) (map[string]any, error), r request) (body map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "go-driver: panic: %v\n%s", p, debug.Stack())
			err = newErr("driver", "panic: %v", p)
		}
	}()
	return h(r)
}

func main() {
	replies := bufio.NewWriter(os.Stdout)
	// Only reply lines may reach the harness: a stray print goes to stderr.
	os.Stdout = os.Stderr
	d := &driver{apps: map[string]*app{}}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, readErr := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			reply, stop := d.handle(line)
			out, err := json.Marshal(reply)
			if err != nil {
				out, _ = json.Marshal(map[string]any{"id": reply["id"], "ok": false,
					"error": newErr("driver", "reply not serializable: %v", err)})
			}
			replies.Write(append(out, '\n'))
			replies.Flush()
			if stop {
				return
			}
		}
		if readErr != nil {
			return
		}
	}
}
