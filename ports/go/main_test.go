package main

// Protocol handling, and the three legs against a minimal in-process token
// endpoint (httptest TLS), so the glue is checked without the mock IdP.
// Run: cd ports/go && go test ./...

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const tenant = "10c419d4-4a50-45b2-aa4e-919fb84df24f"

// session feeds lines to one driver, as the harness does, and returns the
// replies parsed back from the exact bytes main() would write.
func session(t *testing.T, lines ...string) []map[string]any {
	t.Helper()
	d := &driver{apps: map[string]*app{}}
	var out []map[string]any
	for _, line := range lines {
		reply, stop := d.handle([]byte(line))
		b, err := json.Marshal(reply)
		if err != nil {
			t.Fatalf("reply to %s is not serializable: %v", line, err)
		}
		var parsed map[string]any
		if err := json.Unmarshal(b, &parsed); err != nil {
			t.Fatal(err)
		}
		out = append(out, parsed)
		if stop {
			break
		}
	}
	return out
}

func errKind(r map[string]any) string {
	e, _ := r["error"].(map[string]any)
	k, _ := e["kind"].(string)
	return k
}

func TestHelloReportsTheLinkedModuleAndNoPop(t *testing.T) {
	r := session(t, `{"id":1,"cmd":"hello"}`)[0]
	if r["ok"] != true || r["port"] != "go" || r["library"] != modulePath {
		t.Fatalf("hello: %v", r)
	}
	// `go test` links the module too, so ReadBuildInfo names the pin.
	gomod, _ := os.ReadFile("go.mod")
	if v, _ := r["version"].(string); v == "" || !strings.Contains(string(gomod), modulePath+" "+v) {
		t.Fatalf("hello version %v is not the go.mod pin", r["version"])
	}
	caps := fmt.Sprint(r["capabilities"])
	for _, absent := range []string{"jwt_pop", "mtls_pop", "assertion_response", "hash_algorithm", "account_lookup"} {
		if strings.Contains(caps, absent) {
			t.Errorf("capabilities announce %s: %s", absent, caps)
		}
	}
}

func TestBadLinesGetDriverErrorsInOrder(t *testing.T) {
	rs := session(t, "not json", "[1]", `{"id":3,"cmd":"fly"}`, `{"id":4,"cmd":"cache","app":"nope"}`,
		`{"id":5,"cmd":"configure","app":"a"}`, `{"id":6,"cmd":"hello"}`)
	for i, want := range []float64{0, 0, 3, 4, 5, 6} {
		if rs[i]["id"] != want {
			t.Errorf("reply %d has id %v, want %v", i, rs[i]["id"], want)
		}
	}
	for _, r := range rs[:5] {
		if r["ok"] != false || errKind(r) != "driver" {
			t.Errorf("want a driver error: %v", r)
		}
	}
	if rs[5]["ok"] != true {
		t.Errorf("the driver stopped serving after bad lines: %v", rs[5])
	}
}

func TestMissingFeaturesAreUnsupportedBeforeAnySetUp(t *testing.T) {
	base := `"cmd":"configure","app":"a","client_id":"c","authority":"https://localhost:1/t","ca_cert":"/nonexistent"`
	rs := session(t,
		`{"id":1,`+base+`,"credential":{"type":"assertion","assertion":"x","token_binding":{"cert_pem_path":"c","key_pem_path":"k"}}}`,
		`{"id":2,`+base+`,"credential":{"type":"assertion","assertion":"x","response_object":true}}`,
		`{"id":3,`+base+`,"credential":{"type":"secret","secret":"s"},"options":{"account_lookup":"strict"}}`)
	for _, r := range rs {
		if errKind(r) != "unsupported" {
			t.Errorf("want unsupported: %v", r)
		}
	}
}

func TestShutdownRepliesThenStops(t *testing.T) {
	rs := session(t, `{"id":9,"cmd":"shutdown"}`, `{"id":10,"cmd":"hello"}`)
	if len(rs) != 1 || rs[0]["ok"] != true || rs[0]["id"] != float64(9) {
		t.Fatalf("shutdown: %v", rs)
	}
}

