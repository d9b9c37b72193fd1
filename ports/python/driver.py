#!/usr/bin/env python3
"""JSON-lines driver for MSAL Python, the client under test.

One request per line on stdin, one reply per line on stdout, in order; the
protocol is defined in crates/conformance/src/driver_protocol.rs and explained
in docs/driver-protocol.md. Everything here is glue: each command calls the
port's own public API once and reports what the port returned, verbatim.
"""
import base64
import json
import logging
import os
import sys

# Only reply lines may reach the harness: anything the library (or a stray
# print) writes to stdout would corrupt the protocol, so stdout becomes stderr.
REPLIES = sys.stdout
sys.stdout = sys.stderr
logging.basicConfig(stream=sys.stderr, level=os.environ.get("FIC_DRIVER_LOG", "WARNING").upper())

import msal  # noqa: E402  (after the stdout swap on purpose)
import requests  # noqa: E402

EXCHANGE_SCOPE = "api://AzureADTokenExchange/.default"

# What the loaded msal offers (1.39.0: all of these). Absent on purpose:
# assertion_response, jwt_pop, mtls_pop (the assertion callback can only
# return a string), hash_algorithm and account_lookup (fixed by the library).
# fmi_path and user_fic are probed, so an older msal says it lacks them.
def capabilities():
    import inspect
    cca = msal.ConfidentialClientApplication
    probes = {
        "fmi_path": "fmi_path" in inspect.signature(cca.acquire_token_for_client).parameters,
        "user_fic": hasattr(cca, "acquire_token_by_user_federated_identity_credential"),
    }
    probes["user_fic_by_oid"] = probes["user_fic"]
    # The fmi_path keyword takes any value: None and non-strings reach
    # MSAL's own check unconverted.
    probes["fmi_path_null"] = probes["fmi_path_untyped"] = probes["fmi_path"]
    probes["user_fic_claims"] = probes["user_fic"] and "claims_challenge" in inspect.signature(
        cca.acquire_token_by_user_federated_identity_credential).parameters
    names = ["secret", "certificate", "fmi_path", "context_callback",
             "user_fic", "user_fic_by_oid", "silent", "cache", "legacy_callback",
             "fmi_path_null", "fmi_path_untyped", "user_fic_claims", "reset"]
    return [n for n in names if probes.get(n, True)]


class DriverError(Exception):
    def __init__(self, kind, message, error=None, error_codes=None, status=None):
        super().__init__(message)
        self.body = {"kind": kind, "message": message}
        if error:
            self.body["error"] = error
        if error_codes:
            self.body["error_codes"] = [int(c) for c in error_codes]
        if status is not None:
            self.body["status"] = status


class CallbackFailure(Exception):
    """What a `failing_callback` raises, so its arrival can be recognised."""