func TestResetDropsEveryAppWithItsCacheAndContexts(t *testing.T) {
	idp := newFakeIdP(t)
	conf := fmt.Sprintf(`{"id":%%d,"cmd":"configure","app":"blueprint","client_id":"bp","authority":%q,"ca_cert":%q,"credential":{"type":"secret","secret":"s"}}`,
		idp.URL+"/"+tenant, idp.caFile(t))
	acquire := `"cmd":"acquire_for_client","app":"blueprint","scopes":["api://AzureADTokenExchange/.default"],"fmi_path":"agent-1"`
	rs := session(t,
		`{"id":1,"cmd":"hello"}`,
		fmt.Sprintf(conf, 2),
		`{"id":3,`+acquire+`}`,
		`{"id":4,"cmd":"reset"}`,
		`{"id":5,"cmd":"cache","app":"blueprint"}`,
		fmt.Sprintf(conf, 6),
		`{"id":7,`+acquire+`}`,
	)
	caps, _ := rs[0]["capabilities"].([]any)
	if !containsAny(caps, "reset") {
		t.Fatalf("hello does not announce reset: %v", caps)
	}
	if rs[3]["ok"] != true || len(rs[3]) != 2 {
		t.Fatalf("reset: %v", rs[3])
	}
	if errKind(rs[4]) != "driver" || !strings.Contains(fmt.Sprint(rs[4]["error"]), "no app named") {
		t.Fatalf("the app survived the reset: %v", rs[4])
	}
	// The same app configured again has an empty cache: the token is new.
	for _, r := range []map[string]any{rs[2], rs[6]} {
		token, _ := r["token"].(map[string]any)
		if r["ok"] != true || token["source"] != "identity_provider" {
			t.Fatalf("acquire after reset: %v", r)
		}
	}
	if len(idp.forms) != 2 {
		t.Fatalf("want one token request per configured app, got %d", len(idp.forms))
	}
}

func containsAny(list []any, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

// fakeIdP answers discovery and the token endpoint with just enough for the
// three legs; it records every token request's form.
type fakeIdP struct {
	*httptest.Server
	mu    sync.Mutex
	forms []map[string]string
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host + "/" + tenant
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
			json.NewEncoder(w).Encode(map[string]any{
				"issuer": base + "/v2.0", "token_endpoint": base + "/oauth2/v2.0/token",
				"authorization_endpoint": base + "/oauth2/v2.0/authorize"})
		case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
			r.ParseForm()
			form := map[string]string{}
			for k := range r.PostForm {
				form[k] = r.PostForm.Get(k)
			}
			f.mu.Lock()
			f.forms = append(f.forms, form)
			f.mu.Unlock()
			subject := form["client_id"]
			if p := form["fmi_path"]; p != "" {
				subject = p
			}
			at := "h." + b64(map[string]any{"sub": subject, "n": len(f.forms)}) + ".s"
			resp := map[string]any{"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": at}
			if form["grant_type"] == "user_fic" {
				oid := "11111111-aaaa-4bbb-8ccc-000000000001"
				resp["scope"] = form["scope"]
				resp["refresh_token"] = "rt"
				resp["client_info"] = b64(map[string]string{"uid": oid, "utid": tenant})
				resp["id_token"] = "h." + b64(map[string]any{"aud": form["client_id"], "iss": base + "/v2.0",
					"oid": oid, "tid": tenant, "sub": "s", "preferred_username": form["username"],
					"iat": 1, "nbf": 1, "exp": 4102444800}) + ".s"
			}
			json.NewEncoder(w).Encode(resp)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIdP) caFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestThreeLegsAgainstAMinimalTokenEndpoint(t *testing.T) {
	idp := newFakeIdP(t)
	ca := idp.caFile(t)
	authority := idp.URL + "/" + tenant
	conf := func(id int, app, clientID, cred string) string {
		return fmt.Sprintf(`{"id":%d,"cmd":"configure","app":%q,"client_id":%q,"authority":%q,"ca_cert":%q,"credential":%s}`,
			id, app, clientID, authority, ca, cred)
	}
	exchange := `["api://AzureADTokenExchange/.default"]`
	rs := session(t,
		conf(1, "blueprint", "bp", `{"type":"secret","secret":"s3"}`),
		`{"id":2,"cmd":"acquire_for_client","app":"blueprint","scopes":`+exchange+`,"fmi_path":"agent-1"}`,
		`{"id":3,"cmd":"acquire_for_client","app":"blueprint","scopes":`+exchange+`,"fmi_path":"agent-1"}`,
		`{"id":4,"cmd":"cache","app":"blueprint"}`,
		conf(5, "agent", "agent-1", `{"type":"fmi_callback","via_app":"blueprint"}`),
		`{"id":6,"cmd":"acquire_for_client","app":"agent","scopes":`+exchange+`}`,
		`{"id":7,"cmd":"callback_contexts","app":"agent"}`,
		`{"id":8,"cmd":"acquire_by_user_fic","app":"agent","scopes":["api://contoso-api/read"],"assertion":"T2","username":"alice@contoso.com"}`,
		`{"id":9,"cmd":"accounts","app":"agent"}`,
		`{"id":10,"cmd":"acquire_silent","app":"agent","scopes":["api://contoso-api/read"],"home_account_id":"11111111-aaaa-4bbb-8ccc-000000000001.`+tenant+`"}`,
		`{"id":11,"cmd":"cache","app":"agent"}`,
	)
	for _, r := range rs {
		if r["ok"] != true {
			t.Fatalf("reply %v failed: %v", r["id"], r["error"])
		}
	}
	source := func(r map[string]any) any { return r["token"].(map[string]any)["source"] }
	if source(rs[1]) != "identity_provider" || source(rs[2]) != "cache" {
		t.Errorf("Leg 1 sources: %v then %v", source(rs[1]), source(rs[2]))
	}
	if idp.forms[0]["fmi_path"] != "agent-1" || idp.forms[0]["client_secret"] != "s3" {
		t.Errorf("Leg 1 form: %v", idp.forms[0])
	}
	keys := fmt.Sprint(rs[3]["access_token_keys"])
	t.Logf("Leg 1 keys: %s; user keys: %v", keys, rs[10]["access_token_keys"])
	if !strings.Contains(keys, "-atext-bp-") {
		t.Errorf("Leg 1 key is not an extended (atext) key: %s", keys)
	}
	// Leg 2: the callback saw the agent's context and minted T1 for it.
	ctxs := rs[6]["contexts"].([]any)
	if len(ctxs) != 1 || ctxs[0].(map[string]any)["client_id"] != "agent-1" ||
		!strings.HasSuffix(fmt.Sprint(ctxs[0].(map[string]any)["token_endpoint"]), "/oauth2/v2.0/token") {
		t.Errorf("Leg 2 contexts: %v", ctxs)
	}
	leg2 := idp.forms[len(idp.forms)-2]
	if leg2["client_id"] != "agent-1" || leg2["client_assertion"] != rs[1]["token"].(map[string]any)["access_token"] {
		t.Errorf("Leg 2 did not present the cached T1 as its assertion: %v", leg2)
	}
	userFic := idp.forms[len(idp.forms)-1]
	if userFic["grant_type"] != "user_fic" || userFic["username"] != "alice@contoso.com" ||
		userFic["user_federated_identity_credential"] != "T2" {
		t.Errorf("Leg 3 form: %v", userFic)
	}
	account := rs[7]["token"].(map[string]any)["account"].(map[string]any)
	if !strings.HasPrefix(fmt.Sprint(account["home_account_id"]), "11111111-") || account["username"] != "alice@contoso.com" {
		t.Errorf("Leg 3 account: %v", account)
	}
	if n := len(rs[8]["accounts"].([]any)); n != 1 {
		t.Errorf("accounts: %v", rs[8])
	}
	if source(rs[9]) != "cache" {
		t.Errorf("silent source: %v", source(rs[9]))
	}
	if len(rs[10]["refresh_token_keys"].([]any)) != 1 || len(rs[10]["id_token_keys"].([]any)) != 1 {
		t.Errorf("user cache: %v", rs[10])
	}
}

func TestACallbackFailureIsTheApplicationsAndAStrayErrorIsNot(t *testing.T) {
	if got := portError(fmt.Errorf("wrapped: %w", &callbackFailure{message: "boom"})); got.Kind != "client" || !strings.Contains(got.Message, "boom") {
		t.Fatalf("a callback failure the port handed over: %+v", got)
	}
	res := tokenReply(confidential.AuthResult{AccessToken: "at"}, false)
	if _, ok := res["token"].(map[string]any)["token_type"]; ok {
		t.Fatalf("MSAL Go's AuthResult has no token type, yet one was reported: %v", res)
	}
}