def raised_by_callback(error):
    """True when `error` is, or was caused by, a CallbackFailure."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, CallbackFailure):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def unsupported(what):
    return DriverError("unsupported", "msal %s has no %s" % (msal.__version__, what))


class App:
    """One ConfidentialClientApplication with its own cache and HTTP session."""

    def __init__(self, name, req, apps):
        self.name = name
        self.contexts = []
        self.cache = msal.SerializableTokenCache()
        self.session = requests.Session()
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override
        # session.verify, and HTTPS_PROXY / NO_PROXY override proxies: the
        # environment (CA bundles, proxies, netrc) has no say, the request's
        # CA and proxy do.
        self.session.trust_env = False
        self.session.verify = req["ca_cert"]
        proxy = req.get("proxy")
        if proxy:
            self.session.proxies = {"https": proxy}
        # Same single retry as MSAL's own default session.
        adapter = requests.adapters.HTTPAdapter(max_retries=1)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # The port's result dict carries no HTTP status; record it from the wire.
        # It stays None when MSAL answered from its throttling cache.
        self.last_status = None
        self.session.hooks["response"].append(self._record_status)
        # Through the proxy the authority is the public cloud's and MSAL
        # runs with its defaults (authority validation, instance discovery).
        # Without one it is the mock's own https://localhost:PORT, which
        # is no Microsoft cloud: trusted as given, no instance discovery.
        localhost = {} if proxy else {"validate_authority": False, "instance_discovery": False}
        self.msal = msal.ConfidentialClientApplication(
            req["client_id"],
            client_credential=self._credential(req["credential"], apps),
            authority=req["authority"],
            token_cache=self.cache,
            http_client=self.session,
            **localhost,
        )

    def _record_status(self, response, *args, **kwargs):
        # Only token requests: MSAL Python may fetch instance discovery after
        # a refused token request, and that 200 is not the refusal's status.
        if response.request.method == "POST":
            self.last_status = response.status_code

    def _credential(self, cred, apps):
        kind = cred["type"]
        if kind == "secret":
            return cred["secret"]
        if kind == "certificate":
            with open(cred["cert_pem_path"]) as f:
                cert_pem = f.read()
            with open(cred["key_pem_path"]) as f:
                key_pem = f.read()
            if cred.get("send_x5c"):
                # MSAL derives the SHA-256 thumbprint (PS256, x5t#S256) and
                # sends x5c from the public certificate.
                return {"private_key": key_pem, "public_certificate": cert_pem}
            # Without a public certificate MSAL Python only takes a SHA-1
            # thumbprint (RS256, x5t).
            return {"private_key": key_pem, "thumbprint": sha1_thumbprint(cert_pem)}
        if kind == "assertion":
            if cred.get("token_binding"):
                raise unsupported("token-binding assertion (jwt-pop)")
            if cred.get("response_object"):
                raise unsupported("assertion response object (the callback returns a string)")
            assertion = cred["assertion"]

            def callback(context):  # one required argument: MSAL passes its context
                self.contexts.append(dict(context))
                return assertion

            return {"client_assertion": callback}
        if kind == "fmi_callback":
            via = apps.get(cred["via_app"])
            if via is None:
                raise DriverError("driver", "fmi_callback: no app named %r configured" % cred["via_app"])
            key = "fmi_path" if cred.get("fmi_path_from") == "fmi_path" else "client_id"

            def callback(context):
                self.contexts.append(dict(context))
                result = via.msal.acquire_token_for_client([EXCHANGE_SCOPE], fmi_path=context.get(key))
                if "access_token" not in result:
                    raise service_error(result, via.last_status)
                return result["access_token"]

            return {"client_assertion": callback}
        if kind == "legacy_callback":
            return {"client_assertion": self._legacy_callback(cred["assertion"])}
        if kind == "failing_callback":
            return {"client_assertion": self._failing_callback(cred["message"])}
        raise DriverError("driver", "unknown credential type %r" % kind)

    def _legacy_callback(self, assertion):
        def callback():  # no parameter: MSAL calls it without a context
            self.contexts.append({})
            return assertion

        return callback

    def _failing_callback(self, message):
        def callback(context):
            self.contexts.append(dict(context))
            raise CallbackFailure(message)

        return callback

    def call(self, fn, *args, **kwargs):
        """Runs one port call; maps its outcome to a token or a DriverError."""
        self.last_status = None
        try:
            result = fn(*args, **kwargs)
        except DriverError:
            raise
        except Exception as e:
            if raised_by_callback(e):
                # The callback's error reached the application: report what
                # the application received, as it received it.
                raise DriverError("client", "%s: %s" % (type(e).__name__, e))
            if isinstance(e, (ValueError, TypeError)):  # the port's own validation
                raise DriverError("client", str(e))
            if isinstance(e, requests.HTTPError):  # MSAL raises for 5xx
                body = parse_json(e.response.text)
                raise DriverError("service", str(e), body.get("error"),
                                  body.get("error_codes"), e.response.status_code)
            raise
        if result is None:
            raise DriverError("client", "MSAL returned None: nothing usable in the cache")
        if "access_token" not in result:
            raise service_error(result, self.last_status)
        return result

    def account_for(self, result):
        client_info = result.get("client_info")
        if not client_info:
            return None
        info = json.loads(b64url_decode(client_info))
        home = "%s.%s" % (info["uid"], info["utid"])
        for account in self.msal.get_accounts():
            if account["home_account_id"] == home:
                return account_info(account)
        return {"home_account_id": home, "username": ""}


def service_error(result, status):
    return DriverError("service", result.get("error_description") or result.get("error", ""),
                       result.get("error"), result.get("error_codes"), status)


def token_reply(result, account=None):
    token = {
        "access_token": result["access_token"],
        "source": result.get("token_source", "identity_provider"),
    }
    if "token_type" in result:
        token["token_type"] = result["token_type"]
    if account:
        token["account"] = account
    if result.get("id_token_claims"):
        token["id_token_claims"] = result["id_token_claims"]
    return {"token": token}


def account_info(account):
    info = {"home_account_id": account["home_account_id"], "username": account.get("username", "")}
    for field in ("environment", "realm"):
        if account.get(field):
            info[field] = account[field]
    return info


def sha1_thumbprint(cert_pem):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    return x509.load_pem_x509_certificate(cert_pem.encode()).fingerprint(hashes.SHA1()).hex().upper()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parse_json(text):
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


COMMANDS = {"hello", "configure", "acquire_for_client", "acquire_by_user_fic", "acquire_silent",
            "accounts", "cache", "callback_contexts", "reset", "shutdown"}


class Driver:
    def __init__(self):
        self.apps = {}

    def app(self, req):
        app = self.apps.get(req["app"])
        if app is None:
            raise DriverError("driver", "no app named %r configured" % req["app"])
        return app

    def hello(self, req):
        return {"port": "python", "library": "msal", "version": msal.__version__,
                "capabilities": capabilities()}

    def configure(self, req):
        options = {k: v for k, v in (req.get("options") or {}).items() if v is not None}
        if options:
            raise unsupported("option(s) %s" % ", ".join(sorted(options)))
        try:
            self.apps[req["app"]] = App(req["app"], req, self.apps)
        except (ValueError, TypeError) as e:
            raise DriverError("client", str(e))
        return {}

    def acquire_for_client(self, req):
        if req.get("mtls_pop"):
            raise unsupported("mTLS proof-of-possession")
        app = self.app(req)
        kwargs = {"fmi_path": req["fmi_path"]} if "fmi_path" in req else {}
        if "fmi_path_value" in req:  # null or a non-string, passed unconverted
            kwargs = {"fmi_path": req["fmi_path_value"]}
        return token_reply(app.call(app.msal.acquire_token_for_client, req["scopes"], **kwargs))

    def acquire_by_user_fic(self, req):
        if req.get("force_refresh"):
            raise unsupported("force-refresh option on user_fic (it always reaches the network)")
        if req.get("tenant") is not None:
            raise unsupported("tenant override on user_fic")
        app = self.app(req)
        kwargs = {"claims_challenge": req["claims"]} if req.get("claims") is not None else {}
        result = app.call(app.msal.acquire_token_by_user_federated_identity_credential,
                          req["scopes"], req["assertion"],
                          username=req.get("username"), user_object_id=req.get("user_id"), **kwargs)
        return token_reply(result, app.account_for(result))

    def acquire_silent(self, req):
        app = self.app(req)
        matches = [a for a in app.msal.get_accounts() if a["home_account_id"] == req["home_account_id"]]
        if not matches:
            raise DriverError("client", "get_accounts() has no account %r" % req["home_account_id"])
        result = app.call(app.msal.acquire_token_silent_with_error, req["scopes"], matches[0])
        return token_reply(result, account_info(matches[0]))

    def accounts(self, req):
        return {"accounts": [account_info(a) for a in self.app(req).msal.get_accounts()]}

    def cache(self, req):
        raw = json.loads(self.app(req).cache.serialize())
        section = lambda name: list((raw.get(name) or {}).keys())
        return {"access_token_keys": section("AccessToken"), "account_keys": section("Account"),
                "id_token_keys": section("IdToken"), "refresh_token_keys": section("RefreshToken"),
                "raw": raw}

    def callback_contexts(self, req):
        return {"contexts": list(self.app(req).contexts)}

    def reset(self, req):
        # Each app owns everything MSAL Python keeps: its token cache, its
        # HTTP session (CA, proxy, connections) and MSAL's http_cache
        # (instance and tenant discovery, throttling). Dropping the apps
        # leaves the process as a new one would be.
        self.apps.clear()
        return {}

    def shutdown(self, req):
        return {}

    def handle(self, line):
        """Returns (reply, stop) for one request line."""
        req_id = 0
        try:
            try:
                req = json.loads(line)
            except ValueError as e:
                raise DriverError("driver", "not JSON: %s" % e)
            if not isinstance(req, dict):
                raise DriverError("driver", "a request must be a JSON object")
            req_id = req.get("id", 0) if isinstance(req.get("id"), int) else 0
            cmd = req.get("cmd")
            if cmd not in COMMANDS:
                raise DriverError("driver", "unknown cmd %r" % (cmd,))
            body = getattr(self, cmd)(req)
            return dict({"id": req_id, "ok": True}, **body), cmd == "shutdown"
        except DriverError as e:
            return {"id": req_id, "ok": False, "error": e.body}, False
        except KeyError as e:
            return {"id": req_id, "ok": False, "error": {"kind": "driver", "message": "missing field %s" % e}}, False
        except Exception as e:  # glue failure: report it, keep serving
            logging.exception("driver failure")
            return {"id": req_id, "ok": False,
                    "error": {"kind": "driver", "message": "%s: %s" % (type(e).__name__, e)}}, False


def main():
    driver = Driver()
    for line in sys.stdin:
        if not line.strip():
            continue
        reply, stop = driver.handle(line)
        REPLIES.write(json.dumps(reply, separators=(",", ":")) + "\n")
        REPLIES.flush()
        if stop:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
